//go:build unix

package ipc

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spawnkit/spawnkit/internal/testkit"
)

// nodeHandleFlood is a Node child that sends its listening server N times
// as a handle, each with {n, pad} (pad up to 64 KiB), a plain message
// after each, then {done: true}, and exits 42 on 'disconnect' once
// nothing waits behind a handle (43 otherwise). It reads what Go sends
// meanwhile and drops it.
const nodeHandleFlood = `'use strict';
const net = require('net');
const N = Number(process.argv[2]);
process.on('disconnect', () => process.exit(process._handleQueue === null ? 42 : 43));
process.on('message', () => {});
const srv = net.createServer();
srv.listen(0, '127.0.0.1', () => {
  for (let n = 0; n < N; n++) {
    process.send({ n, pad: 'p'.repeat((n * 7919) % 65536) }, srv);
    process.send({ plain: n });
  }
  process.send({ done: true });
});
`

// TestStressNodeSendsHandlesToSlowGo: a Node child sends handles back to
// back (each Node send waits in its queue for Go's acknowledgement) while
// the Go side is slow to read and floods Node with messages of its own:
// every handle arrives with its own message, in order, each a listening
// socket, the plain messages between them in place; Node's queue is
// empty at the end (it exits 42), and no descriptor is left open.
func TestStressNodeSendsHandlesToSlowGo(t *testing.T) {
	nodePath(t)
	n := testkit.Iterations(200, 10)
	script := filepath.Join(t.TempDir(), "flood.js")
	require.NoError(t, os.WriteFile(script, []byte(nodeHandleFlood), 0o644))
	fds := testkit.OpenFDs()
	nc := startNode(t, script, fmt.Sprint(n))
	stop := make(chan struct{})
	sent := make(chan error, 1)
	go func() { // Go's own traffic toward Node, filling its socket at times
		big := strings.Repeat("g", 32<<10)
		for {
			select {
			case <-stop:
				sent <- nil
				return
			default:
			}
			if err := nc.ch.Send(map[string]string{"pad": big}); err != nil {
				sent <- err
				return
			}
		}
	}()
	for k := range n {
		if rand.IntN(4) == 0 {
			time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond)
		}
		m, f, err := nc.ch.RecvFile()
		require.NoError(t, err, "handle %d; stderr: %s", k, nc.stderr)
		require.NotNil(t, f, "handle %d came without its descriptor: %s", k, m)
		acc, err := syscall.GetsockoptInt(int(f.Fd()), syscall.SOL_SOCKET, syscall.SO_ACCEPTCONN)
		f.Close()
		require.NoError(t, err)
		assert.Equal(t, 1, acc, "handle %d is not a listening socket", k)
		v := decodeMap(t, m)
		require.Equal(t, float64(k), v["n"], "handle message out of order: %.80s", m)
		require.Len(t, v["pad"], (k*7919)%65536)
		m, f, err = nc.ch.RecvFile()
		require.NoError(t, err)
		require.Nil(t, f)
		require.Equal(t, map[string]any{"plain": float64(k)}, decodeMap(t, m))
	}
	assert.Equal(t, map[string]any{"done": true}, decodeMap(t, nc.recv(t)))
	close(stop)
	require.NoError(t, <-sent)
	require.NoError(t, nc.ch.Close())
	assert.Equal(t, 42, nc.wait(t), "Node's handle queue was not empty: an acknowledgement was lost")
	assert.ElementsMatch(t, fds, testkit.OpenFDs(), "descriptors left open")
}
