package cluster_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spawnkit/spawnkit/cluster"
	"github.com/spawnkit/spawnkit/internal/testkit"
)

func init() {
	// slot1crash crashes at once in slot 1 while the file named by
	// CLUSTER_TEST_CRASH_FILE exists, and otherwise listens and waits to be
	// stopped.
	testkit.RegisterHelper("slot1crash", worker(func(ctx context.Context, w *cluster.Worker) error {
		if _, err := os.Stat(os.Getenv("CLUSTER_TEST_CRASH_FILE")); err == nil && w.Slot == 1 {
			return errors.New("slot 1 crashing on purpose")
		}
		if _, err := w.Listen("tcp", "127.0.0.1:0"); err != nil {
			return err
		}
		<-ctx.Done()
		return nil
	}))
}

// TestReloadRestartsAGivenUpSlot checks Config.CrashLimit's and Reload's
// docs: a slot given up as a crash loop (while another slot keeps the
// cluster running) gets a worker again on Reload.
func TestReloadRestartsAGivenUpSlot(t *testing.T) {
	crashFile := filepath.Join(t.TempDir(), "crash")
	require.NoError(t, os.WriteFile(crashFile, nil, 0o644))
	tc := start(t, "slot1crash", cluster.Config{
		Workers:      2,
		CrashLimit:   2,
		CrashWindow:  time.Minute,
		RestartDelay: 10 * time.Millisecond,
	}, "CLUSTER_TEST_CRASH_FILE="+crashFile)
	evs := tc.waitFor("slot 1 given up and slot 0 ready", 60*time.Second, func(evs []cluster.Event) bool {
		return count(evs, cluster.EventCrashLoop) == 1 && len(readyWorkers(evs)) == 1
	})
	ready := readyWorkers(evs)
	require.Len(t, ready, 1, render(evs))
	assert.Equal(t, 0, ready[0].Slot)
	for _, w := range tc.p.Workers() {
		assert.Equal(t, 0, w.Slot, "no worker runs in the given-up slot")
	}

	require.NoError(t, os.Remove(crashFile))
	require.NoError(t, tc.p.Reload(context.Background()))
	// Reload returned once slot 1's worker was ready; the recorder may
	// still be reading that event.
	slots := map[int]bool{}
	tc.waitFor("a ready worker in each slot", 30*time.Second, func(evs []cluster.Event) bool {
		clear(slots)
		for _, w := range readyWorkers(evs) {
			slots[w.Slot] = true
		}
		return len(slots) == 2
	})
	var inSlots []int
	for _, w := range tc.p.Workers() {
		inSlots = append(inSlots, w.Slot)
	}
	assert.ElementsMatch(t, []int{0, 1}, inSlots)
}
