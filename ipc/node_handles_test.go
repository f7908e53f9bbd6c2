//go:build unix

package ipc

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Node's handle-passing tests replayed against a real Node.js, both ways,
// each three times to catch races: a Go parent with a Node child
// (testdata/node/handles_child.js) here, a Node parent with a Go child
// (testdata/node/handles_parent.js and testdata/gochild) below.

const handlesChild = "../testdata/node/handles_child.js"

func listenFile(t *testing.T) (*os.File, int) {
	t.Helper()
	ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	f, err := ln.File()
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close() // the receiver holds the only listening copy
	return f, port
}

// acceptedConn returns the client end of a loopback TCP connection and a
// descriptor of the accepted end (the only one: the listener and the
// accepted net.Conn are closed), as a server would pass it on. The client
// is closed when the test ends.
func acceptedConn(t *testing.T) (client net.Conn, accepted *os.File) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	client, err = net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	t.Cleanup(func() { client.Close() })
	conn, err := ln.Accept()
	require.NoError(t, err)
	defer conn.Close()
	accepted, err = conn.(*net.TCPConn).File()
	require.NoError(t, err)
	return client, accepted
}

func decodeMap(t *testing.T, m Message) map[string]any {
	t.Helper()
	var v map[string]any
	require.NoError(t, m.Decode(&v), "%s", m)
	return v
}

func TestNodeChildHandlesReplay(t *testing.T) {
	nodePath(t)
	for run := range 3 {
		t.Run(fmt.Sprint("run", run), func(t *testing.T) {
			t.Run("server: HTTP on a listener from Go", func(t *testing.T) {
				nc := startNode(t, handlesChild)
				lf, port := listenFile(t)
				require.NoError(t, nc.ch.SendFile(map[string]string{"op": "http"}, lf))
				lf.Close()
				assert.Equal(t, map[string]any{"serving": true}, decodeMap(t, nc.recv(t)))
				for i := range 5 {
					res, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/r%d", port, i))
					require.NoError(t, err)
					body, err := io.ReadAll(res.Body)
					res.Body.Close()
					require.NoError(t, err)
					assert.Equal(t, fmt.Sprintf("node http /r%d\n", i), string(body))
				}
				require.NoError(t, nc.ch.Close())
				assert.Equal(t, 42, nc.wait(t))
			})

			t.Run("socket: an accepted connection from Go", func(t *testing.T) {
				nc := startNode(t, handlesChild)
				client, sf := acceptedConn(t)
				require.NoError(t, nc.ch.SendFile(map[string]string{"op": "socket"}, sf))
				sf.Close()
				assert.Equal(t, map[string]any{"held": 1.0, "isSocket": true}, decodeMap(t, nc.recv(t)))
				r := bufio.NewReader(client)
				for i := range 3 {
					fmt.Fprintf(client, "line %d\n", i)
					l, err := r.ReadString('\n')
					require.NoError(t, err)
					assert.Equal(t, fmt.Sprintf("node:line %d\n", i), l)
				}
				require.NoError(t, nc.ch.Close())
				assert.Equal(t, 42, nc.wait(t))
			})

			t.Run("order: each handle with its message, plain messages behind them", func(t *testing.T) {
				nc := startNode(t, handlesChild)
				fp, p := listenFile(t)
				fq, q := listenFile(t)
				big := strings.Repeat("b", 200<<10)
				require.NoError(t, nc.ch.SendFile(map[string]any{"op": "pair", "port": p, "big": big}, fp))
				require.NoError(t, nc.ch.SendFile(map[string]any{"op": "pair", "port": q}, fq))
				require.NoError(t, nc.ch.Send(map[string]any{"op": "second"}))
				fp.Close()
				fq.Close()
				assert.Equal(t, map[string]any{"pair": float64(p), "handlePort": float64(p), "big": float64(len(big))}, decodeMap(t, nc.recv(t)))
				assert.Equal(t, map[string]any{"pair": float64(q), "handlePort": float64(q), "big": 0.0}, decodeMap(t, nc.recv(t)))
				assert.Equal(t, map[string]any{"second": true, "handle": false}, decodeMap(t, nc.recv(t)))
				require.NoError(t, nc.ch.Close())
				assert.Equal(t, 42, nc.wait(t))
			})

			t.Run("udp: a dgram.Socket on the Node side", func(t *testing.T) {
				nc := startNode(t, handlesChild)
				u, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
				require.NoError(t, err)
				uf, err := u.File()
				require.NoError(t, err)
				port := u.LocalAddr().(*net.UDPAddr).Port
				u.Close()
				require.NoError(t, nc.ch.SendFile(map[string]string{"op": "udp"}, uf))
				uf.Close()
				assert.Equal(t, map[string]any{"isDgram": true, "port": float64(port)}, decodeMap(t, nc.recv(t)))
				c, err := net.Dial("udp4", fmt.Sprintf("127.0.0.1:%d", port))
				require.NoError(t, err)
				_, err = c.Write([]byte("ping"))
				require.NoError(t, err)
				c.Close()
				assert.Equal(t, map[string]any{"udp": "ping"}, decodeMap(t, nc.recv(t)))
				require.NoError(t, nc.ch.Close())
				assert.Equal(t, 42, nc.wait(t))
			})

			t.Run("getConnections and close: Go answers for the sockets it holds", func(t *testing.T) {
				nc := startNode(t, handlesChild)
				require.NoError(t, nc.ch.Send(map[string]string{"op": "serveToGo"}))
				port := int(decodeMap(t, nc.recv(t))["port"].(float64))
				const n = 3
				var clients, conns []net.Conn
				for range n {
					c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
					require.NoError(t, err)
					defer c.Close()
					clients = append(clients, c)
				}
				for range n {
					m, f, err := nc.ch.RecvFile()
					require.NoError(t, err)
					require.NotNil(t, f, "%s", m)
					assert.JSONEq(t, `{"op":"conn"}`, m.String())
					c, err := net.FileConn(f)
					require.NoError(t, err)
					f.Close()
					conns = append(conns, c)
				}
				// Which client is which does not matter: each gets a line.
				for _, c := range conns {
					_, err := c.Write([]byte("go\n"))
					require.NoError(t, err)
				}
				for _, c := range clients {
					l, err := bufio.NewReader(c).ReadString('\n')
					require.NoError(t, err)
					assert.Equal(t, "go\n", l)
				}
				count := func() any {
					require.NoError(t, nc.ch.Send(map[string]string{"op": "count"}))
					return decodeMap(t, nc.recv(t))["count"]
				}
				assert.Equal(t, float64(n), count())
				conns[0].Close()
				assert.Equal(t, float64(n-1), count())
				for _, c := range conns[1:] {
					c.Close()
				}
				require.NoError(t, nc.ch.Send(map[string]string{"op": "closeServer"}))
				ms := decodeMap(t, nc.recv(t))["closedMs"]
				require.NotNil(t, ms)
				assert.Less(t, ms.(float64), 5000.0, "server.close() got NODE_SOCKET_ALL_CLOSED (without it, it waits for the disconnect)")
				assert.Equal(t, 0.0, count())
				require.NoError(t, nc.ch.Close())
				assert.Equal(t, 42, nc.wait(t))
			})

			t.Run("close right after receiving: the ACK is out", func(t *testing.T) {
				nc := startNode(t, handlesChild)
				require.NoError(t, nc.ch.Send(map[string]string{"op": "sendThenQueue"}))
				m, f, err := nc.ch.RecvFile()
				require.NoError(t, err)
				require.NotNil(t, f)
				assert.JSONEq(t, `{"op":"handle"}`, m.String())
				f.Close()
				require.NoError(t, nc.ch.Close())
				assert.Equal(t, 42, nc.wait(t), "Node's queue behind the handle was flushed before 'disconnect' (43: it was not); stderr: %s", nc.stderr)
			})
		})
	}
}

func (nc *nodeChild) recv(t *testing.T) Message {
	t.Helper()
	m, err := nc.ch.Recv()
	require.NoError(t, err, "stderr: %s", nc.stderr)
	return m
}

// TestNodeParentHandles runs testdata/node/handles_parent.js, a Node parent
// that forks testdata/gochild and replays Node's handle tests with it.
func TestNodeParentHandles(t *testing.T) {
	node := nodePath(t)
	if testing.Short() {
		t.Skip("builds a helper program")
	}
	bin := filepath.Join(t.TempDir(), "gochild")
	out, err := exec.Command("go", "build", "-o", bin, "./testdata/gochild").CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	want := "PASS server\nPASS socket\nPASS keepOpen\nPASS recvHandle\nPASS udp\nPASS burst\nPASS exitAfterRecv\n"
	for run := range 3 {
		cmd := exec.Command(node, "handles_parent.js", bin)
		cmd.Dir = "../testdata/node"
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		assert.Equal(t, want, stdout.String(), "run %d; stderr: %s", run, stderr.String())
		assert.NoError(t, err, "run %d", run)
	}
}

// TestNodeChildHandlesAppendRecv: sockets a Node net.Server passes to Go
// come through AppendRecv as their message appended to dst (Node's
// NODE_HANDLE envelope is acknowledged and not delivered, so Node's
// queue behind each handle moves on), each socket is closed, and Node's
// getConnections and server.close() then hear that none is open.
func TestNodeChildHandlesAppendRecv(t *testing.T) {
	nc := startNode(t, handlesChild)
	require.NoError(t, nc.ch.Send(map[string]string{"op": "serveToGo"}))
	port := int(decodeMap(t, nc.recv(t))["port"].(float64))
	const n = 5
	for range n {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		require.NoError(t, err)
		defer c.Close()
	}
	m := append(make(Message, 0, 256), "prefix:"...)
	for range n {
		var err error
		m, err = nc.ch.AppendRecv(m[:len("prefix:")])
		require.NoError(t, err, "stderr: %s", nc.stderr)
		assert.Equal(t, `prefix:{"op":"conn"}`, m.String())
	}
	require.NoError(t, nc.ch.Send(map[string]string{"op": "count"}))
	m, err := nc.ch.AppendRecv(m[:0])
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"count": 0.0}, decodeMap(t, m), "AppendRecv left a socket open")
	require.NoError(t, nc.ch.Send(map[string]string{"op": "closeServer"}))
	m, err = nc.ch.AppendRecv(m[:0])
	require.NoError(t, err)
	ms := decodeMap(t, m)["closedMs"]
	require.NotNil(t, ms, "%s", m)
	assert.Less(t, ms.(float64), 5000.0, "server.close() got NODE_SOCKET_ALL_CLOSED")
	require.NoError(t, nc.ch.Close())
	assert.Equal(t, 42, nc.wait(t))
}
