package cluster_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spawnkit/spawnkit/cluster"
	"github.com/spawnkit/spawnkit/internal/load"
	"github.com/spawnkit/spawnkit/internal/testkit"
)

func init() {
	// listenerr reports what Listen says for an unsupported network, then
	// waits to be stopped.
	testkit.RegisterHelper("listenerr", worker(func(ctx context.Context, w *cluster.Worker) error {
		_, err := w.Listen("udp", "127.0.0.1:0")
		w.Send(err.Error())
		w.Ready()
		<-ctx.Done()
		return nil
	}))
}

func TestUnixSocketIsSharedAndRemovedAtShutdown(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.sock")
	tc := start(t, "http", cluster.Config{Workers: 2}, "CLUSTER_TEST_NETWORK=unix", "CLUSTER_TEST_ADDR="+path)
	tc.waitReady(2)
	client := &http.Client{Transport: &http.Transport{
		DisableKeepAlives: true,
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", path)
		},
	}}
	pids := map[int]bool{}
	for range 20 {
		resp, err := client.Get("http://cluster/")
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		pids[pidOf(body)] = true
	}
	for _, w := range readyWorkers(tc.events()) {
		delete(pids, w.Pid)
	}
	assert.Empty(t, pids, "answers from non-workers")
	require.NoError(t, tc.p.Shutdown(context.Background()))
	assert.NoFileExists(t, path)
}

func TestReusePortReload(t *testing.T) {
	tc := start(t, "http", cluster.Config{Workers: 2, ReusePort: true})
	before := tc.waitReady(2)
	require.NoError(t, tc.p.Reload(context.Background()))
	evs := tc.waitFor("the old workers' exits", 30*time.Second, func(evs []cluster.Event) bool { return count(evs, cluster.EventExit) == 2 })
	after := readyWorkers(evs)
	require.Len(t, after, 2)
	var pc pidCounter
	res, err := load.Run(context.Background(), load.Config{URL: tc.url(), Requests: 100, Duration: 30 * time.Second, Check: pc.check})
	require.NoError(t, err)
	assert.Equal(t, 100, res.OK, res.Errors)
	assert.ElementsMatch(t, pidsOf(after), keys(pc.pids()))
	for _, w := range before {
		assert.NotContains(t, keys(pc.pids()), w.Pid)
	}
	assert.Len(t, tc.p.Addrs(), 1, "the port stays reserved by the primary")
}

func TestListenErrorReachesTheWorker(t *testing.T) {
	tc := start(t, "listenerr", cluster.Config{Workers: 1})
	evs := tc.waitFor("the error message", 30*time.Second, func(evs []cluster.Event) bool { return count(evs, cluster.EventMessage) == 1 })
	for _, ev := range evs {
		if ev.Kind == cluster.EventMessage {
			var s string
			require.NoError(t, ev.Message.Decode(&s))
			assert.True(t, strings.HasPrefix(s, "cluster: listen udp 127.0.0.1:0: "), s)
			assert.Contains(t, s, "unsupported network")
			assert.Equal(t, 1, strings.Count(s, "cluster: listen"), "the prefix once: %s", s)
		}
	}
	assert.Empty(t, tc.p.Addrs())
}
