//go:build unix

package cluster_test

import (
	"context"
	"log/slog"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spawnkit/spawnkit/cluster"
	"github.com/spawnkit/spawnkit/internal/load"
	"github.com/spawnkit/spawnkit/internal/testkit"
)

func TestKilledWorkerIsReplacedAndServiceKeepsAnswering(t *testing.T) {
	tc := start(t, "http", cluster.Config{Workers: 2})
	ready := tc.waitReady(2)
	victim := ready[0]
	require.NoError(t, syscall.Kill(victim.Pid, syscall.SIGKILL))

	// While the replacement starts, the other worker answers everything.
	var pc pidCounter
	res, err := load.Run(context.Background(), load.Config{URL: tc.url(), Requests: 50, Duration: 30 * time.Second, Check: pc.check})
	require.NoError(t, err)
	assert.Equal(t, 0, res.Failed, "%v", res.Errors)
	assert.NotContains(t, keys(pc.pids()), victim.Pid)

	evs := tc.waitFor("a replacement in the victim's slot", 60*time.Second, func(evs []cluster.Event) bool {
		for _, w := range readyWorkers(evs) {
			if w.Slot == victim.Slot && w.ID != victim.ID {
				return true
			}
		}
		return false
	})
	var exit cluster.Event
	for _, ev := range evs {
		if ev.Kind == cluster.EventExit && ev.Worker.ID == victim.ID {
			exit = ev
		}
	}
	assert.Equal(t, syscall.SIGKILL, exit.Signal)
	assert.Equal(t, -1, exit.ExitCode)
	assert.False(t, exit.Stopped)
	assert.NoError(t, exit.Err)
	assert.Len(t, tc.p.Workers(), 2)

	pc = pidCounter{}
	res, err = load.Run(context.Background(), load.Config{URL: tc.url(), Requests: 50, Duration: 30 * time.Second, Check: pc.check})
	require.NoError(t, err)
	assert.Equal(t, 50, res.OK, "%v", res.Errors)
	assert.Subset(t, pidsOf(readyWorkers(tc.events())), keys(pc.pids()))
}

func TestCrashLoopStopsRestartingAndReportsLoudly(t *testing.T) {
	var logged testkit.LogRecorder
	tc := start(t, "crash", cluster.Config{
		Workers:      1,
		CrashLimit:   4,
		CrashWindow:  time.Minute,
		RestartDelay: 50 * time.Millisecond,
		Logger:       logged.Logger(),
	})
	err := tc.p.Wait()
	require.ErrorIs(t, err, cluster.ErrCrashLoop)
	tc.wg.Wait() // Events closed after the last event
	evs := tc.events()
	assert.Equal(t, 4, count(evs, cluster.EventFork), render(evs))
	assert.Equal(t, 4, count(evs, cluster.EventExit))
	assert.Equal(t, 1, count(evs, cluster.EventCrashLoop))
	assert.Equal(t, 0, count(evs, cluster.EventReady))
	last := evs[len(evs)-1]
	assert.Equal(t, cluster.EventCrashLoop, last.Kind)
	assert.ErrorIs(t, last.Err, cluster.ErrCrashLoop)
	assert.Contains(t, last.Err.Error(), "slot 0: 4 deaths within 1m0s")
	assert.Contains(t, logged.String(), `"level":"ERROR","msg":"slot given up","slot":0,"deaths":4`)
	for _, ev := range evs {
		if ev.Kind == cluster.EventExit {
			assert.Equal(t, 1, ev.ExitCode)
			assert.False(t, ev.Stopped)
		}
	}

	// Exponential backoff: from each exit to the next start, at least 50,
	// 100, 200ms (no upper bound: the machine may be slow).
	var gaps []time.Duration
	var exitAt time.Time
	for _, ev := range evs {
		switch ev.Kind {
		case cluster.EventExit:
			exitAt = ev.Time
		case cluster.EventFork:
			if !exitAt.IsZero() {
				gaps = append(gaps, ev.Time.Sub(exitAt))
			}
		}
	}
	require.Len(t, gaps, 3)
	for i, min := range []time.Duration{50, 100, 200} {
		assert.GreaterOrEqual(t, gaps[i], min*time.Millisecond, "gap %d: %v", i, gaps)
	}
}

func TestUnresponsiveWorkerIsKilledAndReplaced(t *testing.T) {
	var logged testkit.LogRecorder
	tc := start(t, "http", cluster.Config{
		Workers:           2,
		HeartbeatInterval: 50 * time.Millisecond,
		HeartbeatTimeout:  time.Second,
		Logger:            logged.Logger(),
	})
	ready := tc.waitReady(2)
	victim := ready[1]
	require.NoError(t, syscall.Kill(victim.Pid, syscall.SIGSTOP))
	evs := tc.waitFor("the frozen worker replaced", 60*time.Second, func(evs []cluster.Event) bool {
		for _, w := range readyWorkers(evs) {
			if w.Slot == victim.Slot && w.ID != victim.ID {
				return true
			}
		}
		return false
	})
	for _, ev := range evs {
		if ev.Kind == cluster.EventExit && ev.Worker.ID == victim.ID {
			assert.ErrorIs(t, ev.Err, cluster.ErrUnresponsive)
			assert.Equal(t, syscall.SIGKILL, ev.Signal)
			assert.False(t, ev.Stopped)
		}
	}
	assert.Contains(t, logged.Records(t), map[string]any{
		"level": "WARN", "msg": "worker killed", "worker": float64(victim.ID), "slot": float64(victim.Slot),
		"pid": float64(victim.Pid), "reason": cluster.ErrUnresponsive.Error(), "after": float64(time.Second),
	})
	assert.Contains(t, logged.Records(t), map[string]any{
		"level": "WARN", "msg": "worker crashed", "worker": float64(victim.ID), "slot": float64(victim.Slot),
		"pid": float64(victim.Pid), "signal": "SIGKILL", "reason": cluster.ErrUnresponsive.Error(),
	})
	res, err := load.Run(context.Background(), load.Config{URL: tc.url(), Requests: 20, Duration: 30 * time.Second})
	require.NoError(t, err)
	assert.Equal(t, 20, res.OK, "%v", res.Errors)
}

func TestWorkerNotReadyInTimeIsKilled(t *testing.T) {
	tc := start(t, "idle", cluster.Config{
		Workers:      1,
		ReadyTimeout: 300 * time.Millisecond,
		CrashLimit:   2,
		RestartDelay: time.Millisecond,
		Logger:       slog.New(slog.DiscardHandler),
	})
	require.ErrorIs(t, tc.p.Wait(), cluster.ErrCrashLoop)
	tc.wg.Wait()
	evs := tc.events()
	require.Equal(t, 2, count(evs, cluster.EventExit), render(evs))
	for _, ev := range evs {
		if ev.Kind == cluster.EventExit {
			assert.ErrorIs(t, ev.Err, cluster.ErrNotReady)
			assert.Equal(t, syscall.SIGKILL, ev.Signal)
		}
	}
}
