//go:build linux && !spawnkit_portable

package ipc

import (
	"math"
	"os"
	"testing"
	"time"

	"github.com/spawnkit/spawnkit/internal/testkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDeadlineOutsideUnixNanoRange: a deadline too far in the future for
// Unix nanoseconds (after 2262: time.Now().Add(math.MaxInt64), year 9999,
// the usual "no timeout") is no deadline for the read, whether it reads
// data that is ready, parks, or waits in the blocking window; one before
// 1678 has passed.
func TestDeadlineOutsideUnixNanoRange(t *testing.T) {
	for _, dl := range []time.Time{
		time.Now().Add(math.MaxInt64),
		time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Date(2263, 1, 1, 0, 0, 0, 0, time.UTC),
	} {
		ch, raw := rawPair(t, nil)
		require.NoError(t, ch.SetReadDeadline(dl))
		_, err := raw.Write([]byte("1\n"))
		require.NoError(t, err)
		m, err := ch.Recv()
		require.NoError(t, err, "data ready, deadline %v", dl)
		assert.Equal(t, "1", string(m))

		got := make(chan error, 1)
		go func() { // parks, or first blocks in recvmsg (a Send since the last Recv)
			m, err := ch.Recv()
			if err == nil && string(m) != "2" {
				t.Errorf("Recv = %s, want 2", m)
			}
			got <- err
		}()
		require.NoError(t, ch.Send(0))
		time.Sleep(20 * time.Millisecond)
		_, err = raw.Write([]byte("2\n"))
		require.NoError(t, err)
		require.NoError(t, testkit.RecvOrFail(t, got, time.Minute, "Recv never returned"), "deadline %v", dl)
	}

	ch, raw := rawPair(t, nil)
	require.NoError(t, ch.SetReadDeadline(time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC)))
	_, err := raw.Write([]byte("1\n"))
	require.NoError(t, err)
	_, err = ch.Recv()
	require.ErrorIs(t, err, os.ErrDeadlineExceeded, "a deadline in 1600")
}
