//go:build linux && !spawnkit_portable

package ipc

import (
	"bufio"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spawnkit/spawnkit/internal/testkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// exhaustFDs lowers RLIMIT_NOFILE to the descriptors open now and fills
// every free number below it, so that the next descriptor the process
// asks for fails with EMFILE; the returned func undoes both.
func exhaustFDs(t *testing.T) (restore func()) {
	t.Helper()
	var old unix.Rlimit
	require.NoError(t, unix.Getrlimit(unix.RLIMIT_NOFILE, &old))
	maxFD := 0
	for _, s := range testkit.OpenFDs() {
		if fd, err := strconv.Atoi(strings.Fields(s)[0]); err == nil && fd > maxFD {
			maxFD = fd
		}
	}
	lim := old
	lim.Cur = uint64(maxFD + 1)
	require.NoError(t, unix.Setrlimit(unix.RLIMIT_NOFILE, &lim))
	var fill []int
	for {
		fd, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			require.ErrorIs(t, err, unix.EMFILE)
			break
		}
		fill = append(fill, fd)
	}
	return func() {
		for _, fd := range fill {
			unix.Close(fd)
		}
		unix.Setrlimit(unix.RLIMIT_NOFILE, &old)
	}
}

// TestSendWaitsWithoutDescriptors: a Send that has to wait for room when
// no descriptor is left for the writers' epoll set (EMFILE) waits all
// the same (in poll(2)), instead of failing with half its message
// written: the peer then gets every message whole. Close wakes such a
// Send at once, with net.ErrClosed.
func TestSendWaitsWithoutDescriptors(t *testing.T) {
	big := Message(`"` + strings.Repeat("e", 2<<20) + `"`)

	ch, raw := rawPair(t, nil)
	restore := exhaustFDs(t)
	sent := make(chan error, 1)
	go func() {
		err := ch.Send(big)
		if err == nil {
			err = ch.Send(2)
		}
		sent <- err
	}()
	waitWriterPolls(t, ch, sent, restore)
	restore()
	r := bufio.NewReaderSize(raw, 64<<10)
	l, err := r.ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, len(big)+1, len(l), "the large message arrives whole")
	assert.Equal(t, string(big)+"\n", l)
	l, err = r.ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, "2\n", l)
	require.NoError(t, testkit.RecvOrFail(t, sent, time.Minute, "Send never returned"))

	ch2, raw2 := rawPair(t, nil)
	restore = exhaustFDs(t)
	go func() { sent <- ch2.Send(big) }()
	waitWriterPolls(t, ch2, sent, restore)
	restore()
	require.NoError(t, ch2.Close())
	require.ErrorIs(t, testkit.RecvOrFail(t, sent, time.Minute, "Send still blocked after Close"), net.ErrClosed)
	raw2.Close()
}

// waitWriterPolls waits until ch's writer waits in poll(2), failing (after
// restore) if the Send returns first.
func waitWriterPolls(t *testing.T, ch *Channel, sent chan error, restore func()) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !ch.src.wblocked.Load() {
		select {
		case err := <-sent:
			restore()
			t.Fatalf("Send returned %v while the socket was full and no descriptor was left", err)
		case <-time.After(time.Millisecond):
		}
		if time.Now().After(deadline) {
			restore()
			t.Fatal("the Send never waited")
		}
	}
}
