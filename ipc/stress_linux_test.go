//go:build linux && !spawnkit_portable

package ipc

import (
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spawnkit/spawnkit/internal/testkit"
)

// TestStressManyBusyChannelsBoundedThreads: with a thousand channels in
// request/reply exchanges at once, the readers that block in recvmsg are
// at most GOMAXPROCS−1 (maxPollers) and the process's thread count stays
// bounded by a figure that depends on GOMAXPROCS, not on the number of
// channels; every reply is the one asked for.
func TestStressManyBusyChannelsBoundedThreads(t *testing.T) {
	n := testkit.Iterations(1000, 4)
	rounds := 20
	testkit.NoLeaks(t)
	before := testkit.Threads(t)

	var maxPollersSeen, maxThreads atomic.Int64
	stop := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Go(func() {
		for {
			maxPollersSeen.Store(max(maxPollersSeen.Load(), int64(pollers.Load())))
			maxThreads.Store(max(maxThreads.Load(), int64(testkit.Threads(t))))
			select {
			case <-stop:
				return
			case <-time.After(200 * time.Microsecond):
			}
		}
	})

	var wg sync.WaitGroup
	var failures atomic.Int64
	for i := range n {
		a, f, err := Pair()
		require.NoError(t, err)
		b, err := New(f, nil)
		require.NoError(t, err)
		wg.Go(func() { // the echo side
			defer b.Close()
			for {
				m, err := b.Recv()
				if err != nil {
					if err != io.EOF {
						t.Errorf("echo %d: %v", i, err)
					}
					return
				}
				if err := b.Send(m); err != nil {
					t.Errorf("echo %d: %v", i, err)
					return
				}
			}
		})
		wg.Go(func() { // the asking side
			defer a.Close()
			for r := range rounds {
				want := strconv.Itoa(i*1000 + r)
				if err := a.Send(Message(want)); err != nil {
					t.Errorf("ask %d: %v", i, err)
					failures.Add(1)
					return
				}
				m, err := a.Recv()
				if err != nil || string(m) != want {
					t.Errorf("ask %d round %d: %q, %v; want %s", i, r, m, err, want)
					failures.Add(1)
					return
				}
			}
		})
	}
	testkit.WaitOrFail(t, &wg, 5*time.Minute, "%d channels exchanging %d messages each did not finish", n, rounds)
	close(stop)
	sampler.Wait()
	procs := runtime.GOMAXPROCS(0)
	t.Logf("GOMAXPROCS %d, threads before %d, peak %d, peak readers in recvmsg %d", procs, before, maxThreads.Load(), maxPollersSeen.Load())
	assert.LessOrEqual(t, maxPollersSeen.Load(), int64(maxPollers()), "readers blocked in recvmsg at once")
	// Each blocked reader holds a thread, each P runs one more, the
	// runtime keeps a few of its own (sysmon, the template thread, one in
	// the netpoller), and on a loaded machine a thread descheduled in any
	// system call has its P handed to another: about 2*GOMAXPROCS+10 with
	// 1000 or 4000 channels at load 20. A thread per busy channel would be
	// hundreds.
	assert.LessOrEqual(t, maxThreads.Load(), int64(before+4*procs+16), "threads with %d busy channels", n)
	assert.Zero(t, pollers.Load())
}

// TestStressCloseRacesRecvSendDeadline: Close at a random moment while one
// goroutine receives (blocked in recvmsg or in the netpoller), others send
// and another moves the read deadline: every call returns (nothing hangs),
// with nil or a documented error only (net.ErrClosed after Close, a
// deadline error, never another), the messages received are the peer's in
// order, and nothing is left behind (descriptors, goroutines, readers in
// recvmsg).
func TestStressCloseRacesRecvSendDeadline(t *testing.T) {
	n := testkit.Iterations(1000, 10)
	testkit.NoLeaks(t)
	for i := range n {
		a, f, err := Pair()
		require.NoError(t, err)
		b, err := New(f, nil)
		require.NoError(t, err)
		var wg sync.WaitGroup
		wg.Go(func() { // the peer: echoes, numbered
			defer b.Close()
			for k := 0; ; k++ {
				if _, err := b.Recv(); err != nil {
					return
				}
				if b.Send(k) != nil {
					return
				}
			}
		})
		recvErr := make(chan error, 1)
		wg.Go(func() { // asks and checks the order of the answers
			next := 0
			for {
				if err := a.Send("q"); err != nil {
					if !errors.Is(err, net.ErrClosed) {
						recvErr <- err
						return
					}
				}
				m, err := a.Recv()
				switch {
				case err == nil:
					if string(m) != strconv.Itoa(next) {
						recvErr <- errors.New("answer " + string(m) + ", want " + strconv.Itoa(next))
						return
					}
					next++
				case errors.Is(err, os.ErrDeadlineExceeded):
				case errors.Is(err, net.ErrClosed):
					recvErr <- nil
					return
				default:
					recvErr <- err
					return
				}
			}
		})
		wg.Go(func() { // another sender (a few: a flood would fill both sockets)
			for range 50 {
				if a.Send("q") != nil {
					return
				}
				runtime.Gosched()
			}
		})
		wg.Go(func() { // deadlines, some passed, some not
			for range 20 {
				var dl time.Time
				switch rand.IntN(3) {
				case 0:
					dl = time.Now()
				case 1:
					dl = time.Now().Add(time.Duration(rand.IntN(2000)) * time.Microsecond)
				}
				if err := a.SetReadDeadline(dl); err != nil {
					if !errors.Is(err, net.ErrClosed) {
						t.Errorf("iteration %d: SetReadDeadline: %v", i, err)
					}
					return
				}
				time.Sleep(time.Duration(rand.IntN(300)) * time.Microsecond)
			}
			a.SetReadDeadline(time.Time{})
		})
		time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond)
		require.NoError(t, a.Close())
		testkit.WaitOrFail(t, &wg, 2*time.Minute, "iteration %d: a call did not return after Close", i)
		if err := <-recvErr; err != nil {
			t.Fatalf("iteration %d: %v", i, err)
		}
	}
	assert.Zero(t, pollers.Load())
}

// TestStressPeerGoneMidStream: a peer that goes away at a random moment
// while Recv waits for its answer (in recvmsg or in the netpoller),
// having written whole messages and maybe part of one, with or without
// reading what was sent to it first (a close, or a reset): Recv returns
// the whole messages, then io.ErrUnexpectedEOF when a message was cut,
// io.EOF when none was, and repeats that error.
func TestStressPeerGoneMidStream(t *testing.T) {
	n := testkit.Iterations(1000, 10)
	testkit.NoLeaks(t)
	for i := range n {
		ch, raw := rawPair(t, nil)
		_, err := raw.Write([]byte("0\n"))
		require.NoError(t, err)
		m, err := ch.Recv()
		require.NoError(t, err)
		require.Equal(t, "0", string(m))
		require.NoError(t, ch.Send("question"))
		whole := rand.IntN(3)
		cut := rand.IntN(2) == 1
		readFirst := rand.IntN(2) == 1
		go func() {
			time.Sleep(time.Duration(rand.IntN(2000)) * time.Microsecond)
			if readFirst {
				raw.Read(make([]byte, 64))
			}
			var out []byte
			for k := 1; k <= whole; k++ {
				out = strconv.AppendInt(out, int64(k), 10)
				out = append(out, '\n')
			}
			if cut {
				out = append(out, `{"cut":`...)
			}
			raw.Write(out)
			raw.Close()
		}()
		for k := 1; k <= whole; k++ {
			m, err := ch.Recv()
			require.NoError(t, err, "iteration %d", i)
			require.Equal(t, strconv.Itoa(k), string(m), "iteration %d", i)
		}
		want := io.EOF
		if cut {
			want = io.ErrUnexpectedEOF
		}
		for range 2 {
			_, err := ch.Recv()
			require.ErrorIs(t, err, want, "iteration %d (peer read first: %v)", i, readFirst)
		}
		require.NoError(t, ch.Close())
	}
	assert.Zero(t, pollers.Load())
}
