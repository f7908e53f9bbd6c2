//go:build unix && (!linux || spawnkit_portable)

package childproc_test

import (
	"runtime"
	"testing"

	"github.com/spawnkit/spawnkit/internal/testkit"
)

// skipUnlessLinux skips a test of a guarantee only the Linux build gives
// (pidfds, PDEATHSIG, pipe2): not on darwin and the BSDs, nor under the
// spawnkit_portable build tag, which runs their code on Linux.
func skipUnlessLinux(t *testing.T, guarantee string, helpers ...string) {
	t.Helper()
	for _, name := range helpers {
		testkit.MaySkipHelper(name) // the helpers the test would have started
	}
	t.Skipf("Linux-only guarantee (%s/%s, spawnkit_portable=%v): %s", runtime.GOOS, runtime.GOARCH, runtime.GOOS == "linux", guarantee)
}

func gettid() int { return 0 }
