//go:build unix

package ipc

import (
	"net"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spawnkit/spawnkit/internal/testkit"
)

// TestSetReadDeadline: a deadline ends a waiting Recv with
// os.ErrDeadlineExceeded without closing the channel or losing a message
// that was partly received; removing it lets Recv go on.
func TestSetReadDeadline(t *testing.T) {
	ch, raw := rawPair(t, nil)

	start := time.Now()
	require.NoError(t, ch.SetReadDeadline(start.Add(50*time.Millisecond)))
	_, err := ch.Recv()
	require.ErrorIs(t, err, os.ErrDeadlineExceeded)
	assert.GreaterOrEqual(t, time.Since(start), 50*time.Millisecond)

	// Half a message, then the deadline again: still not an error that
	// sticks, and the half is kept.
	_, err = raw.Write([]byte(`{"a":`))
	require.NoError(t, err)
	_, err = ch.Recv()
	require.ErrorIs(t, err, os.ErrDeadlineExceeded)

	require.NoError(t, ch.SetReadDeadline(time.Time{}))
	_, err = raw.Write([]byte("1}\n[2]\n"))
	require.NoError(t, err)
	m, err := ch.Recv()
	require.NoError(t, err)
	assert.Equal(t, `{"a":1}`, m.String())
	m, err = ch.Recv()
	require.NoError(t, err)
	assert.Equal(t, `[2]`, m.String())

	// Set from another goroutine while Recv waits.
	go func() {
		time.Sleep(20 * time.Millisecond)
		ch.SetReadDeadline(time.Now())
	}()
	_, err = ch.Recv()
	require.ErrorIs(t, err, os.ErrDeadlineExceeded)

	require.NoError(t, ch.SetReadDeadline(time.Time{}))
	_, err = raw.Write([]byte("3\n"))
	require.NoError(t, err)
	m, err = ch.Recv()
	require.NoError(t, err)
	assert.Equal(t, `3`, m.String())

	require.NoError(t, ch.Close())
	require.ErrorIs(t, ch.SetReadDeadline(time.Now()), net.ErrClosed)
}

// TestCloseInterruptsWaitingRecv: Close ends a Recv that waits for data
// promptly, with net.ErrClosed, whether it just started or was parked.
func TestCloseInterruptsWaitingRecv(t *testing.T) {
	for i := range 50 {
		ch, _ := rawPair(t, nil)
		errc := make(chan error, 1)
		go func() {
			_, err := ch.Recv()
			errc <- err
		}()
		time.Sleep(time.Duration(i%3) * time.Millisecond) // at once, or once it waits
		requireCloseWakesRecv(t, ch, errc)
	}
}

// requireCloseWakesRecv closes ch while a Recv on it waits for data (errc
// gets its error) and fails t unless that Recv returns net.ErrClosed. The
// Recv would wait for good otherwise: the minute's bound is for a hang
// only, never reached by a slow machine.
func requireCloseWakesRecv(t *testing.T, ch *Channel, errc <-chan error) {
	t.Helper()
	require.NoError(t, ch.Close())
	err := testkit.RecvOrFail(t, errc, time.Minute, "Recv still blocked a minute after Close")
	require.ErrorIs(t, err, net.ErrClosed)
}
