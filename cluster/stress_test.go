package cluster_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spawnkit/spawnkit/cluster"
	"github.com/spawnkit/spawnkit/internal/testkit"
)

// TestStressShutdownRacingReloadAndMessages starts clusters and, at a
// random moment (workers starting, ready, being replaced), races two
// Reloads, a Broadcast and a Send against a Shutdown or the end of
// Start's ctx: Shutdown and Wait return nil, every Reload returns nil, an
// error matching ErrClosed or one naming its slot, the Events channel is
// closed, and nothing is left: no worker, zombie, descriptor or
// goroutine.
func TestStressShutdownRacingReloadAndMessages(t *testing.T) {
	testkit.NoLeaks(t)
	n := testkit.Iterations(12, 10)
	for i := range n {
		ctx, cancel := context.WithCancel(context.Background())
		p, err := cluster.Start(ctx, &cluster.Config{
			Workers:         2,
			Args:            []string{},
			ExtraEnv:        []string{testkit.HelperEnvFor(t, "http")},
			ShutdownTimeout: 10 * time.Second,
		})
		require.NoError(t, err, "run %d", i)
		events := p.Events()
		evDone := make(chan struct{})
		go func() {
			for range events {
			}
			close(evDone)
		}()
		time.Sleep(time.Duration(rand.IntN(400_000)) * time.Microsecond)

		var wg sync.WaitGroup
		reloadErrs := make([]error, 2)
		for k := range reloadErrs {
			wg.Go(func() {
				rctx, rcancel := context.WithTimeout(context.Background(), time.Minute)
				defer rcancel()
				reloadErrs[k] = p.Reload(rctx)
			})
		}
		wg.Go(func() { p.Broadcast(map[string]int{"Users": i}) })
		wg.Go(func() { p.Send(1, "hello") })
		time.Sleep(time.Duration(rand.IntN(200_000)) * time.Microsecond)
		if i%2 == 0 {
			sctx, scancel := context.WithTimeout(context.Background(), time.Minute)
			require.NoError(t, p.Shutdown(sctx), "run %d: Shutdown", i)
			scancel()
		} else {
			cancel()
		}
		waited := make(chan error, 1)
		go func() { waited <- p.Wait() }()
		err = testkit.RecvOrFail(t, waited, time.Minute, "run %d: Wait hangs after the shutdown", i)
		require.NoError(t, err, "run %d: Wait", i)
		testkit.WaitOrFail(t, &wg, time.Minute, "run %d: Reload, Broadcast or Send hangs after the shutdown", i)
		for k, err := range reloadErrs {
			if err != nil && !errors.Is(err, cluster.ErrClosed) && !strings.Contains(err.Error(), "slot") {
				t.Errorf("run %d: Reload %d: %v", i, k, err)
			}
		}
		testkit.RecvOrFail(t, evDone, time.Minute, "run %d: Events not closed after Wait returned", i)
		cancel()
		require.Empty(t, testkit.Children(), "run %d: workers left", i)
		require.Empty(t, testkit.Zombies(), "run %d: zombies", i)
	}
}

// TestStressCrashLoopRacingReloadAndShutdown runs workers that die at once,
// restarted without delay until the crash limit, while Reloads and a
// Shutdown race them: nothing hangs and nothing is left.
func TestStressCrashLoopRacingReloadAndShutdown(t *testing.T) {
	testkit.NoLeaks(t)
	n := testkit.Iterations(8, 10)
	for i := range n {
		p, err := cluster.Start(context.Background(), &cluster.Config{
			Workers:      2,
			Args:         []string{},
			ExtraEnv:     []string{testkit.HelperEnvFor(t, "crash")},
			RestartDelay: -1,
			CrashLimit:   5,
		})
		require.NoError(t, err, "run %d", i)
		var wg sync.WaitGroup
		for range 2 {
			wg.Go(func() {
				rctx, rcancel := context.WithTimeout(context.Background(), time.Minute)
				defer rcancel()
				err := p.Reload(rctx)
				if err == nil {
					t.Errorf("run %d: Reload of crashing workers succeeded", i)
				}
			})
		}
		time.Sleep(time.Duration(rand.IntN(100_000)) * time.Microsecond)
		if i%2 == 0 {
			sctx, scancel := context.WithTimeout(context.Background(), time.Minute)
			require.NoError(t, p.Shutdown(sctx), "run %d", i)
			scancel()
		}
		waited := make(chan error, 1)
		go func() { waited <- p.Wait() }()
		if err := testkit.RecvOrFail(t, waited, time.Minute, "run %d: Wait hangs", i); err != nil {
			require.ErrorIs(t, err, cluster.ErrCrashLoop, "run %d", i)
		}
		testkit.WaitOrFail(t, &wg, time.Minute, "run %d: Reload hangs", i)
		require.Empty(t, testkit.Children(), "run %d: workers left", i)
		require.Empty(t, testkit.Zombies(), "run %d: zombies", i)
	}
}

// TestStressStartCtxEndsAtRandomMoments ends Start's ctx before Start or at
// a random moment while its workers start: Start fails with the ctx's
// error, or the cluster shuts down by itself and Wait returns nil; either
// way no worker, zombie, descriptor or goroutine is left.
func TestStressStartCtxEndsAtRandomMoments(t *testing.T) {
	testkit.NoLeaks(t)
	n := testkit.Iterations(30, 10)
	for i := range n {
		ctx, cancel := context.WithCancel(context.Background())
		if i%3 == 0 {
			cancel()
		} else {
			time.AfterFunc(time.Duration(rand.IntN(5000))*time.Microsecond, cancel)
		}
		p, err := cluster.Start(ctx, &cluster.Config{
			Workers: 2, Args: []string{}, ExtraEnv: []string{testkit.HelperEnvFor(t, "http")},
		})
		if err != nil {
			require.ErrorIs(t, err, context.Canceled, "run %d", i)
		} else {
			waited := make(chan error, 1)
			go func() { waited <- p.Wait() }()
			err := testkit.RecvOrFail(t, waited, time.Minute, "run %d: Wait hangs after Start's ctx ended", i)
			require.NoError(t, err, "run %d: Wait", i)
		}
		cancel()
		require.Empty(t, testkit.Children(), "run %d: workers left", i)
		require.Empty(t, testkit.Zombies(), "run %d: zombies", i)
	}
}
