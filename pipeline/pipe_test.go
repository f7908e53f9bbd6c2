//go:build unix

package pipeline

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// TestPipesAreCloseOnExec checks both kinds of pipe the stages are linked
// with, including rawPipe's (pipe2 on Linux, pipe + FD_CLOEXEC under
// syscall.ForkLock on darwin, the BSDs and spawnkit_portable).
func TestPipesAreCloseOnExec(t *testing.T) {
	for _, pollable := range []bool{false, true} {
		r, w, err := newPipe(pollable)
		require.NoError(t, err)
		for _, f := range []interface{ Fd() uintptr }{r, w} {
			flags, err := unix.FcntlInt(f.Fd(), unix.F_GETFD, 0)
			require.NoError(t, err)
			assert.NotZero(t, flags&unix.FD_CLOEXEC, "pollable=%v: fd %d is not close-on-exec", pollable, f.Fd())
		}
		r.Close()
		w.Close()
	}
}
