//go:build linux && !spawnkit_portable

package ipc

import (
	"syscall"
	"testing"
	"time"

	"github.com/spawnkit/spawnkit/internal/testkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// TestPeerSendsOutOfBandByte: a hostile peer's out-of-band byte
// (MSG_OOB, which Linux has for Unix stream sockets since 5.15) neither
// hangs a parked Recv nor has it spin: the messages around it arrive, and
// a Recv parked after it with nothing else to read uses no CPU.
func TestPeerSendsOutOfBandByte(t *testing.T) {
	ch, raw := rawPair(t, nil)
	rc, err := raw.SyscallConn()
	require.NoError(t, err)
	var serr error
	send := func(b string, flags int) {
		t.Helper()
		require.NoError(t, rc.Write(func(fd uintptr) bool {
			serr = unix.Sendmsg(int(fd), []byte(b), nil, nil, flags)
			return true
		}))
		if serr == unix.EOPNOTSUPP {
			t.Skip("no MSG_OOB on Unix sockets here")
		}
		require.NoError(t, serr)
	}
	send(`{"a":`, 0)
	send("X", unix.MSG_OOB)
	send("1}\n", 0)
	m, err := ch.Recv()
	require.NoError(t, err)
	assert.Equal(t, `{"a":1}`, string(m))

	send("Y", unix.MSG_OOB) // alone in the socket
	got := make(chan error, 1)
	go func() {
		m, err := ch.Recv()
		if err == nil && string(m) != "2" {
			t.Errorf("Recv = %s, want 2", m)
		}
		got <- err
	}()
	var before, after syscall.Rusage
	require.NoError(t, syscall.Getrusage(syscall.RUSAGE_SELF, &before))
	time.Sleep(200 * time.Millisecond)
	require.NoError(t, syscall.Getrusage(syscall.RUSAGE_SELF, &after))
	cpu := time.Duration(after.Utime.Nano() + after.Stime.Nano() - before.Utime.Nano() - before.Stime.Nano())
	assert.Less(t, cpu, 100*time.Millisecond, "CPU used in 200 ms by a Recv waiting behind an out-of-band byte")
	send("2\n", 0)
	require.NoError(t, testkit.RecvOrFail(t, got, time.Minute, "Recv never returned"))
}
