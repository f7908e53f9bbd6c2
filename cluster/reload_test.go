package cluster_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spawnkit/spawnkit/cluster"
	"github.com/spawnkit/spawnkit/internal/load"
	"github.com/spawnkit/spawnkit/internal/testkit"
)

// loadDuring runs a continuous load on url until stop is closed.
func loadDuring(t *testing.T, url string, keepAlive bool, check func(int, []byte) error) (stop func() load.Result) {
	ctx, cancel := context.WithCancel(context.Background())
	var res load.Result
	var wg sync.WaitGroup
	wg.Go(func() {
		var err error
		res, err = load.Run(ctx, load.Config{URL: url, Concurrency: 4, KeepAlive: keepAlive, Check: check})
		assert.NoError(t, err)
	})
	return func() load.Result {
		cancel()
		wg.Wait()
		return res
	}
}

// testRollingRestart reloads a cluster of two workers (cfg, with Workers
// set to 2) under load and checks that no request failed and that each old
// worker was stopped only once its replacement was ready.
func testRollingRestart(t *testing.T, cfg cluster.Config, keepAlive bool) {
	cfg.Workers = 2
	tc := start(t, "http", cfg)
	before := tc.waitReady(2)
	var pc pidCounter
	stop := loadDuring(t, tc.url(), keepAlive, pc.check)
	time.Sleep(300 * time.Millisecond)
	require.NoError(t, tc.p.Reload(context.Background()))
	time.Sleep(300 * time.Millisecond)
	res := stop()
	t.Logf("keepAlive=%v: %v; per pid %v", keepAlive, res, pc.pids())
	assert.Zero(t, res.Failed, "failed requests during the rolling restart: %v", res.Errors)
	assert.Greater(t, res.OK, 20)

	evs := tc.waitFor("the old workers' exits", 30*time.Second, func(evs []cluster.Event) bool { return count(evs, cluster.EventExit) == 2 })
	after := readyWorkers(evs)
	require.Len(t, after, 2)
	for _, w := range before {
		assert.NotContains(t, after, w)
	}
	// The old workers were asked to stop, drained and exited 0; each was
	// stopped only after its replacement was ready.
	readyAt := map[int]int{}
	for i, ev := range evs {
		if ev.Kind == cluster.EventReady {
			readyAt[ev.Worker.Slot] = i
		}
		if ev.Kind == cluster.EventExit {
			assert.True(t, ev.Stopped, ev.String())
			assert.Equal(t, 0, ev.ExitCode, ev.String())
			assert.NoError(t, ev.Err)
			assert.Less(t, readyAt[ev.Worker.Slot], i, "old worker of slot %d exited before its replacement was ready:\n%s", ev.Worker.Slot, render(evs))
		}
	}
	assert.Equal(t, 2, count(evs, cluster.EventExit), render(evs))
}

func TestRollingRestartUnderLoadLosesNoRequest(t *testing.T) {
	testRollingRestart(t, cluster.Config{}, false)
}

func TestRollingRestartUnderKeepAliveLoadLosesNoRequest(t *testing.T) {
	testRollingRestart(t, cluster.Config{}, true)
}

func TestGracefulShutdownFinishesAcceptedRequests(t *testing.T) {
	// The drain has a minute before the primary kills a worker, a
	// worker a minute to answer a heartbeat, and a client a few, for an
	// answer that a loaded machine can delay by seconds (10s each failed
	// once at load 13; with the test's processes held to 0.1% of a CPU,
	// clients timed out and a worker was killed as unresponsive): still,
	// every worker must exit 0 by itself having answered every request.
	tc := start(t, "http", cluster.Config{Workers: 2, ShutdownTimeout: time.Minute, HeartbeatTimeout: time.Minute})
	tc.waitReady(2)
	// Requests in their handlers, which answer only once the drain
	// began (and 500ms later), so all six are in flight when it does.
	var wg sync.WaitGroup
	var res load.Result
	wg.Go(func() {
		res, _ = load.Run(context.Background(), load.Config{URL: tc.url() + "/untilstop", Requests: 6, Concurrency: 6, Timeout: 3 * time.Minute})
	})
	tc.waitMessages(`"untilstop"`, 6)
	require.NoError(t, tc.p.Shutdown(context.Background()))
	wg.Wait()
	assert.Equal(t, 6, res.OK, "%v", res.Errors)
	require.NoError(t, tc.p.Wait())
	tc.wg.Wait()
	evs := tc.events()
	assert.Equal(t, 2, count(evs, cluster.EventExit))
	for _, ev := range evs {
		if ev.Kind == cluster.EventExit {
			assert.True(t, ev.Stopped)
			assert.Equal(t, 0, ev.ExitCode, ev.String())
		}
	}
	assert.Empty(t, tc.p.Workers())
	assert.Empty(t, testkit.Children(), "no worker process left")
	assert.Empty(t, testkit.Zombies())
	assert.ErrorIs(t, tc.p.Reload(context.Background()), cluster.ErrClosed)
	assert.ErrorIs(t, tc.p.Send(1, "x"), cluster.ErrNoWorker)
}

func TestShutdownKillsWorkersThatDoNotDrain(t *testing.T) {
	var logged testkit.LogRecorder
	tc := start(t, "http", cluster.Config{Workers: 1, ShutdownTimeout: 100 * time.Millisecond, Logger: logged.Logger()})
	w := tc.waitReady(1)[0]
	var wg sync.WaitGroup
	wg.Go(func() {
		load.Run(context.Background(), load.Config{URL: tc.url() + "/hang", Requests: 1, Concurrency: 1})
	})
	tc.waitMessages(`"hang"`, 1) // in the handler, which never returns: the drain cannot end
	require.NoError(t, tc.p.Shutdown(context.Background()))
	wg.Wait()
	tc.wg.Wait()
	evs := tc.events()
	last := evs[len(evs)-1]
	require.Equal(t, cluster.EventExit, last.Kind, render(evs))
	assert.ErrorIs(t, last.Err, cluster.ErrDrainTimeout)
	assert.True(t, last.Stopped)
	records := logged.Records(t)
	require.GreaterOrEqual(t, len(records), 2, logged.String())
	assert.Equal(t, []map[string]any{{
		"level": "WARN", "msg": "worker killed", "worker": float64(w.ID), "slot": float64(w.Slot), "pid": float64(w.Pid),
		"reason": cluster.ErrDrainTimeout.Error(), "after": float64(100 * time.Millisecond),
	}, {
		"level": "INFO", "msg": "worker exited", "worker": float64(w.ID), "slot": float64(w.Slot), "pid": float64(w.Pid),
		"signal": "SIGKILL", "reason": cluster.ErrDrainTimeout.Error(),
	}}, records[len(records)-2:])
}

// writeScript installs, atomically, a worker executable at path that runs
// this test binary with CLUSTER_TEST_VERSION=version, or that fails when
// version is "broken".
func writeScript(t *testing.T, path, version string) {
	t.Helper()
	exe, err := os.Executable()
	require.NoError(t, err)
	body := "#!/bin/sh\nCLUSTER_TEST_VERSION=" + version + " exec '" + exe + "' \"$@\"\n"
	if version == "broken" {
		body = "#!/bin/sh\necho broken build >&2\nexit 1\n"
	}
	tmp := path + ".new"
	require.NoError(t, os.WriteFile(tmp, []byte(body), 0o755))
	require.NoError(t, os.Rename(tmp, path))
}

func TestHotUpgradeReloadRunsTheNewExecutable(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "server")
	writeScript(t, bin, "1")
	tc := start(t, "http", cluster.Config{Workers: 2, Executable: bin, Logger: slog.New(slog.DiscardHandler)})
	tc.waitReady(2)
	versions := func() map[string]int {
		out := map[string]int{}
		var mu sync.Mutex
		res, err := load.Run(context.Background(), load.Config{URL: tc.url(), Requests: 40, Duration: 30 * time.Second, Check: func(status int, body []byte) error {
			mu.Lock()
			defer mu.Unlock()
			for _, f := range strings.Fields(string(body)) {
				if len(f) > 2 && f[:2] == "v=" {
					out[f[2:]]++
				}
			}
			return nil
		}})
		require.NoError(t, err)
		require.Zero(t, res.Failed, res.Errors)
		return out
	}
	assert.Equal(t, map[string]int{"1": 40}, versions())

	writeScript(t, bin, "2")
	require.NoError(t, tc.p.Reload(context.Background()))
	assert.Equal(t, map[string]int{"2": 40}, versions())

	// A broken build: the first replacement fails, the reload stops there
	// and the running version keeps serving.
	writeScript(t, bin, "broken")
	err := tc.p.Reload(context.Background())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "reload slot 0")
	assert.Contains(t, err.Error(), "exited before it was ready")
	assert.Equal(t, map[string]int{"2": 40}, versions())
	assert.Len(t, readyWorkers(tc.events()), 2)
}
