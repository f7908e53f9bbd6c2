package cluster_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spawnkit/spawnkit/cluster"
	"github.com/spawnkit/spawnkit/internal/testkit"
)

// Events first called after the cluster has shut down still delivers the
// events kept meanwhile, then closes.
func TestEventsAfterShutdownDeliversTheKeptEvents(t *testing.T) {
	p, err := cluster.Start(context.Background(), &cluster.Config{
		Workers:  1,
		Args:     []string{},
		ExtraEnv: []string{testkit.HelperEnvFor(t, "crash")},
		// One death gives the only slot up: the cluster shuts itself down.
		CrashLimit: 1,
		Logger:     slog.New(slog.DiscardHandler),
	})
	require.NoError(t, err)
	require.ErrorIs(t, p.Wait(), cluster.ErrCrashLoop)

	var kinds []cluster.EventKind
	timeout := time.After(10 * time.Second)
	for events := p.Events(); ; {
		select {
		case ev, ok := <-events:
			if !ok {
				assert.Contains(t, kinds, cluster.EventFork)
				assert.Contains(t, kinds, cluster.EventExit)
				assert.Contains(t, kinds, cluster.EventCrashLoop)
				return
			}
			kinds = append(kinds, ev.Kind)
		case <-timeout:
			t.Fatalf("Events not closed; got %v", kinds)
		}
	}
}
