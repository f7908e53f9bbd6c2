//go:build unix

package ipc

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spawnkit/spawnkit/internal/testkit"
)

// Interop tests against a real Node.js (v20) process. They are skipped when
// node is not in PATH.

func nodePath(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not found in PATH; the Node.js interop tests need Node.js v20")
	}
	return p
}

type nodeChild struct {
	ch     *Channel
	cmd    *exec.Cmd
	stderr *testkit.SyncBuffer
}

// startNode runs a Node script (with args) with the channel on fd 3, as
// fork() would.
func startNode(t *testing.T, script string, args ...string) *nodeChild {
	t.Helper()
	node := nodePath(t)
	ch, child, err := Pair()
	require.NoError(t, err)
	cmd := exec.Command(node, append([]string{script}, args...)...)
	cmd.ExtraFiles = []*os.File{child}
	cmd.Env = append(os.Environ(), "NODE_CHANNEL_FD=3", "NODE_CHANNEL_SERIALIZATION_MODE=json")
	stderr := new(testkit.SyncBuffer)
	cmd.Stderr = stderr
	require.NoError(t, cmd.Start())
	child.Close()
	nc := &nodeChild{ch: ch, cmd: cmd, stderr: stderr}
	t.Cleanup(func() {
		ch.Close()
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return nc
}

// wait returns the exit code, failing after a timeout.
func (nc *nodeChild) wait(t *testing.T) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- nc.cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatalf("wait: %v", err)
		}
		return nc.cmd.ProcessState.ExitCode()
	case <-time.After(20 * time.Second):
		nc.cmd.Process.Kill()
		<-done
		t.Fatalf("node did not exit; stderr: %s", nc.stderr)
		return -1
	}
}

func (nc *nodeChild) call(t *testing.T, req any) Message {
	t.Helper()
	require.NoError(t, nc.ch.Send(req))
	m, err := nc.ch.Recv()
	require.NoError(t, err, "stderr: %s", nc.stderr)
	return m
}

const echoScript = "../testdata/node/ipc_echo.js"

func TestNodeChildEcho(t *testing.T) {
	nc := startNode(t, echoScript)
	type op struct {
		Op string `json:"op"`
		V  any    `json:"v"`
		N  int    `json:"n,omitempty"`
	}
	values := []any{
		"plain", "",
		"unicode é ü 漢字 😀 👩‍👩‍👧 \u2028 \u2029 \x00 \x1f \"q\" \\ / \n \t <&>",
		map[string]any{"nested": map[string]any{"deep": []any{1.0, []any{2.0, []any{3.0, map[string]any{"x": "y"}}}}}, "empty": map[string]any{}, "arr": []any{}},
		[]any{}, true, false, nil, 0.1, -1.5, 1e300, 5e-324,
		float64(1<<53 - 1), -float64(1<<53 - 1),
		strings.Repeat("big😀", 1<<18),
	}
	for _, v := range values {
		m := nc.call(t, op{Op: "echo", V: v})
		var got any
		require.NoError(t, m.Decode(&got))
		assert.Equal(t, v, got)
	}

	// Raw messages go through unchanged, and Node reads what we mean.
	m := nc.call(t, Message(`{"op":"echo","v":{"a":[1,2,{"b":"\u2028\ud83d\ude00"}]}}`))
	assert.Equal(t, `{"a":[1,2,{"b":"`+"\u2028😀"+`"}]}`, m.String())

	// How Node sees our values.
	transform := func(v any) (r struct {
		Type       string `json:"type"`
		JSON       string `json:"json"`
		Length     *int   `json:"length"`
		CodePoints *int   `json:"codePoints"`
	}) {
		require.NoError(t, nc.call(t, op{Op: "transform", V: v}).Decode(&r))
		return r
	}
	r := transform(int64(1<<53 + 1))
	assert.Equal(t, "number", r.Type)
	assert.Equal(t, "9007199254740992", r.JSON, "2^53+1 rounds to 2^53 in JavaScript")
	assert.Equal(t, "9007199254740991", transform(int64(1<<53-1)).JSON)
	r = transform("a😀\u2028")
	assert.Equal(t, "string", r.Type)
	assert.Equal(t, 4, *r.Length, "UTF-16 length")
	assert.Equal(t, 3, *r.CodePoints)
	assert.Equal(t, "\"a😀\u2028\"", r.JSON)
	r = transform(map[string]any{"z": 1, "a": []int{1}})
	assert.Equal(t, `{"a":[1],"z":1}`, r.JSON)

	// Large messages both ways.
	m = nc.call(t, op{Op: "big", N: 8 << 20})
	assert.Len(t, m, 8<<20+2)

	// Internal messages from Node are skipped.
	m = nc.call(t, op{Op: "internal"})
	assert.Equal(t, `"after-internal"`, m.String())

	// A burst keeps its order.
	require.NoError(t, nc.ch.Send(op{Op: "burst", N: 20000}))
	for i := range 20000 {
		m, err := nc.ch.Recv()
		require.NoError(t, err)
		var n int
		require.NoError(t, m.Decode(&n))
		require.Equal(t, i, n)
	}
	m, err := nc.ch.Recv()
	require.NoError(t, err)
	assert.Equal(t, `"burst-done"`, m.String())

	// Go closes: Node emits 'disconnect' (and the script exits 42).
	require.NoError(t, nc.ch.Close())
	assert.Equal(t, 42, nc.wait(t), "stderr: %s", nc.stderr)
}

func TestNodeChildDisconnects(t *testing.T) {
	nc := startNode(t, echoScript)
	require.NoError(t, nc.ch.Send(map[string]string{"op": "disconnect"}))
	_, err := nc.ch.Recv()
	assert.Equal(t, io.EOF, err)
	assert.Equal(t, 42, nc.wait(t), "stderr: %s", nc.stderr)
}

func TestNodeChildHandles(t *testing.T) {
	nc := startNode(t, echoScript)

	// Go -> Node: a listening TCP socket becomes a net.Server in Node.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	lf, err := ln.(*net.TCPListener).File()
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close() // Node now holds the only listening copy
	require.NoError(t, nc.ch.SendFile(map[string]string{"op": "server"}, lf))
	lf.Close()
	m, err := nc.ch.Recv()
	require.NoError(t, err)
	assert.JSONEq(t, `{"serverOK":true,"listening":true}`, m.String())
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	line, err := bufio.NewReader(conn).ReadString('\n')
	conn.Close()
	require.NoError(t, err)
	assert.Equal(t, "hello from node\n", line)

	// Node -> Go: Node sends a server; Go must ACK or 'after-handle'
	// never arrives.
	require.NoError(t, nc.ch.Send(map[string]string{"op": "sendserver"}))
	m, f, err := nc.ch.RecvFile()
	require.NoError(t, err)
	require.NotNil(t, f, "descriptor delivered with the message")
	var port struct{ Port int }
	require.NoError(t, m.Decode(&port))
	assertCloexec(t, int(f.Fd()))
	m, err = nc.ch.Recv()
	require.NoError(t, err)
	assert.Equal(t, `"after-handle"`, m.String(), "Node got our NODE_HANDLE_ACK")
	gl, err := net.FileListener(f)
	require.NoError(t, err)
	f.Close()
	assert.Equal(t, port.Port, gl.Addr().(*net.TCPAddr).Port)
	go func() {
		c, err := gl.Accept()
		if err == nil {
			c.Write([]byte("from go\n"))
			c.Close()
		}
	}()
	conn, err = net.Dial("tcp", gl.Addr().String())
	require.NoError(t, err)
	line, err = bufio.NewReader(conn).ReadString('\n')
	conn.Close()
	gl.Close()
	require.NoError(t, err)
	assert.Equal(t, "from go\n", line)

	require.NoError(t, nc.ch.Close())
	assert.Equal(t, 42, nc.wait(t))
}

// TestNodeParent builds testdata/gochild and lets a Node parent run it with
// fork({execPath}) and with spawn(stdio [..., 'ipc']).
func TestNodeParent(t *testing.T) {
	node := nodePath(t)
	if testing.Short() {
		t.Skip("builds a helper program")
	}
	bin := filepath.Join(t.TempDir(), "gochild")
	build := exec.Command("go", "build", "-o", bin, "./testdata/gochild")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "go build: %s", out)

	cmd := exec.Command(node, "../testdata/node/ipc_parent.js", bin)
	cmd.Env = os.Environ()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	assert.Equal(t, "PASS fork\nPASS spawn\n", stdout.String(), "stderr: %s", stderr.String())
	assert.NoError(t, err)
}

func TestNodeJSONStringifyCompat(t *testing.T) {
	// Send's encoding is what JSON.parse accepts: spot check a value with
	// every escape class through a real Node.
	nc := startNode(t, echoScript)
	s := string([]byte{0, 1, 0x1f, 0x7f}) + "\u2028\u2029\"\\/<>&\xff"
	m := nc.call(t, map[string]any{"op": "echo", "v": s})
	var got string
	require.NoError(t, json.Unmarshal(m, &got))
	assert.Equal(t, strings.ToValidUTF8(s, "\uFFFD"), got)
	require.NoError(t, nc.ch.Close())
	assert.Equal(t, 42, nc.wait(t))
}
