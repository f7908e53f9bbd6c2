//go:build unix

package childproc_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spawnkit/spawnkit/childproc"
	"github.com/spawnkit/spawnkit/internal/testkit"
	"github.com/spawnkit/spawnkit/ipc"
)

// echoed decodes the echo role's answer to [n, pad].
func echoed(m ipc.Message) (n int, size int, err error) {
	var v struct {
		Echo [2]any `json:"echo"`
	}
	if err := m.Decode(&v); err != nil {
		return 0, 0, err
	}
	f, ok1 := v.Echo[0].(float64)
	s, ok2 := v.Echo[1].(string)
	if !ok1 || !ok2 {
		return 0, 0, fmt.Errorf("answer %.80s is not [n, pad]", m)
	}
	return int(f), len(s), nil
}

// TestStressRecvCtxCancelKeepsOrder: a ctx that ends at a random moment
// of a Recv (before it, while it waits in the kernel or the netpoller,
// while a message of up to 256 KiB is half read) makes it return the
// ctx's cause and nothing else, and loses, repeats or damages no message:
// the answers read afterwards are every one asked for, in order, whole.
// Then the events end as usual and nothing leaks.
func TestStressRecvCtxCancelKeepsOrder(t *testing.T) {
	n := testkit.Iterations(1000, 10)
	testkit.NoLeaks(t)
	p, err := childproc.Fork(context.Background(), "echo", nil, &childproc.Options{IPCRecv: true})
	require.NoError(t, err)
	sizes := make([]int, n)
	next, cancelled := 0, 0
	check := func(m ipc.Message) {
		t.Helper()
		k, size, err := echoed(m)
		require.NoError(t, err)
		require.Equal(t, next, k, "answer out of order")
		require.Equal(t, sizes[k], size, "answer %d damaged", k)
		next++
	}
	cause := errors.New("gave up on purpose")
	for i := range n {
		// Answers left unread by cancelled calls fill the socket: a
		// caller that sends on without reading would block the echo,
		// and so its own Send. Three at most are left.
		for i-next >= 3 {
			m, err := p.Recv(context.Background())
			require.NoError(t, err, "answer %d", next)
			check(m)
		}
		sizes[i] = rand.IntN(4) * rand.IntN(64<<10)
		require.NoError(t, p.Send([]any{i, strings.Repeat("x", sizes[i])}))
		ctx, cancel := context.WithCancelCause(context.Background())
		switch rand.IntN(4) {
		case 0:
			cancel(cause)
		case 1:
			time.AfterFunc(time.Duration(rand.IntN(50))*time.Microsecond, func() { cancel(cause) })
		default:
			time.AfterFunc(time.Duration(rand.IntN(2000))*time.Microsecond, func() { cancel(cause) })
		}
		m, err := p.Recv(ctx)
		cancel(nil)
		if err != nil {
			require.ErrorIs(t, err, cause, "Recv %d", i)
			cancelled++
			continue
		}
		check(m)
	}
	for next < n {
		m, err := p.Recv(context.Background())
		require.NoError(t, err, "answer %d after the loop", next)
		check(m)
	}
	t.Logf("%d Recv calls of %d cancelled", cancelled, n)
	require.NoError(t, p.Disconnect())
	require.NoError(t, p.Wait())
	assert.Equal(t, []string{"spawn", "disconnect", "exit(code=0)", "close(code=0)"}, kinds(collect(t, p)))
}

// TestStressRecvEventsWaitDisconnect: in Recv mode, with Recv, Events,
// Wait and Disconnect called at once from their own goroutines at random
// moments, Events never carries a message, Recv returns the child's
// messages in order and then only ErrDisconnected or io.EOF (repeated),
// the events come in their documented order, every call returns, and
// nothing leaks.
func TestStressRecvEventsWaitDisconnect(t *testing.T) {
	n := testkit.Iterations(200, 10)
	testkit.NoLeaks(t)
	for i := range n {
		p, err := childproc.Fork(context.Background(), "sk-burst", nil, &childproc.Options{IPCRecv: true, KillDelay: 50 * time.Millisecond, Stderr: childproc.Ignore})
		require.NoError(t, err)
		var wg sync.WaitGroup
		var evs []childproc.Event
		wg.Go(func() { evs = collect(t, p) })
		code := 0
		wg.Go(func() {
			// A Disconnect in the middle of the burst makes the
			// child's Send fail, and the role exit with 1.
			if err := p.Wait(); err != nil {
				var ee *childproc.ExitError
				if !errors.As(err, &ee) || ee.ExitCode != 1 {
					t.Errorf("iteration %d: Wait: %v", i, err)
				}
				code = 1
			}
		})
		wg.Go(func() {
			time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond)
			if err := p.Disconnect(); err != nil && !errors.Is(err, childproc.ErrDisconnected) {
				t.Errorf("iteration %d: Disconnect: %v", i, err)
			}
		})
		wg.Go(func() {
			want := 0
			for {
				m, err := p.Recv(context.Background())
				if err != nil {
					if !errors.Is(err, childproc.ErrDisconnected) && !errors.Is(err, io.EOF) {
						t.Errorf("iteration %d: Recv after %d messages: %v", i, want, err)
					}
					_, again := p.Recv(context.Background())
					if !errors.Is(again, err) && again.Error() != err.Error() {
						t.Errorf("iteration %d: end error %v, then %v", i, err, again)
					}
					return
				}
				var v struct{ N int }
				if err := m.Decode(&v); err != nil || v.N != want {
					t.Errorf("iteration %d: message %s, want n=%d", i, m, want)
					return
				}
				want++
			}
		})
		testkit.WaitOrFail(t, &wg, 2*time.Minute, "iteration %d: a call did not return", i)
		got := kinds(evs)
		for _, ev := range evs {
			if ev.Kind == childproc.EventMessage {
				t.Fatalf("iteration %d: a message in Events in Recv mode: %v", i, got)
			}
		}
		require.Len(t, got, 4, "iteration %d: %v", i, got)
		assert.Equal(t, "spawn", got[0])
		exit := fmt.Sprintf("exit(code=%d)", code)
		assert.Equal(t, fmt.Sprintf("close(code=%d)", code), got[3], "iteration %d: %v", i, got)
		assert.ElementsMatch(t, []string{"disconnect", exit}, got[1:3], "iteration %d: %v", i, got)
		if t.Failed() {
			return
		}
	}
}
