//go:build unix

package pool_test

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spawnkit/spawnkit/childproc"
	"github.com/spawnkit/spawnkit/internal/testkit"
	"github.com/spawnkit/spawnkit/pool"
)

// waitRecords waits until rec holds n records and returns them.
func waitRecords(t *testing.T, rec *testkit.LogRecorder, n int) []map[string]any {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if r := rec.Records(t); len(r) >= n {
			require.Len(t, r, n, rec.String())
			return r
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("want %d records, got:\n%s", n, rec.String())
	return nil
}

func started(slot, pid int, why string) map[string]any {
	return map[string]any{"level": "INFO", "msg": "worker started", "role": testRole,
		"slot": float64(slot), "pid": float64(pid), "why": why}
}

func TestLoggerWorkerStartsCrashesAndRestarts(t *testing.T) {
	ctx := context.Background()
	var rec testkit.LogRecorder
	// TaskTimeout is long enough that the worker's crash below is seen
	// before it on a loaded machine (with 200 ms, under load, the crash
	// was reported as a timeout).
	p, err := pool.New(ctx, testRole, &pool.Options{Workers: 1, TaskTimeout: 5 * time.Second, Logger: rec.Logger()})
	require.NoError(t, err)
	killAtCleanup(t, p)
	first := p.Stats().Pids[0]
	assert.Equal(t, []map[string]any{started(0, first, "start")}, rec.Records(t))

	// A crash while running a task: Warn with the task's error, then a restart.
	_, crashErr := p.Submit(ctx, op{Op: "exit", Code: 7})
	require.ErrorIs(t, crashErr, pool.ErrWorkerCrashed)
	records := waitRecords(t, &rec, 3)
	second := int(records[2]["pid"].(float64))
	assert.NotEqual(t, first, second)
	assert.Equal(t, []map[string]any{
		started(0, first, "start"),
		{"level": "WARN", "msg": "worker crashed", "role": testRole, "slot": float64(0), "pid": float64(first),
			"code": float64(7), "err": crashErr.Error()},
		started(0, second, "restart"),
	}, records)

	// A task over TaskTimeout: killed by the pool, with SIGKILL.
	_, timeoutErr := p.Submit(ctx, op{Op: "hang"})
	require.ErrorIs(t, timeoutErr, pool.ErrTaskTimeout)
	records = waitRecords(t, &rec, 5)
	third := int(records[4]["pid"].(float64))
	assert.Equal(t, []map[string]any{
		{"level": "WARN", "msg": "worker crashed", "role": testRole, "slot": float64(0), "pid": float64(second),
			"signal": "SIGKILL", "err": timeoutErr.Error()},
		started(0, third, "restart"),
	}, records[3:])

	// A worker that dies idle: no err.
	require.NoError(t, syscall.Kill(third, syscall.SIGTERM))
	records = waitRecords(t, &rec, 7)
	fourth := int(records[6]["pid"].(float64))
	assert.Equal(t, []map[string]any{
		{"level": "WARN", "msg": "worker crashed", "role": testRole, "slot": float64(0), "pid": float64(third),
			"signal": "SIGTERM"},
		started(0, fourth, "restart"),
	}, records[5:])

	// Close stops the last worker: not logged.
	require.NoError(t, p.Close(ctx))
	assert.Len(t, rec.Records(t), 7, rec.String())
	requireNoChildren(t)
}

func TestLoggerWorkerStartFailed(t *testing.T) {
	var rec testkit.LogRecorder
	_, err := pool.New(context.Background(), "pool-test.not-registered", &pool.Options{
		Workers: 1, Logger: rec.Logger(), Child: &childproc.Options{Stderr: childproc.Ignore},
	})
	require.Error(t, err)
	records := rec.Records(t)
	require.Len(t, records, 1, rec.String())
	assert.Equal(t, map[string]any{"level": "WARN", "msg": "worker start failed", "role": "pool-test.not-registered",
		"slot": float64(0), "err": err.Error()}, records[0])
	requireNoChildren(t)
}
