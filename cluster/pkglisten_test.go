package cluster_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spawnkit/spawnkit/cluster"
	"github.com/spawnkit/spawnkit/internal/testkit"
)

func init() {
	// pkglisten listens with the package-level cluster.Listen (which is
	// Worker.Listen inside a worker), tells the primary what Start says in
	// a worker, and serves "pid=P" until stopped.
	testkit.RegisterHelper("pkglisten", worker(func(ctx context.Context, w *cluster.Worker) error {
		_, err := cluster.Start(ctx, &cluster.Config{Workers: 1})
		w.Send(fmt.Sprintf("start: %v; primary=%v worker=%v", err != nil, cluster.IsPrimary(), cluster.IsWorker()))
		ln, err := cluster.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		return cluster.Serve(ctx, &http.Server{Handler: http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(rw, "pid=%d\n", os.Getpid())
		})}, ln)
	}))
}

// TestPackageListenInAWorkerIsWorkerListen checks the docs of Listen, Start,
// IsPrimary and IsWorker inside a worker: cluster.Listen is Worker.Listen
// (the primary opens the socket, the worker becomes ready and listening on
// the primary's address, and serves on it), Start returns an error, and the
// process is a worker, not a primary.
func TestPackageListenInAWorkerIsWorkerListen(t *testing.T) {
	tc := start(t, "pkglisten", cluster.Config{Workers: 1})
	ready := tc.waitReady(1)
	evs := tc.waitFor("the worker's message", 30*time.Second, func(evs []cluster.Event) bool { return count(evs, cluster.EventMessage) == 1 })
	for _, ev := range evs {
		if ev.Kind == cluster.EventMessage {
			assert.Equal(t, `"start: true; primary=false worker=true"`, string(ev.Message))
		}
	}
	require.Equal(t, 1, count(evs, cluster.EventListening))
	addrs := tc.p.Addrs()
	require.Len(t, addrs, 1, "the primary opened the socket")
	resp, err := http.Get("http://" + addrs[0].String() + "/")
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	assert.Equal(t, fmt.Sprintf("pid=%d\n", ready[0].Pid), string(body))
}

// TestListenOutsideAWorkerIsNetListen checks Listen's doc for any process
// that is not a worker (here the test binary, a primary): it is net.Listen.
func TestListenOutsideAWorkerIsNetListen(t *testing.T) {
	require.True(t, cluster.IsPrimary())
	require.False(t, cluster.IsWorker())
	ln, err := cluster.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	require.IsType(t, &net.TCPListener{}, ln)
	c, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	defer c.Close()
	s, err := ln.Accept()
	require.NoError(t, err)
	s.Close()

	_, err = cluster.Listen("udp", "127.0.0.1:0")
	assert.Error(t, err, "net.Listen refuses a packet network")
}

// TestWorkerInfoString checks WorkerInfo.String's documented shape.
func TestWorkerInfoString(t *testing.T) {
	assert.Equal(t, "worker 3 (slot 1, pid 4242)", cluster.WorkerInfo{ID: 3, Slot: 1, Pid: 4242}.String())
}
