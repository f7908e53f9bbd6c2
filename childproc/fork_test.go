//go:build unix

package childproc_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spawnkit/spawnkit/childproc"
	"github.com/spawnkit/spawnkit/internal/testkit"
	"github.com/spawnkit/spawnkit/ipc"
)

func registerRoles() {
	// echo sends every message back wrapped in {"echo": …} until the parent
	// disconnects.
	childproc.Register("echo", func(ctx context.Context, parent *ipc.Channel) error {
		for {
			m, err := parent.Recv()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			if err := parent.Send(map[string]json.RawMessage{"echo": json.RawMessage(m)}); err != nil {
				return err
			}
		}
	})
	// count sends {"counter": n} for n = 1..3 and the args, then exits.
	childproc.Register("count", func(ctx context.Context, parent *ipc.Channel) error {
		for n := 1; n <= 3; n++ {
			if err := parent.Send(map[string]int{"counter": n}); err != nil {
				return err
			}
		}
		return parent.Send(os.Args[1:])
	})
	// files writes into the file the parent sent, then sends back the
	// read end of a pipe of its own.
	childproc.Register("files", func(ctx context.Context, parent *ipc.Channel) error {
		m, f, err := parent.RecvFile()
		if err != nil {
			return err
		}
		if f == nil {
			return fmt.Errorf("message %s came without a file", m)
		}
		fmt.Fprintf(f, "child got %s\n", m)
		f.Close()
		r, w, err := os.Pipe()
		if err != nil {
			return err
		}
		defer r.Close()
		fmt.Fprint(w, "written by the child")
		w.Close()
		return parent.SendFile("read this", r)
	})
	childproc.Register("fail", func(ctx context.Context, parent *ipc.Channel) error {
		return errors.New("role failed on purpose")
	})
	// linger waits for SIGTERM (ctx), says so, and returns.
	childproc.Register("linger", func(ctx context.Context, parent *ipc.Channel) error {
		parent.Send("waiting")
		<-ctx.Done()
		fmt.Fprintln(os.Stderr, "linger: stopping")
		return nil
	})
}

func TestForkMessagesBothWays(t *testing.T) {
	p, err := childproc.Fork(context.Background(), "echo", nil, nil)
	require.NoError(t, err)
	assert.True(t, p.Connected())
	require.NoError(t, p.Send(map[string]string{"hello": "world"}))
	require.NoError(t, p.Send(ipc.Message(`[1,"✓",{"n":9007199254740991}]`)))
	var got []string
	messages := 0
	for ev := range p.Events() {
		switch ev.Kind {
		case childproc.EventMessage:
			got = append(got, string(ev.Message))
			if messages++; messages == 2 {
				require.NoError(t, p.Disconnect())
			}
		default:
			got = append(got, ev.String())
		}
	}
	assert.Equal(t, []string{
		"spawn",
		`{"echo":{"hello":"world"}}`,
		`{"echo":[1,"✓",{"n":9007199254740991}]}`,
		"disconnect",
		"exit(code=0)",
		"close(code=0)",
	}, got)
	require.NoError(t, p.Wait())
	assert.False(t, p.Connected())
	assert.ErrorIs(t, p.Send("late"), childproc.ErrDisconnected)
	assert.ErrorIs(t, p.Disconnect(), childproc.ErrDisconnected)
}

func TestForkChildExitsAndMessagesComeFirst(t *testing.T) {
	p, err := childproc.Fork(context.Background(), "count", []string{"a", "b c"}, nil)
	require.NoError(t, err)
	events := collect(t, p)
	var msgs []string
	var order []string
	for _, ev := range events {
		if ev.Kind == childproc.EventMessage {
			msgs = append(msgs, string(ev.Message))
			order = append(order, "message")
			continue
		}
		order = append(order, ev.Kind.String())
	}
	assert.Equal(t, []string{`{"counter":1}`, `{"counter":2}`, `{"counter":3}`, `["a","b c"]`}, msgs)
	assert.Equal(t, "spawn", order[0])
	assert.Equal(t, "close", order[len(order)-1])
	assert.Contains(t, order, "disconnect")
	assert.Contains(t, order, "exit")
	require.NoError(t, p.Wait())
}

func TestForkRoleErrorsAndUnknownRole(t *testing.T) {
	var stderr testkit.SyncBuffer
	p, err := childproc.Fork(context.Background(), "fail", nil, &childproc.Options{Stderr: childproc.Writer(&stderr)})
	require.NoError(t, err)
	var ee *childproc.ExitError
	require.ErrorAs(t, p.Wait(), &ee)
	assert.Equal(t, 1, ee.ExitCode)
	assert.Equal(t, "childproc: role \"fail\": role failed on purpose\n", stderr.String())

	stderr = testkit.SyncBuffer{}
	p, err = childproc.Fork(context.Background(), "nobody-registered-this", nil, &childproc.Options{Stderr: childproc.Writer(&stderr)})
	require.NoError(t, err)
	require.ErrorAs(t, p.Wait(), &ee)
	assert.Equal(t, 2, ee.ExitCode)
	assert.Contains(t, stderr.String(), `role "nobody-registered-this" is not registered`)
	collect(t, p)
}

func TestForkSIGTERMCancelsRoleContextAndKeepsSignal(t *testing.T) {
	var stderr testkit.SyncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	p, err := childproc.Fork(ctx, "linger", nil, &childproc.Options{Stderr: childproc.Writer(&stderr)})
	require.NoError(t, err)
	ev := <-p.Events()
	require.Equal(t, childproc.EventSpawn, ev.Kind)
	ev = <-p.Events()
	require.Equal(t, `"waiting"`, string(ev.Message))
	cancel()
	var ee *childproc.ExitError
	require.ErrorAs(t, p.Wait(), &ee)
	assert.Equal(t, syscall.SIGTERM, ee.Signal)
	assert.True(t, ee.Killed)
	assert.Equal(t, "linger: stopping\n", stderr.String())
	collect(t, p)
}

func TestSendWithoutChannel(t *testing.T) {
	p, err := childproc.Spawn(context.Background(), "true", nil, &childproc.Options{Stdout: childproc.Ignore, Stderr: childproc.Ignore})
	require.NoError(t, err)
	assert.ErrorIs(t, p.Send("x"), childproc.ErrNoChannel)
	assert.ErrorIs(t, p.Disconnect(), childproc.ErrNoChannel)
	assert.False(t, p.Connected())
	require.NoError(t, p.Wait())
}

func TestForkUnreadMessagesDoNotLeakAfterCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	p, err := childproc.Fork(ctx, "count", nil, nil)
	require.NoError(t, err)
	require.NoError(t, p.Wait())
	cancel()
	// Nobody reads Events; goleak in TestMain checks nothing is left.
	time.Sleep(50 * time.Millisecond)
}

// TestDisconnectComesBeforeTheExitItCauses disconnects children that exit
// as soon as they see the close: EventDisconnect is queued before the
// channel closes, so it always precedes that EventExit, as in Node (the
// order once came out reversed under -race: TestSpawnNodeChildWithIPC).
func TestDisconnectComesBeforeTheExitItCauses(t *testing.T) {
	for _, recv := range []bool{false, true} {
		t.Run(fmt.Sprintf("IPCRecv=%v", recv), func(t *testing.T) {
			for range 5 {
				p, err := childproc.Fork(context.Background(), "echo", nil, &childproc.Options{IPCRecv: recv})
				require.NoError(t, err)
				require.NoError(t, p.Disconnect())
				var got []string
				for ev := range p.Events() {
					got = append(got, ev.String())
				}
				require.Equal(t, []string{"spawn", "disconnect", "exit(code=0)", "close(code=0)"}, got)
				require.NoError(t, p.Wait())
			}
		})
	}
}
