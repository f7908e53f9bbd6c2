package pipeline_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spawnkit/spawnkit/internal/testkit"
)

// waitForProcs waits until n processes have arg in their command line.
func waitForProcs(t *testing.T, arg string, n int) []int {
	t.Helper()
	var pids []int
	require.Eventually(t, func() bool {
		pids = testkit.WithArg(arg)
		return len(pids) >= n
	}, 20*time.Second, 10*time.Millisecond, "waiting for %d processes with argument %s", n, arg)
	return pids
}
