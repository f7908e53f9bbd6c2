//go:build unix

package cluster_test

import (
	"context"
	"log"
	"log/slog"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spawnkit/spawnkit/cluster"
	"github.com/spawnkit/spawnkit/internal/testkit"
)

// forks returns the WorkerInfo of every EventFork, in order.
func forks(evs []cluster.Event) []cluster.WorkerInfo {
	var out []cluster.WorkerInfo
	for _, ev := range evs {
		if ev.Kind == cluster.EventFork {
			out = append(out, ev.Worker)
		}
	}
	return out
}

// rec is the expected record msg at level for worker w, with more attributes.
func rec(level, msg string, w cluster.WorkerInfo, more ...any) map[string]any {
	m := map[string]any{"level": level, "msg": msg, "worker": float64(w.ID), "slot": float64(w.Slot), "pid": float64(w.Pid)}
	for i := 0; i < len(more); i += 2 {
		m[more[i].(string)] = more[i+1]
	}
	return m
}

// dropDuration removes the "duration" attribute, which must be positive.
func dropDuration(t *testing.T, m map[string]any) map[string]any {
	t.Helper()
	d, ok := m["duration"].(float64)
	require.True(t, ok, "no duration in %v", m)
	require.Greater(t, d, float64(0))
	delete(m, "duration")
	return m
}

func TestLoggerRecordsCrashRestartAndGivingUp(t *testing.T) {
	var lr testkit.LogRecorder
	tc := start(t, "crash", cluster.Config{
		Workers: 1, CrashLimit: 2, CrashWindow: time.Minute, RestartDelay: 10 * time.Millisecond,
		Logger: lr.Logger(),
	})
	require.ErrorIs(t, tc.p.Wait(), cluster.ErrCrashLoop)
	tc.wg.Wait()
	evs := tc.events()
	ws := forks(evs)
	require.Len(t, ws, 2, render(evs))
	records := lr.Records(t)
	require.Len(t, records, 5, lr.String())
	givenUp := evs[len(evs)-1]
	require.Equal(t, cluster.EventCrashLoop, givenUp.Kind)
	assert.Equal(t, []map[string]any{
		rec("INFO", "worker started", ws[0], "why", "start"),
		rec("WARN", "worker crashed", ws[0], "code", float64(1)),
		rec("INFO", "worker started", ws[1], "why", "restart"),
		rec("WARN", "worker crashed", ws[1], "code", float64(1)),
		{"level": "ERROR", "msg": "slot given up", "slot": float64(0), "deaths": float64(2),
			"window": float64(time.Minute), "err": givenUp.Err.Error()},
	}, records)
}

func TestLoggerRecordsReload(t *testing.T) {
	var lr testkit.LogRecorder
	tc := start(t, "http", cluster.Config{Workers: 1, Logger: lr.Logger()})
	tc.waitReady(1)
	require.NoError(t, tc.p.Reload(context.Background()))
	ws := forks(tc.events())
	require.Len(t, ws, 2)
	records := lr.Records(t)
	require.Len(t, records, 5, lr.String())
	records[4] = dropDuration(t, records[4])
	assert.Equal(t, []map[string]any{
		rec("INFO", "worker started", ws[0], "why", "start"),
		{"level": "INFO", "msg": "reload started", "workers": float64(1)},
		rec("INFO", "worker started", ws[1], "why", "reload"),
		rec("INFO", "worker exited", ws[0], "code", float64(0)),
		{"level": "INFO", "msg": "reload done"},
	}, records)

	require.NoError(t, tc.p.Shutdown(context.Background()))
	records = lr.Records(t)
	require.Len(t, records, 6, lr.String())
	assert.Equal(t, rec("INFO", "worker exited", ws[1], "code", float64(0)), records[5])
}

func TestLoggerNilSendsWarningsToSlogDefault(t *testing.T) {
	var lr testkit.LogRecorder
	oldDefault, oldOut, oldFlags := slog.Default(), log.Writer(), log.Flags()
	slog.SetDefault(lr.Logger())
	t.Cleanup(func() { // SetDefault redirected package log too
		slog.SetDefault(oldDefault)
		log.SetOutput(oldOut)
		log.SetFlags(oldFlags)
	})
	tc := start(t, "crash", cluster.Config{Workers: 1, CrashLimit: 2, RestartDelay: 10 * time.Millisecond})
	require.ErrorIs(t, tc.p.Wait(), cluster.ErrCrashLoop)
	tc.wg.Wait()

	var got []string
	for _, r := range lr.Records(t) {
		got = append(got, r["level"].(string)+" "+r["msg"].(string))
	}
	assert.Equal(t, []string{"WARN worker crashed", "WARN worker crashed", "ERROR slot given up"}, got,
		"Info records are left out")
}

func init() {
	// stubborn ignores being asked to stop; only SIGKILL ends it.
	testkit.RegisterHelper("stubborn", worker(func(ctx context.Context, w *cluster.Worker) error {
		time.Sleep(time.Hour)
		return nil
	}))
}

// waitRecord waits until a record with msg is among lr's.
func waitRecord(t *testing.T, lr *testkit.LogRecorder, msg string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		for _, r := range lr.Records(t) {
			if r["msg"] == msg {
				return r
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no %q record; got:\n%s", msg, lr.String())
	return nil
}

func TestLoggerRecordsRunSignals(t *testing.T) {
	var lr testkit.LogRecorder
	shuttingDown := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- cluster.Run(context.Background(), &cluster.Config{
			Workers: 1, Args: []string{}, ExtraEnv: []string{testkit.HelperEnvFor(t, "stubborn")},
			Worker: func(ctx context.Context, w *cluster.Worker) error { return nil }, // runs in workers only
			Primary: func(ctx context.Context, p *cluster.Primary) error {
				<-ctx.Done()
				close(shuttingDown)
				return nil
			},
			Logger: lr.Logger(),
		})
	}()
	self := os.Getpid()
	waitRecord(t, &lr, "worker started")
	// A SIGUSR2 reloads; the stubborn replacement is never ready, so a
	// second SIGUSR2 arrives during the reload.
	require.NoError(t, syscall.Kill(self, syscall.SIGUSR2))
	waitRecord(t, &lr, "reload started")
	require.NoError(t, syscall.Kill(self, syscall.SIGUSR2))
	assert.Equal(t, map[string]any{"level": "WARN", "msg": "reload already running", "signal": "SIGUSR2"},
		waitRecord(t, &lr, "reload already running"))
	// SIGTERM drains, which the stubborn workers ignore; a second one kills them.
	require.NoError(t, syscall.Kill(self, syscall.SIGTERM))
	<-shuttingDown
	require.NoError(t, syscall.Kill(self, syscall.SIGTERM))
	require.NoError(t, testkit.RecvOrFail(t, done, time.Minute, "Run did not return after the second SIGTERM"))
	assert.Equal(t, map[string]any{"level": "WARN", "msg": "killing the workers", "signal": "SIGTERM"},
		waitRecord(t, &lr, "killing the workers"))
	var msgs []string
	for _, r := range lr.Records(t) {
		msgs = append(msgs, r["msg"].(string))
	}
	// Both workers were killed (not "reload failed": the reload ended
	// because the cluster closed).
	assert.Equal(t, 2, countOf(msgs, "worker killed"), lr.String())
	assert.Equal(t, 2, countOf(msgs, "worker exited"), lr.String())
	assert.Zero(t, countOf(msgs, "reload failed"), lr.String())
}

func countOf(list []string, s string) int {
	n := 0
	for _, v := range list {
		if v == s {
			n++
		}
	}
	return n
}
