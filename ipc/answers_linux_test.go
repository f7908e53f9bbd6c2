package ipc

import (
	"encoding/json"
	"io"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// TestSendFileBothWaysWithFullSockets has two Go peers send each other
// big messages and handles at once, each receiving all the while: both
// sockets are full most of the time, and each receiver owes the other
// acknowledgements. Neither may stop: a receiver never waits to write an
// answer while it has room (answers.go), and a sender writes nothing after
// a handle until its acknowledgement, so the socket an answer goes on is
// never full of messages the other side waits to read (the package
// documentation says why). The same exchange passed before answers were
// written by a goroutine, for that second reason; the test keeps both.
func TestSendFileBothWaysWithFullSockets(t *testing.T) {
	testSendFileBothWays(t, 1)
}

// TestSendFileBothWaysWithFullSocketsManySenders is the same exchange with
// three sending goroutines on each side, so that Sends also wait for
// their turn to write behind one blocked on the full socket while the
// receiver acts on acknowledgements.
func TestSendFileBothWaysWithFullSocketsManySenders(t *testing.T) {
	testSendFileBothWays(t, 3)
}

func testSendFileBothWays(t *testing.T, senders int) {
	a, b := pair(t, nil)
	rounds := 100 / senders
	big, err := json.Marshal(strings.Repeat("x", 128<<10))
	require.NoError(t, err)
	errs := make(chan error, 2+4*senders)
	send := func(c *Channel) {
		for i := range rounds {
			if err := c.Send(Message(big)); err != nil {
				errs <- err
				return
			}
			r, w, err := os.Pipe()
			if err != nil {
				errs <- err
				return
			}
			err = c.SendFile(i, w)
			r.Close()
			w.Close()
			if err != nil {
				errs <- err
				return
			}
		}
		errs <- nil
	}
	// A sender learns of its handles' acknowledgements by receiving, so
	// both receive until the end, after they got every message.
	recvDone := make(chan struct{})
	defer func() {
		// Closing ends the receivers.
		close(recvDone)
		a.Close()
		b.Close()
	}()
	recv := func(c *Channel) {
		n := 0
		for {
			_, f, err := c.RecvFile()
			if err != nil {
				select {
				case <-recvDone:
				default:
					errs <- err
				}
				return
			}
			if f != nil {
				f.Close()
			}
			if n++; n == 2*rounds*senders {
				errs <- nil
			}
		}
	}
	for range senders {
		go send(a)
		go send(b)
	}
	go recv(a)
	go recv(b)
	// Only a deadlock takes this long; a loaded machine takes seconds.
	timeout := time.After(2 * time.Minute)
	for range 2 + 2*senders {
		select {
		case err := <-errs:
			require.NoError(t, err)
		case <-timeout:
			t.Fatal("deadlock: the peers stopped exchanging messages")
		}
	}
}

// TestAckQueuedBehindFullSocket: when the peer's socket is full (a Send
// of 1 MiB is blocked in its write), RecvFile returns the handle's message
// without waiting to write the acknowledgement; the acknowledgement goes
// out after the message being written, and Close waits for it before it
// closes the socket.
func TestAckQueuedBehindFullSocket(t *testing.T) {
	ch, raw := rawPair(t, nil)
	big, err := json.Marshal(strings.Repeat("x", 1<<20))
	require.NoError(t, err)
	sent := make(chan error, 1)
	go func() { sent <- ch.Send(Message(big)) }()
	rc, err := raw.SyscallConn()
	require.NoError(t, err)
	for inq := 0; inq == 0; time.Sleep(time.Millisecond) {
		require.NoError(t, rc.Control(func(fd uintptr) { inq, err = unix.IoctlGetInt(int(fd), unix.SIOCINQ) }))
		require.NoError(t, err)
	}
	r, w, err := os.Pipe()
	require.NoError(t, err)
	defer r.Close()
	_, _, err = raw.WriteMsgUnix([]byte(`{"cmd":"NODE_HANDLE","type":"net.Native","msg":"h"}`+"\n"), syscall.UnixRights(int(w.Fd())), nil)
	require.NoError(t, err)
	w.Close()

	got := make(chan Message, 1)
	go func() {
		m, f, err := ch.RecvFile()
		if f != nil {
			f.Close()
		}
		if err != nil {
			m = Message(err.Error())
		}
		got <- m
	}()
	select {
	case m := <-got:
		assert.Equal(t, `"h"`, m.String())
	case <-time.After(time.Minute):
		raw.Close()
		<-got
		t.Fatal("RecvFile waited for the acknowledgement to be written")
	}
	select {
	case err := <-sent:
		t.Fatalf("the Send returned %v while the peer read nothing", err)
	default:
	}

	closed := make(chan error, 1)
	go func() { closed <- ch.Close() }()
	all, err := io.ReadAll(raw)
	require.NoError(t, err)
	assert.Equal(t, string(big)+"\n"+`{"cmd":"NODE_HANDLE_ACK"}`+"\n", string(all))
	require.NoError(t, <-sent)
	require.NoError(t, <-closed)
}
