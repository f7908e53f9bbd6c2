//go:build unix

package cluster_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spawnkit/spawnkit/cluster"
	"github.com/spawnkit/spawnkit/internal/testkit"
)

// TestNegativeWorkersIsAnError checks that a negative Workers, which has no
// "unlimited" meaning, is an error from Start and Run naming the field, and
// that nothing starts.
func TestNegativeWorkersIsAnError(t *testing.T) {
	testkit.NoLeaks(t)
	cfg := runConfig(t, "http")
	cfg.Workers = -1
	p, err := cluster.Start(context.Background(), &cfg)
	assert.Nil(t, p)
	assert.EqualError(t, err, "cluster: Config.Workers is -1: must be >= 0")
	assert.EqualError(t, cluster.Run(context.Background(), &cfg), "cluster: Config.Workers is -1: must be >= 0")
	assert.Empty(t, testkit.Children())
}

// TestNegativeCrashLimitAndRestartDelay checks that with a negative
// CrashLimit a slot is never given up, and that with a negative
// RestartDelay a dead worker is replaced at once: twelve workers that die
// at start take far less, from each exit to the next start, than the
// 52.7 s (100+200+…+6400 ms, then 10 s four times) that the default
// delays would wait between them. The margin is that wide so that slow
// spawns under load cannot add up to it (with eight workers it was 12.7 s);
// a broken RestartDelay costs the failing run those 52.7 s.
func TestNegativeCrashLimitAndRestartDelay(t *testing.T) {
	const forks = 12
	var defaults cluster.Backoff
	defaults.Limit = -1
	var byDefault time.Duration
	now := time.Now()
	for range forks - 1 {
		d, _, _ := defaults.Died(now)
		byDefault += d
	}
	require.Equal(t, 52700*time.Millisecond, byDefault)

	tc := start(t, "crash", cluster.Config{Workers: 1, CrashLimit: -1, RestartDelay: -1})
	evs := tc.waitFor("12 workers started", 2*time.Minute, func(evs []cluster.Event) bool {
		return count(evs, cluster.EventFork) >= forks
	})
	assert.Zero(t, count(evs, cluster.EventCrashLoop), render(evs))
	var waited time.Duration
	var exitAt time.Time
	seen := 0
	for _, ev := range evs {
		switch ev.Kind {
		case cluster.EventExit:
			exitAt = ev.Time
		case cluster.EventFork:
			if seen++; seen > forks {
				break
			}
			if !exitAt.IsZero() {
				waited += ev.Time.Sub(exitAt)
			}
		}
	}
	assert.Less(t, waited, byDefault, "from each exit to the next start, in all")
	assert.NoError(t, tc.p.Shutdown(context.Background()))
}

// TestNegativeCrashWindowCountsEveryDeath checks that a negative
// CrashWindow is taken (not refused, not the default): the crash loop is
// reported with every death counted "in all".
func TestNegativeCrashWindowCountsEveryDeath(t *testing.T) {
	var logged testkit.LogRecorder
	tc := start(t, "crash", cluster.Config{Workers: 1, CrashLimit: 2, CrashWindow: -1, RestartDelay: -1, Logger: logged.Logger()})
	err := tc.p.Wait()
	require.ErrorIs(t, err, cluster.ErrCrashLoop)
	tc.wg.Wait()
	evs := tc.events()
	last := evs[len(evs)-1]
	require.Equal(t, cluster.EventCrashLoop, last.Kind, render(evs))
	assert.Contains(t, last.Err.Error(), "slot 0: 2 deaths in all, the last: ")
	r := waitRecord(t, &logged, "slot given up")
	assert.Equal(t, float64(2), r["deaths"])
	assert.NotContains(t, r, "window")
}

// TestNegativeReadyTimeoutNeverKills checks that a worker that never
// becomes ready is not killed when ReadyTimeout is negative.
func TestNegativeReadyTimeoutNeverKills(t *testing.T) {
	tc := start(t, "idle", cluster.Config{Workers: 1, ReadyTimeout: -1})
	tc.waitFor("the worker online", 60*time.Second, func(evs []cluster.Event) bool {
		return count(evs, cluster.EventOnline) == 1
	})
	time.Sleep(time.Second)
	evs := tc.events()
	assert.Zero(t, count(evs, cluster.EventExit), render(evs))
	assert.Len(t, tc.p.Workers(), 1)
}

// TestNegativeHeartbeatTimeoutTurnsHeartbeatsOff checks that a stopped
// worker that answers no ping is not killed when HeartbeatTimeout is
// negative, however short HeartbeatInterval is.
func TestNegativeHeartbeatTimeoutTurnsHeartbeatsOff(t *testing.T) {
	tc := start(t, "http", cluster.Config{Workers: 1, HeartbeatInterval: 10 * time.Millisecond, HeartbeatTimeout: -1})
	w := tc.waitReady(1)[0]
	require.NoError(t, syscall.Kill(w.Pid, syscall.SIGSTOP))
	time.Sleep(time.Second)
	require.NoError(t, syscall.Kill(w.Pid, syscall.SIGCONT))
	evs := tc.events()
	assert.Zero(t, count(evs, cluster.EventExit), render(evs))
	assert.Equal(t, []cluster.WorkerInfo{w}, tc.p.Workers())
}

// TestNegativeShutdownTimeoutWaitsForTheWorker checks that with a negative
// ShutdownTimeout a worker that does not stop is waited for, until the ctx
// given to Shutdown ends and kills it.
func TestNegativeShutdownTimeoutWaitsForTheWorker(t *testing.T) {
	tc := start(t, "stubborn", cluster.Config{Workers: 1, ShutdownTimeout: -1})
	tc.waitFor("the worker online", 60*time.Second, func(evs []cluster.Event) bool {
		return count(evs, cluster.EventOnline) == 1
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	began := time.Now()
	err := tc.p.Shutdown(ctx)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.GreaterOrEqual(t, time.Since(began), time.Second, "the worker was waited for until ctx ended")
	tc.wg.Wait()
	evs := tc.events()
	last := evs[len(evs)-1]
	require.Equal(t, cluster.EventExit, last.Kind, render(evs))
	assert.ErrorIs(t, last.Err, cluster.ErrDrainTimeout)
	assert.Equal(t, syscall.SIGKILL, last.Signal)
}

// TestStartCopiesConfig checks that changing the Config, and its slices,
// after Start returns changes nothing: a worker started later, replacing
// one that was killed, gets the environment given to Start.
func TestStartCopiesConfig(t *testing.T) {
	cfg := &cluster.Config{
		Workers:         1,
		Args:            []string{},
		ExtraEnv:        []string{testkit.HelperEnvFor(t, "http"), "CLUSTER_TEST_VERSION=before"},
		ShutdownTimeout: 10 * time.Second,
	}
	p, err := cluster.Start(context.Background(), cfg)
	require.NoError(t, err)
	tc := watch(t, p)
	w := tc.waitReady(1)[0]

	cfg.ExtraEnv[1] = "CLUSTER_TEST_VERSION=after"
	cfg.Args = append(cfg.Args, "-unknown-flag")
	cfg.Workers = 3
	cfg.RestartDelay = time.Hour

	require.NoError(t, syscall.Kill(w.Pid, syscall.SIGKILL))
	tc.waitFor("a replacement ready", 60*time.Second, func(evs []cluster.Event) bool {
		ready := readyWorkers(evs)
		return len(ready) == 1 && ready[0].ID != w.ID
	})
	res, err := http.Get(tc.url())
	require.NoError(t, err)
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	require.NoError(t, err)
	assert.Contains(t, string(body), " v=before ", strings.TrimSpace(string(body)))
	assert.Len(t, p.Workers(), 1)
}
