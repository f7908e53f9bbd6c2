//go:build unix

package ipc

import (
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEarlyAckNeverSendsAnotherDescriptor: a peer that answers
// NODE_HANDLE_ACK before the handle was even written (a hostile or broken
// peer) never makes SendFile send a different descriptor: the channel's
// duplicate of the file stays open until its message is on the wire, so
// its number cannot be taken by a file opened meanwhile. The early answer
// counts once the handle is written.
func TestEarlyAckNeverSendsAnotherDescriptor(t *testing.T) {
	ch, raw := rawPair(t, nil)
	// A Send larger than the socket holds keeps the write turn while the
	// peer reads nothing: SendFile waits behind it with its handle in flight.
	big := Message(`"` + strings.Repeat("x", 4<<20) + `"`)
	sent := make(chan error, 2)
	go func() { sent <- ch.Send(big) }()
	time.Sleep(100 * time.Millisecond)
	r, w, err := os.Pipe()
	require.NoError(t, err)
	defer r.Close()
	defer w.Close()
	want := fdIno(t, int(r.Fd()))
	go func() { sent <- ch.SendFile("h", r) }()
	require.Eventually(t, func() bool { _, awaiting := ch.sendState(); return awaiting }, time.Minute, time.Millisecond)

	recvDone := make(chan struct{})
	go func() {
		defer close(recvDone)
		ch.Recv() // reads the early answer; ends at Close
	}()
	_, err = raw.Write([]byte(`{"cmd":"NODE_HANDLE_ACK"}` + "\n"))
	require.NoError(t, err)
	// The answer is read: kept as early while the handle waits to be
	// written (or acted on, had the handle been written first).
	require.Eventually(t, func() bool {
		ch.smu.Lock()
		defer ch.smu.Unlock()
		o := ch.inflight
		return o == nil || o.written || o.early != 0
	}, time.Minute, time.Millisecond, "the early answer was never read")
	// Files opened now take the lowest free numbers: the duplicate's, had
	// it been closed.
	for range 8 {
		f, err := os.Open(os.DevNull)
		require.NoError(t, err)
		defer f.Close()
	}

	lines := newRawLines(t, raw)
	line, fds := lines.next(time.Minute)
	assert.Len(t, line, len(big))
	line, more := lines.next(time.Minute) // the descriptor may come with the read that ended big
	fds = append(fds, more...)
	assert.Equal(t, `{"cmd":"NODE_HANDLE","type":"net.Native","msg":"h"}`, line)
	require.Len(t, fds, 1)
	assert.Equal(t, want, fdIno(t, fds[0]), "the peer got another file than the one sent")
	syscall.Close(fds[0])
	require.NoError(t, <-sent)
	require.NoError(t, <-sent)
	// The early answer counted: nothing waits for an acknowledgement.
	require.Eventually(t, func() bool { _, awaiting := ch.sendState(); return !awaiting }, time.Minute, time.Millisecond)
	require.NoError(t, ch.Send("after"))
	line, _ = lines.next(time.Minute)
	assert.Equal(t, `"after"`, line)
	ch.Close()
	<-recvDone
}
