package cluster_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spawnkit/spawnkit/cluster"
	"github.com/spawnkit/spawnkit/internal/load"
)

// pidCounter counts responses per worker pid.
type pidCounter struct {
	mu sync.Mutex
	n  map[int]int
}

func (c *pidCounter) check(status int, body []byte) error {
	if status != 200 {
		return fmt.Errorf("status %d: %s", status, body)
	}
	pid := pidOf(body)
	if pid == 0 {
		return fmt.Errorf("no pid in %q", body)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[int]int{}
	}
	c.n[pid]++
	return nil
}

func (c *pidCounter) pids() map[int]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[int]int{}
	for k, v := range c.n {
		out[k] = v
	}
	return out
}

func pidsOf(ws []cluster.WorkerInfo) []int {
	var out []int
	for _, w := range ws {
		out = append(out, w.Pid)
	}
	return out
}

func keys(m map[int]int) []int {
	var out []int
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestReusePortEveryWorkerServes(t *testing.T) {
	tc := start(t, "http", cluster.Config{Workers: 2, ReusePort: true})
	ready := tc.waitReady(2)
	var pc pidCounter
	res, err := load.Run(context.Background(), load.Config{URL: tc.url(), Requests: 200, Duration: 60 * time.Second, Concurrency: 4, Check: pc.check})
	require.NoError(t, err)
	assert.Equal(t, 200, res.OK, "%v %v", res, res.Errors)
	assert.Equal(t, 0, res.Failed)
	assert.ElementsMatch(t, pidsOf(ready), keys(pc.pids()), "every worker served, and only workers did: %v", pc.pids())
}

func TestSharedSocketEveryWorkerServes(t *testing.T) {
	tc := start(t, "http", cluster.Config{Workers: 2})
	ready := tc.waitReady(2)
	want := pidsOf(ready)
	var pc pidCounter
	total := load.Result{}
	// The kernel wakes the processes waiting on a shared socket unevenly:
	// send batches until both answered, within bounds.
	for i := 0; i < 20 && len(pc.pids()) < 2; i++ {
		res, err := load.Run(context.Background(), load.Config{URL: tc.url(), Requests: 100, Duration: 30 * time.Second, Concurrency: 8, Check: pc.check})
		require.NoError(t, err)
		total.OK += res.OK
		total.Failed += res.Failed
		require.Zero(t, res.Failed, "%v", res.Errors)
	}
	t.Logf("%d requests, per pid: %v", total.OK, pc.pids())
	assert.ElementsMatch(t, want, keys(pc.pids()))
	assert.Len(t, tc.p.Addrs(), 1, "one socket, opened once by the primary")
}
