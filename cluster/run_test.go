package cluster_test

import (
	"context"
	"errors"
	"io/fs"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spawnkit/spawnkit/cluster"
	"github.com/spawnkit/spawnkit/internal/testkit"
)

func runConfig(t *testing.T, scenario string) cluster.Config {
	return cluster.Config{
		Workers:  2,
		Args:     []string{},
		ExtraEnv: []string{testkit.HelperEnvFor(t, scenario)},
		Worker:   func(ctx context.Context, w *cluster.Worker) error { panic("not in the primary") },
	}
}

func TestRunReturnsNilWhenCtxEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cfg := runConfig(t, "http")
	var exits int
	cfg.Primary = func(pctx context.Context, p *cluster.Primary) error {
		ready := 0
		for ev := range p.Events() {
			switch ev.Kind {
			case cluster.EventReady:
				if ready++; ready == 2 {
					cancel() // as SIGTERM would
				}
			case cluster.EventExit:
				exits++
				assert.True(t, ev.Stopped)
			}
		}
		assert.Error(t, pctx.Err(), "the primary's ctx ends with the shutdown")
		return nil
	}
	require.NoError(t, cluster.Run(ctx, &cfg))
	assert.Equal(t, 2, exits)
	assert.Empty(t, testkit.Children())
}

func TestRunReturnsThePrimarysError(t *testing.T) {
	cfg := runConfig(t, "http")
	boom := errors.New("boom")
	cfg.Primary = func(ctx context.Context, p *cluster.Primary) error {
		return boom
	}
	err := cluster.Run(context.Background(), &cfg)
	require.ErrorIs(t, err, boom)
	assert.Equal(t, "cluster: primary: boom", err.Error())
	assert.Empty(t, testkit.Children())
}

func TestRunNeedsAWorkerFunction(t *testing.T) {
	for _, cfg := range []*cluster.Config{nil, {Workers: 1}} {
		assert.EqualError(t, cluster.Run(context.Background(), cfg), "cluster: Config.Worker is nil: Run needs the code workers run")
	}
}

func TestStartRefusesStickyWithReusePort(t *testing.T) {
	_, err := cluster.Start(context.Background(), &cluster.Config{Sticky: true, ReusePort: true})
	assert.Error(t, err)
}

func TestStartFailsForAMissingExecutable(t *testing.T) {
	testkit.NoLeaks(t)
	_, err := cluster.Start(context.Background(), &cluster.Config{Workers: 2, Executable: "/nonexistent/server"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "/nonexistent/server")
	assert.ErrorIs(t, err, fs.ErrNotExist)
}
