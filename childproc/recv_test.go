//go:build unix

package childproc_test

import (
	"context"
	"errors"
	"io"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spawnkit/spawnkit/childproc"
	"github.com/spawnkit/spawnkit/ipc"
)

// TestRecvRoundTrips: with Options.IPCRecv the caller reads replies with
// Recv, in order; Events carries no message, and Disconnect makes Recv
// return ErrDisconnected, then the events end as usual.
func TestRecvRoundTrips(t *testing.T) {
	p, err := childproc.Fork(context.Background(), "echo", nil, &childproc.Options{IPCRecv: true})
	require.NoError(t, err)
	ctx := context.Background()
	for i, msg := range []string{`{"n":1}`, `"✓"`, `[9007199254740991]`} {
		require.NoError(t, p.Send(ipc.Message(msg)))
		m, err := p.Recv(ctx)
		require.NoError(t, err, "round trip %d", i)
		assert.Equal(t, `{"echo":`+msg+`}`, m.String())
	}
	// Two sent before reading: both come back, in order.
	require.NoError(t, p.Send(1))
	require.NoError(t, p.Send(2))
	for _, want := range []string{`{"echo":1}`, `{"echo":2}`} {
		m, err := p.Recv(ctx)
		require.NoError(t, err)
		assert.Equal(t, want, m.String())
	}
	require.NoError(t, p.Disconnect())
	_, err = p.Recv(ctx)
	require.ErrorIs(t, err, childproc.ErrDisconnected)
	_, err = p.Recv(ctx)
	require.ErrorIs(t, err, childproc.ErrDisconnected, "the end error repeats")
	require.NoError(t, p.Wait())
	assert.Equal(t, []string{"spawn", "disconnect", "exit(code=0)", "close(code=0)"}, kinds(collect(t, p)))
}

// TestRecvUntilEOF: the child's messages, then io.EOF once it exited and
// closed its end; EventDisconnect follows the end of the channel.
func TestRecvUntilEOF(t *testing.T) {
	p, err := childproc.Fork(context.Background(), "count", []string{"a", "b"}, &childproc.Options{IPCRecv: true})
	require.NoError(t, err)
	var got []string
	for {
		m, err := p.Recv(context.Background())
		if err != nil {
			require.ErrorIs(t, err, io.EOF)
			break
		}
		got = append(got, m.String())
	}
	assert.Equal(t, []string{`{"counter":1}`, `{"counter":2}`, `{"counter":3}`, `["a","b"]`}, got)
	_, err = p.Recv(context.Background())
	require.ErrorIs(t, err, io.EOF)
	require.NoError(t, p.Wait())
	evs := kinds(collect(t, p))
	assert.Contains(t, evs, "disconnect")
	assert.Equal(t, "spawn", evs[0])
	assert.Equal(t, "close(code=0)", evs[len(evs)-1])
	assert.Len(t, evs, 4)
}

// TestRecvContext: a Recv whose ctx ends returns its cause and leaves the
// channel usable; the next Recv gets the next message.
func TestRecvContext(t *testing.T) {
	p, err := childproc.Fork(context.Background(), "echo", nil, &childproc.Options{IPCRecv: true})
	require.NoError(t, err)
	defer func() {
		p.Disconnect()
		p.Wait()
		collect(t, p)
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = p.Recv(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.GreaterOrEqual(t, time.Since(start), 50*time.Millisecond)

	cause := errors.New("gave up")
	cctx, ccancel := context.WithCancelCause(context.Background())
	ccancel(cause)
	_, err = p.Recv(cctx)
	require.ErrorIs(t, err, cause, "an ended ctx is not even waited on")

	require.NoError(t, p.Send("again"))
	m, err := p.Recv(context.Background())
	require.NoError(t, err)
	assert.Equal(t, `{"echo":"again"}`, m.String())
	assert.True(t, p.Connected())
}

// TestRecvFile: a file sent by the child with its message comes back from
// RecvFile, open.
func TestRecvFile(t *testing.T) {
	p, err := childproc.Fork(context.Background(), "files", nil, &childproc.Options{IPCRecv: true})
	require.NoError(t, err)
	r, w, err := os.Pipe()
	require.NoError(t, err)
	defer r.Close()
	require.NoError(t, p.SendFile("hello", w))
	w.Close()
	m, f, err := p.RecvFile(context.Background())
	require.NoError(t, err)
	require.NotNil(t, f)
	defer f.Close()
	assert.Equal(t, `"read this"`, m.String())
	b, err := io.ReadAll(f)
	require.NoError(t, err)
	assert.Equal(t, "written by the child", string(b))
	b, err = io.ReadAll(r)
	require.NoError(t, err)
	assert.Equal(t, "child got \"hello\"\n", string(b))
	_, err = p.Recv(context.Background())
	require.ErrorIs(t, err, io.EOF)
	require.NoError(t, p.Wait())
	collect(t, p)
}

// TestRecvModes: Recv needs IPCRecv; Events never carries what Recv reads.
func TestRecvModes(t *testing.T) {
	p, err := childproc.Fork(context.Background(), "count", nil, nil)
	require.NoError(t, err)
	_, err = p.Recv(context.Background())
	require.ErrorIs(t, err, childproc.ErrEventsMode)
	require.NoError(t, p.Wait())
	var msgs []string
	for _, ev := range collect(t, p) {
		if ev.Kind == childproc.EventMessage {
			msgs = append(msgs, ev.Message.String())
		}
	}
	assert.Equal(t, []string{`{"counter":1}`, `{"counter":2}`, `{"counter":3}`, `[]`}, msgs)

	q, err := childproc.Spawn(context.Background(), "true", nil, &childproc.Options{
		Stdin: childproc.Ignore, Stdout: childproc.Ignore, Stderr: childproc.Ignore,
	})
	require.NoError(t, err)
	_, err = q.Recv(context.Background())
	require.ErrorIs(t, err, childproc.ErrNoChannel)
	require.NoError(t, q.Wait())
	collect(t, q)
}

// TestRecvUnreadChannelClosesAfterKillDelay: a caller that never calls
// Recv still gets EventClose, KillDelay after the exit, with the unread
// messages dropped.
func TestRecvUnreadChannelClosesAfterKillDelay(t *testing.T) {
	p, err := childproc.Fork(context.Background(), "count", nil, &childproc.Options{IPCRecv: true, KillDelay: 100 * time.Millisecond})
	require.NoError(t, err)
	require.NoError(t, p.Wait())
	assert.Equal(t, []string{"spawn", "exit(code=0)", "disconnect", "close(code=0)"}, kinds(collect(t, p)))
	_, err = p.Recv(context.Background())
	require.ErrorIs(t, err, childproc.ErrDisconnected)
}
