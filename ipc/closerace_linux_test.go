//go:build linux && !spawnkit_portable

package ipc

import (
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spawnkit/spawnkit/internal/testkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// TestStressCloseNeverWritesReusedDescriptor: Close racing a parked
// reader, a parked writer in the middle of a large message, small Sends,
// AppendRecv and SetReadDeadline, while files are opened all along (each
// may get the number of a descriptor the channel just closed): no file
// ever receives a byte meant for the socket, every call returns, and
// nothing is left open.
func TestStressCloseNeverWritesReusedDescriptor(t *testing.T) {
	testkit.NoLeaks(t)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "f"), nil, 0o600))
	base := len(testkit.OpenFDs())
	big := Message(`"` + strings.Repeat("z", 1<<20) + `"`)
	rounds := testkit.Iterations(300, 10)
	for i := range rounds {
		a, peer, err := Pair()
		require.NoError(t, err)
		var wg sync.WaitGroup
		stop := make(chan struct{})
		closeFiles := reopenUntil(t, &wg, stop, filepath.Join(dir, "f"))
		if i%2 == 0 { // a peer that reads a little, then stops
			wg.Go(func() {
				buf := make([]byte, 4096)
				for range i % 50 {
					if _, err := peer.Read(buf); err != nil {
						return
					}
				}
			})
		}
		wg.Go(func() {
			for {
				if err := a.Send(big); err != nil {
					return
				}
			}
		})
		wg.Go(func() {
			for j := 0; ; j++ {
				if err := a.Send(j); err != nil {
					return
				}
			}
		})
		wg.Go(func() {
			var m Message
			for {
				var err error
				m, err = a.AppendRecv(m[:0])
				if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
					return
				}
			}
		})
		wg.Go(func() {
			for j := 0; ; j++ {
				if a.SetReadDeadline(time.Now().Add(time.Duration(j%3)*50*time.Microsecond)) != nil {
					return
				}
				runtime.Gosched()
			}
		})
		time.Sleep(time.Duration(rand.IntN(500)) * time.Microsecond)
		require.NoError(t, a.Close())
		close(stop)
		peer.Close()
		testkit.WaitOrFail(t, &wg, time.Minute, "round %d: a call still blocked a minute after Close", i)
		closeFiles()
		st, err := os.Stat(filepath.Join(dir, "f"))
		require.NoError(t, err)
		require.Zero(t, st.Size(), "round %d: a file opened during Close got the channel's bytes", i)
	}
	assert.Equal(t, base, len(testkit.OpenFDs()), "descriptors left open")
}

// TestBothParkedThenPeerDies: a reader and a writer parked on one channel
// at once both wake when the peer dies: the writer with an error, the
// reader with io.EOF (the peer's death with our data unread resets the
// connection, which counts as closed).
func TestBothParkedThenPeerDies(t *testing.T) {
	for range 20 {
		ch, raw := rawPair(t, nil)
		ino := socketInode(t, ch)
		rerr := make(chan error, 1)
		werr := make(chan error, 1)
		go func() {
			_, err := ch.Recv()
			rerr <- err
		}()
		go func() { werr <- ch.Send(Message(`"` + strings.Repeat("w", 4<<20) + `"`)) }()
		require.Eventually(t, func() bool { return len(armed(t, ino)) == 2 }, time.Minute, time.Millisecond,
			"reader and writer never both parked: %v", armed(t, ino))
		raw.Close()
		err := testkit.RecvOrFail(t, rerr, time.Minute, "parked Recv never woke after the peer died")
		assert.ErrorIs(t, err, io.EOF)
		err = testkit.RecvOrFail(t, werr, time.Minute, "parked Send never woke after the peer died")
		assert.Error(t, err)
		assert.False(t, errors.Is(err, net.ErrClosed), "Send: %v", err)
		ch.Close()
	}
}

// TestPeerDiesMidMessageWhileParked: a reader parked with half a message
// read wakes with io.ErrUnexpectedEOF when the peer closes (cleanly, or
// with our data unread), and with io.EOF after a whole one.
func TestPeerDiesMidMessageWhileParked(t *testing.T) {
	for _, tc := range []struct {
		name   string
		write  string
		unread bool
		want   error
	}{
		{"half", `{"a":`, false, io.ErrUnexpectedEOF},
		{"half-reset", `{"a":`, true, io.ErrUnexpectedEOF},
		{"whole", "{}\n", false, io.EOF},
		{"whole-reset", "{}\n", true, io.EOF},
		{"shut-wr-half", `[1,`, false, io.ErrUnexpectedEOF},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ch, raw := rawPair(t, nil)
			ino := socketInode(t, ch)
			if tc.unread {
				require.NoError(t, ch.Send("unread by the peer"))
			}
			got := make(chan error, 1)
			go func() {
				for {
					if _, err := ch.Recv(); err != nil {
						got <- err
						return
					}
				}
			}()
			_, err := raw.Write([]byte(tc.write))
			require.NoError(t, err)
			waitArmed(t, ino, unix.EPOLLIN)
			if strings.HasPrefix(tc.name, "shut-wr") {
				require.NoError(t, raw.CloseWrite())
			} else {
				raw.Close()
			}
			err = testkit.RecvOrFail(t, got, time.Minute, "Recv never woke")
			assert.ErrorIs(t, err, tc.want)
			_, err = ch.Recv()
			assert.ErrorIs(t, err, tc.want, "the error repeats")
		})
	}
}

// TestStressCloseRacesBlockingWindow: Close racing a request/reply loop
// whose Recv blocks in recvmsg (the blocking window, woken by
// shutdown(2)), at GOMAXPROCS 1 and 4, with files opened all along: every
// call returns net.ErrClosed, no file gets a byte, nothing is left open.
func TestStressCloseRacesBlockingWindow(t *testing.T) {
	testkit.NoLeaks(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	require.NoError(t, os.WriteFile(path, nil, 0o600))
	base := len(testkit.OpenFDs())
	for _, procs := range []int{1, 4} {
		old := runtime.GOMAXPROCS(procs)
		rounds := testkit.Iterations(300, 10)
		for i := range rounds {
			a, b := newPair(t)
			var wg sync.WaitGroup
			stop := make(chan struct{})
			closeFiles := reopenUntil(t, &wg, stop, path)
			wg.Go(func() { // the peer answers each request after a while
				for {
					m, err := b.Recv()
					if err != nil {
						return
					}
					time.Sleep(time.Duration(rand.IntN(300)) * time.Microsecond)
					if b.Send(m) != nil {
						return
					}
				}
			})
			errs := make(chan error, 1)
			wg.Go(func() {
				for j := 0; ; j++ {
					if err := a.Send(j); err != nil {
						errs <- err
						return
					}
					if _, err := a.Recv(); err != nil {
						errs <- err
						return
					}
				}
			})
			time.Sleep(time.Duration(rand.IntN(2000)) * time.Microsecond)
			require.NoError(t, a.Close())
			close(stop)
			testkit.WaitOrFail(t, &wg, time.Minute, "GOMAXPROCS=%d round %d: a call still blocked a minute after Close", procs, i)
			require.ErrorIs(t, <-errs, net.ErrClosed, "GOMAXPROCS=%d round %d", procs, i)
			b.Close()
			closeFiles()
			st, err := os.Stat(path)
			require.NoError(t, err)
			require.Zero(t, st.Size(), "round %d: a file opened during Close got the channel's bytes", i)
		}
		runtime.GOMAXPROCS(old)
	}
	assert.Zero(t, pollers.Load(), "readers counted in recvmsg")
	assert.Equal(t, base, len(testkit.OpenFDs()), "descriptors left open")
}

// TestIdleChannelsHoldNoThreads: 1000 channels, each with a Recv parked
// (half of them right after a Send, so that they first block in recvmsg
// for the window), hold no thread once parked, at GOMAXPROCS 4; a
// message to each wakes its Recv.
func TestIdleChannelsHoldNoThreads(t *testing.T) {
	testkit.NoLeaks(t)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	n := 1000
	if testing.Short() {
		n = 200
	}
	threads := testkit.Threads(t)
	type end struct{ a, b *Channel }
	ends := make([]end, n)
	got := make(chan error, n)
	for i := range ends {
		a, b := newPair(t)
		ends[i] = end{a, b}
		if i%2 == 0 {
			require.NoError(t, b.Send(0))
			_, err := a.Recv()
			require.NoError(t, err)
			require.NoError(t, a.Send(1))
		}
		go func() {
			m, err := a.Recv()
			if err == nil && string(m) != "7" {
				err = errors.New("got " + string(m))
			}
			got <- err
		}()
	}
	require.Eventually(t, func() bool { return pollers.Load() == 0 }, time.Minute, time.Millisecond)
	time.Sleep(50 * time.Millisecond)
	// At most maxPollers readers block in recvmsg, and the runtime may
	// start a few threads of its own: far fewer than one per channel.
	assert.LessOrEqual(t, testkit.Threads(t), threads+16, "threads with %d parked readers", n)
	for _, e := range ends {
		require.NoError(t, e.b.Send(7))
	}
	for range ends {
		require.NoError(t, testkit.RecvOrFail(t, got, time.Minute, "a parked Recv never woke"))
	}
	for _, e := range ends {
		e.a.Close()
		e.b.Close()
	}
}

// TestSendFileWhileSocketFull: SendFile behind a large Send to a peer that
// does not read yet (the writer parks, and the descriptor's sendmsg gets
// EAGAIN at first): once the peer reads, every message arrives in order
// and the descriptor comes with its own message, several times over.
func TestSendFileWhileSocketFull(t *testing.T) {
	testkit.NoLeaks(t)
	a, b := newPair(t)
	defer b.Close()
	acks := make(chan struct{})
	go func() { // a reads the acknowledgements
		defer close(acks)
		for {
			if _, err := a.Recv(); err != nil {
				return
			}
		}
	}()
	defer func() { a.Close(); <-acks }()
	big := Message(`"` + strings.Repeat("q", 3<<20) + `"`)
	for round := range 5 {
		f, err := os.CreateTemp(t.TempDir(), "h")
		require.NoError(t, err)
		defer f.Close()
		_, err = f.WriteString("round " + string(rune('0'+round)))
		require.NoError(t, err)
		errs := make(chan error, 2)
		go func() { errs <- a.Send(big) }()
		ino := socketInode(t, a)
		require.Eventually(t, func() bool {
			for _, ev := range epollWatches(t, ino) {
				if ev&unix.EPOLLOUT != 0 {
					return true
				}
			}
			return false
		}, time.Minute, time.Millisecond, "round %d: the Send never parked: %v", round, armed(t, ino))
		go func() { errs <- a.SendFile(map[string]int{"round": round}, f) }()
		time.Sleep(10 * time.Millisecond) // let SendFile reach the socket, or queue
		m, err := b.Recv()
		require.NoError(t, err)
		require.Equal(t, len(big), len(m))
		m, got, err := b.RecvFile()
		require.NoError(t, err)
		require.JSONEq(t, `{"round":`+string(rune('0'+round))+`}`, string(m))
		require.NotNil(t, got, "round %d: the descriptor did not come with its message", round)
		buf := make([]byte, 64)
		n, _ := got.ReadAt(buf, 0)
		assert.Equal(t, "round "+string(rune('0'+round)), string(buf[:n]))
		got.Close()
		f.Close()
		for range 2 {
			require.NoError(t, testkit.RecvOrFail(t, errs, time.Minute, "a send never returned"))
		}
	}
}

// TestCloseMidLargeMessage: Close while a Send is part-way through a large
// message (parked, the peer reading slowly): the Send returns
// net.ErrClosed and the peer's Recv io.ErrUnexpectedEOF, never a cut
// message, every time.
func TestCloseMidLargeMessage(t *testing.T) {
	big := Message(`"` + strings.Repeat("m", 3<<20) + `"`)
	for i := range 20 {
		a, b := newPair(t)
		sent := make(chan error, 1)
		ino := socketInode(t, a)
		go func() { sent <- a.Send(big) }()
		require.Eventually(t, func() bool { // part of it is written
			for _, ev := range epollWatches(t, ino) {
				if ev&unix.EPOLLOUT != 0 {
					return true
				}
			}
			return false
		}, time.Minute, time.Millisecond, "round %d: the Send never parked", i)
		got := make(chan error, 1)
		go func() {
			m, err := b.Recv()
			if err == nil {
				_ = m
			}
			got <- err
		}()
		time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond)
		require.NoError(t, a.Close())
		err := testkit.RecvOrFail(t, sent, time.Minute, "round %d: Send still blocked after Close", i)
		if err != nil {
			require.ErrorIs(t, err, net.ErrClosed, "round %d", i)
			require.ErrorIs(t, testkit.RecvOrFail(t, got, time.Minute, "round %d: Recv never returned", i), io.ErrUnexpectedEOF, "round %d", i)
		} else {
			// The whole message went out before Close.
			require.NoError(t, testkit.RecvOrFail(t, got, time.Minute, "round %d: Recv never returned", i), "round %d", i)
		}
		b.Close()
	}
}

// reopenUntil opens path again and again until stop is closed, keeping the
// last eight open, so that each may get the number of a descriptor a
// channel has just closed (no O_TRUNC: what was written stays). Once wg is
// done, closeFiles closes those still open.
func reopenUntil(t *testing.T, wg *sync.WaitGroup, stop <-chan struct{}, path string) (closeFiles func()) {
	var files []*os.File
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			f, err := os.OpenFile(path, os.O_RDWR, 0)
			if err != nil {
				t.Error(err)
				return
			}
			files = append(files, f)
			if len(files) > 8 {
				files[0].Close()
				files = files[1:]
			}
			runtime.Gosched()
		}
	})
	return func() {
		for _, f := range files {
			f.Close()
		}
	}
}
