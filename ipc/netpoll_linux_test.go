//go:build linux && !spawnkit_portable

package ipc

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/spawnkit/spawnkit/internal/testkit"
)

// socketInode returns the inode of ch's socket.
func socketInode(t *testing.T, ch *Channel) uint64 {
	t.Helper()
	var st syscall.Stat_t
	var serr error
	require.NoError(t, ch.src.control(func(fd uintptr) { serr = syscall.Fstat(int(fd), &st) }))
	require.NoError(t, serr)
	return st.Ino
}

// epollWatches returns the event masks with which the process's epoll sets
// (Go's netpoller's included) watch the file with inode ino, read from
// /proc/self/fdinfo.
func epollWatches(t *testing.T, ino uint64) []uint32 {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	require.NoError(t, err)
	var out []uint32
	for _, e := range entries {
		target, err := os.Readlink("/proc/self/fd/" + e.Name())
		if err != nil || target != "anon_inode:[eventpoll]" {
			continue
		}
		f, err := os.Open("/proc/self/fdinfo/" + e.Name())
		if err != nil {
			continue // closed meanwhile
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			// tfd:        7 events:       19 data: ...  pos:0 ino:4e2 sdev:9
			fields := strings.Fields(sc.Text())
			if len(fields) < 4 || fields[0] != "tfd:" {
				continue
			}
			var events, fino uint64
			for i, fl := range fields {
				if fl == "events:" && i+1 < len(fields) {
					events, _ = strconv.ParseUint(fields[i+1], 16, 32)
				}
				if s, ok := strings.CutPrefix(fl, "ino:"); ok {
					fino, _ = strconv.ParseUint(s, 16, 64)
				}
			}
			if fino == ino {
				out = append(out, uint32(events))
			}
		}
		f.Close()
	}
	return out
}

// armed returns the masks of epollWatches that ask for input or output.
func armed(t *testing.T, ino uint64) []string {
	t.Helper()
	var out []string
	for _, ev := range epollWatches(t, ino) {
		if ev&(unix.EPOLLIN|unix.EPOLLOUT) != 0 {
			out = append(out, fmt.Sprintf("%#x", ev))
		}
	}
	return out
}

// waitArmed waits until exactly one epoll set watches ino for want
// (EPOLLIN or EPOLLOUT): a goroutine parks on it.
func waitArmed(t *testing.T, ino uint64, want uint32) {
	t.Helper()
	require.Eventually(t, func() bool {
		w := armed(t, ino)
		if len(w) != 1 {
			return false
		}
		ev, _ := strconv.ParseUint(w[0], 0, 32)
		return uint32(ev)&want != 0
	}, time.Minute, time.Millisecond, "nothing parked on the socket (armed: %v)", armed(t, ino))
}

// TestStreamingSocketInNoEpollSet: while nobody waits for it, no epoll set
// of the process (Go's netpoller's included) watches a channel's socket
// for input or output, also while the peer streams messages to a reader;
// a reader that parks arms it in exactly one set, and once woken it is
// disarmed again.
func TestStreamingSocketInNoEpollSet(t *testing.T) {
	ch, raw := rawPair(t, nil)
	ino := socketInode(t, ch)
	assert.Empty(t, armed(t, ino), "a new channel's socket")

	const n = 2000
	line := strings.Repeat("x", 1000)
	written := make(chan error, 1)
	go func() {
		w := bufio.NewWriterSize(raw, 64<<10)
		for i := range n {
			fmt.Fprintf(w, "\"%d%s\"\n", i, line)
		}
		written <- w.Flush()
	}()
	for i := range n {
		m, err := ch.Recv()
		require.NoError(t, err)
		require.Equal(t, fmt.Sprintf("\"%d%s\"", i, line), string(m))
		if i%50 == 0 {
			require.Empty(t, armed(t, ino), "after message %d, nobody waiting", i)
		}
	}
	require.NoError(t, <-written)
	require.Empty(t, armed(t, ino))

	got := make(chan error, 1)
	go func() {
		m, err := ch.Recv()
		if err == nil && string(m) != "7" {
			err = fmt.Errorf("Recv = %s, want 7", m)
		}
		got <- err
	}()
	waitArmed(t, ino, unix.EPOLLIN)
	_, err := raw.Write([]byte("7\n"))
	require.NoError(t, err)
	require.NoError(t, testkit.RecvOrFail(t, got, time.Minute, "Recv never returned"))
	assert.Empty(t, armed(t, ino), "after the parked reader got its message")
}

// TestCloseWakesParkedReader: Close wakes a Recv parked on the channel's
// epoll set; it returns net.ErrClosed.
func TestCloseWakesParkedReader(t *testing.T) {
	ch, _ := rawPair(t, nil)
	ino := socketInode(t, ch)
	got := make(chan error, 1)
	go func() {
		_, err := ch.Recv()
		got <- err
	}()
	waitArmed(t, ino, unix.EPOLLIN)
	requireCloseWakesRecv(t, ch, got)
}

// TestParkedWriterCloseWakesIt: a Send to a peer that never reads parks
// (the socket is armed for output in one epoll set, and no thread is in
// sendmsg); Close wakes it with net.ErrClosed. A writer that waited once
// costs the channel a third descriptor, which Close closes.
func TestParkedWriterCloseWakesIt(t *testing.T) {
	testkit.NoLeaks(t)
	ch, raw := rawPair(t, nil)
	ino := socketInode(t, ch)
	fds := len(testkit.OpenFDs())
	big := Message(`"` + strings.Repeat("x", 4<<20) + `"`)
	got := make(chan error, 1)
	go func() { got <- ch.Send(big) }()
	waitArmed(t, ino, unix.EPOLLOUT)
	assert.Equal(t, fds+1, len(testkit.OpenFDs()), "the writers' epoll set")
	assert.Zero(t, testkit.ThreadsInSyscall(t, unix.SYS_SENDMSG), "threads in sendmsg")
	require.NoError(t, ch.Close())
	err := testkit.RecvOrFail(t, got, time.Minute, "Send still blocked a minute after Close")
	require.ErrorIs(t, err, net.ErrClosed)
	raw.Close()
}

// TestParkedWriterWokenByReader: a parked Send goes on when the peer reads,
// and everything arrives in order.
func TestParkedWriterWokenByReader(t *testing.T) {
	ch, raw := rawPair(t, nil)
	ino := socketInode(t, ch)
	big := Message(`"` + strings.Repeat("y", 2<<20) + `"`)
	got := make(chan error, 1)
	go func() {
		err := ch.Send(big)
		if err == nil {
			err = ch.Send(1)
		}
		got <- err
	}()
	waitArmed(t, ino, unix.EPOLLOUT)
	r := bufio.NewReader(raw)
	l, err := r.ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, string(big)+"\n", l)
	l, err = r.ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, "1\n", l)
	require.NoError(t, testkit.RecvOrFail(t, got, time.Minute, "Send never returned"))
	assert.Empty(t, armed(t, ino))
}

// TestDeadlineWhileParked: a deadline that passes while a Recv parks ends
// it with os.ErrDeadlineExceeded (set before it parked, or while it
// parks); the socket is then watched by no epoll set, and the channel
// goes on. A deadline that passed fails a Recv also when data is ready.
func TestDeadlineWhileParked(t *testing.T) {
	ch, raw := rawPair(t, nil)
	ino := socketInode(t, ch)

	require.NoError(t, ch.SetReadDeadline(time.Now().Add(100*time.Millisecond)))
	got := make(chan error, 1)
	go func() {
		_, err := ch.Recv()
		got <- err
	}()
	require.ErrorIs(t, testkit.RecvOrFail(t, got, time.Minute, "the deadline never ended Recv"), os.ErrDeadlineExceeded)
	assert.Empty(t, armed(t, ino))

	require.NoError(t, ch.SetReadDeadline(time.Time{}))
	go func() {
		_, err := ch.Recv()
		got <- err
	}()
	waitArmed(t, ino, unix.EPOLLIN)
	require.NoError(t, ch.SetReadDeadline(time.Now()))
	require.ErrorIs(t, testkit.RecvOrFail(t, got, time.Minute, "the deadline never ended Recv"), os.ErrDeadlineExceeded)
	assert.Empty(t, armed(t, ino))

	// A deadline that passed fails a Recv also when data is ready (as a
	// socket in Go's netpoller does); the data stays for the next one.
	_, err := raw.Write([]byte("8\n"))
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		var n int
		ch.src.control(func(fd uintptr) { n, _ = unix.IoctlGetInt(int(fd), unix.SIOCINQ) })
		return n == 2
	}, time.Minute, time.Millisecond)
	_, err = ch.Recv()
	require.ErrorIs(t, err, os.ErrDeadlineExceeded)
	require.NoError(t, ch.SetReadDeadline(time.Time{}))
	m, err := ch.Recv()
	require.NoError(t, err)
	assert.Equal(t, "8", string(m))
}

// TestChannelDescriptors: a Channel holds two descriptors (the socket and
// its readers' epoll set), three once a Send has waited for room, all
// close-on-exec; 1000
// channels opened, used (every tenth with a Send that waits) and closed
// leave no descriptor and no goroutine behind.
func TestChannelDescriptors(t *testing.T) {
	testkit.NoLeaks(t)
	// The runtime's netpoller opens descriptors of its own the first time
	// a descriptor is registered with it: have that done before counting.
	warm, wf, err := Pair()
	require.NoError(t, err)
	require.NoError(t, warm.Close())
	require.NoError(t, wf.Close())
	before := testkit.OpenFDs()
	base := len(before)
	a, f, err := Pair()
	require.NoError(t, err)
	assert.Equal(t, base+3, len(testkit.OpenFDs()), "Pair: the channel's two and the child end")
	b, err := New(f, nil)
	require.NoError(t, err)
	assert.Equal(t, base+4, len(testkit.OpenFDs()), "New: the child end becomes two")
	big := Message(`"` + strings.Repeat("z", 2<<20) + `"`)
	sent := make(chan error, 1)
	go func() { sent <- a.Send(big) }()
	waitArmed(t, socketInode(t, a), unix.EPOLLOUT)
	now := testkit.OpenFDs()
	assert.Equal(t, base+5, len(now), "a Send waited")
	for _, fd := range now {
		if !slices.Contains(before, fd) {
			n, err := strconv.Atoi(strings.Fields(fd)[0])
			require.NoError(t, err)
			assertCloexec(t, n)
		}
	}
	m, err := b.Recv()
	require.NoError(t, err)
	require.Equal(t, len(big), len(m))
	require.NoError(t, <-sent)
	require.NoError(t, a.Close())
	require.NoError(t, b.Close())
	assert.Equal(t, base, len(testkit.OpenFDs()), "after Close")

	for i := range 1000 {
		a, f, err := Pair()
		require.NoError(t, err)
		b, err := New(f, nil)
		require.NoError(t, err)
		msg := Message(strconv.Itoa(i))
		if i%10 == 0 {
			msg = big
		}
		go func() { sent <- a.Send(msg) }()
		m, err := b.Recv()
		require.NoError(t, err)
		require.Equal(t, len(msg), len(m))
		require.NoError(t, <-sent)
		require.NoError(t, a.Close())
		require.NoError(t, b.Close())
	}
	assert.Equal(t, base, len(testkit.OpenFDs()), "after 1000 channels")
}

// TestCloseRacesRecvSendDeadline: Close racing a Recv loop, a Send loop and
// SetReadDeadline calls, 1000 times: every call returns (Recv and Send
// with net.ErrClosed once closed), and nothing is left open.
func TestCloseRacesRecvSendDeadline(t *testing.T) {
	testkit.NoLeaks(t)
	rounds := 1000
	if testing.Short() {
		rounds = 100
	}
	for i := range rounds {
		a, b := newPair(t)
		var wg sync.WaitGroup
		errs := make(chan error, 3)
		wg.Go(func() { // echo in the peer, until a closes
			for {
				m, err := b.Recv()
				if err != nil {
					return
				}
				if b.Send(m) != nil {
					return
				}
			}
		})
		wg.Go(func() {
			for {
				_, err := a.Recv()
				if err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
					continue
				}
				errs <- err
				return
			}
		})
		wg.Go(func() {
			for j := 0; ; j++ {
				if err := a.Send(j); err != nil {
					errs <- err
					return
				}
			}
		})
		wg.Go(func() {
			for j := 0; ; j++ {
				if err := a.SetReadDeadline(time.Now().Add(time.Duration(j%3) * 100 * time.Microsecond)); err != nil {
					errs <- err
					return
				}
				time.Sleep(50 * time.Microsecond)
			}
		})
		time.Sleep(time.Duration(i%7) * 100 * time.Microsecond)
		require.NoError(t, a.Close())
		testkit.WaitOrFail(t, &wg, time.Minute, "round %d: a call still blocked a minute after Close", i)
		for range 3 {
			assert.ErrorIs(t, <-errs, net.ErrClosed, "round %d", i)
		}
		require.NoError(t, b.Close())
	}
}

// newPair is pair without t.Cleanup (for loops of many channels).
func newPair(t *testing.T) (a, b *Channel) {
	t.Helper()
	a, f, err := Pair()
	require.NoError(t, err)
	b, err = New(f, nil)
	require.NoError(t, err)
	return a, b
}
