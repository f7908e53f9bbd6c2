//go:build unix && (!linux || spawnkit_portable)

package childproc

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTreeNeverSignalsAReusedPid checks the start-time check that stands in
// for pidfds: a remembered descendant whose pid is now held by a process
// that started at another time (the pid was reused) is forgotten, not
// signalled; with the right start time, the same process is signalled.
func TestTreeNeverSignalsAReusedPid(t *testing.T) {
	require.True(t, procTableWorks(), "the process table reads this process correctly")
	start := func() *exec.Cmd {
		cmd := exec.Command("sleep", "30")
		require.NoError(t, cmd.Start())
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		return cmd
	}
	child, other := start(), start()
	e, ok := procLookup(other.Process.Pid)
	require.True(t, ok)
	require.Equal(t, other.Process.Pid, e.pid)

	tr := &tree{proc: child.Process, seen: map[int]int64{e.pid: e.start + 1}}
	require.NoError(t, tr.signal(syscall.SIGKILL))
	assertKilledBy(t, child, syscall.SIGKILL)
	assert.NotContains(t, tr.seen, e.pid, "a pid with another start time is forgotten")
	now, ok := procLookup(e.pid)
	require.True(t, ok)
	assert.False(t, now.zombie, "and not signalled")
	assert.False(t, tr.alive(), "nothing of the tree runs")

	child = start()
	tr = &tree{proc: child.Process, seen: map[int]int64{e.pid: e.start}}
	require.NoError(t, tr.signal(syscall.SIGKILL))
	assertKilledBy(t, child, syscall.SIGKILL)
	assertKilledBy(t, other, syscall.SIGKILL)
	tr.release()
	assert.ErrorIs(t, tr.signal(syscall.SIGKILL), os.ErrProcessDone)
}

func assertKilledBy(t *testing.T, cmd *exec.Cmd, sig syscall.Signal) {
	t.Helper()
	var ee *exec.ExitError
	require.True(t, errors.As(cmd.Wait(), &ee))
	ws := ee.Sys().(syscall.WaitStatus)
	assert.True(t, ws.Signaled() && ws.Signal() == sig, "%s: %v", cmd, ee)
}
