package cluster_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spawnkit/spawnkit/cluster"
	"github.com/spawnkit/spawnkit/internal/load"
	"github.com/spawnkit/spawnkit/ipc"
)

// echoes returns the {"id":I,"echo":M} messages received, by worker ID.
func echoes(evs []cluster.Event) map[int][]string {
	out := map[int][]string{}
	for _, ev := range evs {
		if ev.Kind != cluster.EventMessage {
			continue
		}
		var m struct {
			ID   int
			Echo json.RawMessage
		}
		if ev.Message.Decode(&m) == nil {
			out[ev.Worker.ID] = append(out[ev.Worker.ID], string(m.Echo))
		}
	}
	return out
}

func TestBroadcastReachesEveryWorkerAndSendReachesOne(t *testing.T) {
	tc := start(t, "http", cluster.Config{Workers: 3})
	ready := tc.waitReady(3)
	require.NoError(t, tc.p.Broadcast(map[string]int{"users": 42}))
	evs := tc.waitFor("3 echoes", 30*time.Second, func(evs []cluster.Event) bool { return len(echoes(evs)) == 3 })
	got := echoes(evs)
	for _, w := range ready {
		assert.Equal(t, []string{`{"users":42}`}, got[w.ID], "worker %v", w)
	}

	// Every worker now serves the broadcast value.
	res, err := load.Run(context.Background(), load.Config{URL: tc.url(), Requests: 30, Duration: 30 * time.Second, Check: func(status int, body []byte) error {
		if status != 200 || !bytes.Contains(body, []byte("users=42")) {
			return assert.AnError
		}
		return nil
	}})
	require.NoError(t, err)
	assert.Equal(t, 30, res.OK, "%v", res.Errors)

	// Send reaches only the one worker; raw messages travel as they are.
	target := ready[1].ID
	require.NoError(t, tc.p.Send(target, ipc.Message(`{"only":"you","n":[1,2.5,"✓"]}`)))
	tc.waitFor("the echo of the one worker", 30*time.Second, func(evs []cluster.Event) bool { return len(echoes(evs)[target]) == 2 })
	time.Sleep(100 * time.Millisecond) // give a wrong recipient time to answer
	got = echoes(tc.events())
	assert.Equal(t, []string{`{"users":42}`, `{"only":"you","n":[1,2.5,"✓"]}`}, got[target])
	for _, w := range ready {
		if w.ID != target {
			assert.Len(t, got[w.ID], 1, "worker %v", w)
		}
	}

	assert.ErrorIs(t, tc.p.Send(9999, "x"), cluster.ErrNoWorker)
	assert.Error(t, tc.p.Send(target, ipc.Message(`{"broken"`)), "invalid raw JSON is refused, never sent")
}
