//go:build linux && !spawnkit_portable

package ipc

import (
	"net"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// blockedPair returns a channel whose next Recv blocks in recvmsg (see
// wait_linux.go): one message was received and the socket left empty,
// then one was sent, as in a request/reply exchange. raw is the peer.
func blockedPair(t *testing.T) (*Channel, *net.UnixConn) {
	t.Helper()
	if maxPollers() < 1 {
		t.Skip("GOMAXPROCS=1: no read blocks in recvmsg (maxPollers)")
	}
	ch, raw := rawPair(t, nil)
	_, err := raw.Write([]byte("1\n"))
	require.NoError(t, err)
	m, err := ch.Recv()
	require.NoError(t, err)
	require.Equal(t, "1", string(m))
	require.NoError(t, ch.Send(2))
	return ch, raw
}

// waitBlocked waits until a read blocks in recvmsg.
func waitBlocked(t *testing.T) {
	t.Helper()
	require.Eventually(t, func() bool { return pollers.Load() == 1 }, 10*time.Second, time.Millisecond,
		"the Recv after a Send never blocked in recvmsg")
}

// setPollWindow sets pollWindow for one test.
func setPollWindow(t *testing.T, d time.Duration) {
	old := pollWindow
	pollWindow = d
	t.Cleanup(func() { pollWindow = old })
}

// TestRecvBlocksInKernelAfterSend: the Recv that waits for an answer
// blocks in recvmsg (GOMAXPROCS−1 readers at most), reads the answer from
// there, and the next one does too; Close wakes one that blocks (with
// shutdown(2)) at once, however long the window, and it returns
// net.ErrClosed.
func TestRecvBlocksInKernelAfterSend(t *testing.T) {
	setPollWindow(t, time.Hour)
	ch, raw := blockedPair(t)

	got := make(chan error, 1)
	go func() {
		m, err := ch.Recv()
		if err == nil && string(m) != "3" {
			t.Errorf("Recv = %s, want 3", m)
		}
		got <- err
	}()
	waitBlocked(t)
	_, err := raw.Write([]byte("3\n"))
	require.NoError(t, err)
	require.NoError(t, <-got)
	assert.Zero(t, pollers.Load())

	require.NoError(t, ch.Send(4))
	go func() {
		_, err := ch.Recv()
		got <- err
	}()
	waitBlocked(t)
	requireCloseWakesRecv(t, ch, got) // the window is an hour: only Close can
	assert.Zero(t, pollers.Load())

	// The peer reads what was sent, then end-of-file.
	buf := make([]byte, 16)
	raw.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, err := raw.Read(buf)
	require.NoError(t, err)
	assert.Equal(t, "2\n4\n", string(buf[:n]))
}

// TestBlockedRecvDeadline: a deadline set before a Recv that blocks in
// recvmsg bounds the blocking (the window is an hour here), and one set
// while it blocks ends it once the window is over; the error does not
// stick, and the answer that comes later is read.
func TestBlockedRecvDeadline(t *testing.T) {
	setPollWindow(t, time.Hour)
	ch, raw := blockedPair(t)

	start := time.Now()
	require.NoError(t, ch.SetReadDeadline(start.Add(50*time.Millisecond)))
	_, err := ch.Recv()
	require.ErrorIs(t, err, os.ErrDeadlineExceeded)
	elapsed := time.Since(start)
	assert.GreaterOrEqual(t, elapsed, 50*time.Millisecond)
	assert.Less(t, elapsed, 5*time.Second)

	// Set while blocked: effective when the window ends (200 ms here).
	// (A read that failed blocks no more until one succeeds again.)
	pollWindow = 200 * time.Millisecond
	require.NoError(t, ch.SetReadDeadline(time.Time{}))
	_, err = raw.Write([]byte("3\n"))
	require.NoError(t, err)
	m, err := ch.Recv()
	require.NoError(t, err)
	require.Equal(t, "3", string(m))
	require.NoError(t, ch.Send(4))
	got := make(chan error, 1)
	go func() {
		_, err := ch.Recv()
		got <- err
	}()
	waitBlocked(t)
	start = time.Now()
	require.NoError(t, ch.SetReadDeadline(start))
	select {
	case err := <-got:
		assert.ErrorIs(t, err, os.ErrDeadlineExceeded)
	case <-time.After(10 * time.Second):
		t.Fatal("a deadline set while Recv blocked in recvmsg never ended it")
	}
	assert.Less(t, time.Since(start), 5*time.Second)

	require.NoError(t, ch.SetReadDeadline(time.Time{}))
	_, err = raw.Write([]byte("5\n"))
	require.NoError(t, err)
	m, err = ch.Recv()
	require.NoError(t, err)
	assert.Equal(t, "5", string(m))
}

// TestHandOffReaderParks: a reader that reads again at once, without
// sending in between (childproc's Events reader), does not block in
// recvmsg: it parks in the netpoller.
func TestHandOffReaderParks(t *testing.T) {
	setPollWindow(t, time.Hour)
	ch, raw := rawPair(t, nil)
	_, err := raw.Write([]byte("1\n"))
	require.NoError(t, err)
	_, err = ch.Recv()
	require.NoError(t, err)
	got := make(chan error, 1)
	go func() {
		_, err := ch.Recv()
		got <- err
	}()
	time.Sleep(50 * time.Millisecond)
	assert.Zero(t, pollers.Load())
	_, err = raw.Write([]byte("2\n"))
	require.NoError(t, err)
	require.NoError(t, <-got)
}
