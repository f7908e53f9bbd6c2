package childproc_test

import (
	"context"
	"encoding/json"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spawnkit/spawnkit/childproc"
	"github.com/spawnkit/spawnkit/internal/testkit"
)

// TestSpawnNodeChildWithIPC forks a real Node.js script over the
// NODE_CHANNEL_FD protocol: messages flow both ways, then the Go side
// disconnects and Node sees its 'disconnect' event.
func TestSpawnNodeChildWithIPC(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed; the interop test needs Node.js (CI installs it)")
	}
	var stderr testkit.SyncBuffer
	p, err := childproc.Spawn(context.Background(), node, []string{"testdata/node_child.js"}, &childproc.Options{
		IPC: true, Stdin: childproc.Ignore, Stdout: childproc.Ignore, Stderr: childproc.Writer(&stderr),
	})
	require.NoError(t, err)

	sent := []any{
		map[string]any{"unicode": "héllo ✓ 🚀 \u2028 end", "nested": map[string]any{"a": []any{1, 2.5, nil, true}}},
		json.RawMessage(`9007199254740993`),
		"just a string",
	}
	var got []string
	messages := 0
	for ev := range p.Events() {
		switch ev.Kind {
		case childproc.EventMessage:
			got = append(got, string(ev.Message))
			messages++
			if messages == 1 {
				for _, v := range sent {
					require.NoError(t, p.Send(v))
				}
			}
			if messages == 1+len(sent) {
				require.NoError(t, p.Disconnect())
			}
		default:
			got = append(got, ev.String())
		}
	}
	var hello struct {
		Hello string `json:"hello"`
		PID   int    `json:"pid"`
		Big   int64  `json:"big"`
	}
	require.NoError(t, json.Unmarshal([]byte(got[1]), &hello))
	assert.Equal(t, "from node", hello.Hello)
	assert.Equal(t, p.Pid, hello.PID)
	assert.Equal(t, int64(9007199254740991), hello.Big)
	assert.Equal(t, []string{
		`{"got":{"nested":{"a":[1,2.5,null,true]},"unicode":"héllo ✓ 🚀 ` + "\u2028" + ` end"},"type":"object"}`,
		// Node parses JSON numbers as doubles: 2^53+1 comes back rounded.
		`{"got":9007199254740992,"type":"number"}`,
		`{"got":"just a string","type":"string"}`,
		"disconnect",
		"exit(code=42)",
		"close(code=42)",
	}, append([]string{}, got[2:]...))
	assert.Equal(t, "spawn", got[0])
	assert.Equal(t, "node: parent disconnected\n", stderr.String())
	var ee *childproc.ExitError
	require.ErrorAs(t, p.Wait(), &ee)
	assert.Equal(t, 42, ee.ExitCode)
}

// TestNodeChildDisconnectWhileMessagesInFlight disconnects while Node is
// still answering: nothing hangs, Node exits by itself.
func TestNodeChildDisconnectWhileMessagesInFlight(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed; the interop test needs Node.js (CI installs it)")
	}
	for range 5 {
		p, err := childproc.Spawn(context.Background(), node, []string{"testdata/node_child.js"}, &childproc.Options{
			IPC: true, Stdin: childproc.Ignore, Stdout: childproc.Ignore, Stderr: childproc.Ignore,
		})
		require.NoError(t, err)
		for i := range 50 {
			require.NoError(t, p.Send(i))
		}
		messages := 0
		var last []string
		for ev := range p.Events() {
			if ev.Kind == childproc.EventMessage {
				if messages++; messages == 3 {
					require.NoError(t, p.Disconnect())
				}
				continue
			}
			last = append(last, ev.Kind.String())
		}
		assert.Equal(t, []string{"spawn", "disconnect", "exit", "close"}, last)
		var ee *childproc.ExitError
		require.ErrorAs(t, p.Wait(), &ee)
		assert.Equal(t, 42, ee.ExitCode)
	}
}
