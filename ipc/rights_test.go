//go:build unix

package ipc

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spawnkit/spawnkit/internal/testkit"
)

// openFDs returns this process's open descriptors ("N target").
func openFDs(t *testing.T) []string {
	t.Helper()
	fds := testkit.OpenFDs()
	if len(fds) == 0 {
		t.Skip("no /proc/self/fd")
	}
	return fds
}

// assertNoNewFDs checks that every descriptor open now was open before: one
// the test leaked would be new. (Equality is too strict: a file left by an
// earlier test may be closed by its finalizer meanwhile.)
func assertNoNewFDs(t *testing.T, before []string, msgAndArgs ...any) {
	t.Helper()
	assert.Subset(t, before, openFDs(t), msgAndArgs...)
}

func inode(t *testing.T, f *os.File) uint64 {
	t.Helper()
	st, err := f.Stat()
	require.NoError(t, err)
	return st.Sys().(*syscall.Stat_t).Ino
}

// recvLoop receives a's messages in the background until a is closed, as a
// sender of handles must (it reads the acknowledgements); the messages are
// delivered on the returned channel, which is closed at the end.
func recvLoop(t *testing.T, a *Channel) <-chan Message {
	t.Helper()
	out := make(chan Message, 1000)
	go func() {
		defer close(out)
		for {
			m, err := a.Recv()
			if err != nil {
				return
			}
			select {
			case out <- m:
			default:
				t.Errorf("recvLoop: message %s dropped", m)
			}
		}
	}()
	return out
}

func TestSendFilePipe(t *testing.T) {
	a, b := pair(t, nil)
	r, w, err := os.Pipe()
	require.NoError(t, err)
	defer r.Close()
	require.NoError(t, a.SendFile(map[string]string{"kind": "pipe"}, w))
	w.Close() // the receiver has its own copy now

	m, f, err := b.RecvFile()
	require.NoError(t, err)
	require.NotNil(t, f)
	defer f.Close()
	assert.JSONEq(t, `{"kind":"pipe"}`, m.String(), "the envelope is unwrapped")
	assertCloexec(t, int(f.Fd()))

	_, err = f.Write([]byte("through the passed pipe"))
	require.NoError(t, err)
	f.Close()

	// The sender consumes the receiver's NODE_HANDLE_ACK (written before
	// RecvFile returned) and releases its duplicate of w...
	require.NoError(t, b.Send("next"))
	m, err = a.Recv()
	require.NoError(t, err)
	assert.Equal(t, `"next"`, m.String())

	// ...so the pipe's last writer is gone.
	got, err := io.ReadAll(r)
	require.NoError(t, err)
	assert.Equal(t, "through the passed pipe", string(got))
}

func TestSendFileListener(t *testing.T) {
	a, b := pair(t, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	lf, err := ln.(*net.TCPListener).File()
	require.NoError(t, err)
	require.NoError(t, a.SendFile(Message(`{"raw":true}`), lf))
	lf.Close()
	ln.Close()

	m, f, err := b.RecvFile()
	require.NoError(t, err)
	require.NotNil(t, f)
	assert.Equal(t, `{"raw":true}`, m.String())
	ln2, err := net.FileListener(f)
	require.NoError(t, err)
	f.Close()
	defer ln2.Close()
	go func() {
		c, err := ln2.Accept()
		if err != nil {
			return
		}
		fmt.Fprintln(c, "accepted by the receiver")
		c.Close()
	}()
	c, err := net.Dial("tcp", ln2.Addr().String())
	require.NoError(t, err)
	defer c.Close()
	line, err := bufio.NewReader(c).ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, "accepted by the receiver\n", line)
}

// TestFDAssociation sends many messages, some with descriptors, before the
// receiver reads anything, so that reads coalesce several messages; each
// descriptor must come back with its own message.
func TestFDAssociation(t *testing.T) {
	fdAssociation(t, 300, func(i int) int { return (i * 7919) % 5000 })
}

// TestFDAssociationLargeMessages: the same with messages of 16 to 70 KiB,
// runs of equal sizes among them, so that the reader sizes its reads by
// the last message (frameReader.hint) and guesses right and wrong.
func TestFDAssociationLargeMessages(t *testing.T) {
	fdAssociation(t, 120, func(i int) int {
		if i%7 < 4 {
			return 40000
		}
		return 16<<10 + (i*7919)%(54<<10)
	})
}

// fdAssociation sends n messages of padLen(i) bytes of padding, every
// third with a descriptor, and checks that each descriptor comes out with
// its own message.
func fdAssociation(t *testing.T, n int, padLen func(i int) int) {
	a, b := pair(t, nil)
	before := openFDs(t)
	type item struct {
		I   int    `json:"i"`
		Ino uint64 `json:"ino"`
		Pad string `json:"pad"`
	}
	// The sender runs ahead of the receiver (bounded by the socket
	// buffer), so reads coalesce several messages.
	var files []*os.File
	done := make(chan struct{})
	recvLoop(t, a)
	go func() {
		defer close(done)
		for i := range n {
			pad := strings.Repeat("p", padLen(i))
			if i%3 == 1 {
				r, w, err := os.Pipe()
				if err != nil {
					t.Error(err)
					return
				}
				files = append(files, r, w)
				st, _ := r.Stat()
				if err := a.SendFile(item{I: i, Ino: st.Sys().(*syscall.Stat_t).Ino, Pad: pad}, r); err != nil {
					t.Error(err)
					return
				}
			} else if err := a.Send(item{I: i, Pad: pad}); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for i := range n {
		m, f, err := b.RecvFile()
		require.NoError(t, err)
		var it item
		require.NoError(t, m.Decode(&it))
		require.Equal(t, i, it.I)
		if i%3 == 1 {
			require.NotNil(t, f, "message %d lost its descriptor", i)
			require.Equal(t, it.Ino, inode(t, f), "message %d got another message's descriptor", i)
			f.Close()
		} else {
			require.Nil(t, f, "message %d got a descriptor", i)
		}
	}
	<-done
	for _, f := range files {
		f.Close()
	}
	assertNoNewFDs(t, before, "no descriptor leaked")
}

func TestRecvClosesUnwantedFD(t *testing.T) {
	a, b := pair(t, nil)
	before := openFDs(t)
	r, w, err := os.Pipe()
	require.NoError(t, err)
	require.NoError(t, a.SendFile("with fd", r))
	r.Close()
	m, err := b.Recv()
	require.NoError(t, err)
	assert.Equal(t, `"with fd"`, m.String())
	// Once the sender has seen the acknowledgement (it comes before
	// "sync"), it no longer holds the read end.
	got := recvLoop(t, a)
	require.NoError(t, b.Send("sync"))
	assert.Equal(t, `"sync"`, (<-got).String())
	// The read end was closed by Recv: writing now fails with EPIPE.
	_, err = w.Write([]byte("x"))
	assert.ErrorIs(t, err, syscall.EPIPE)
	w.Close()
	assertNoNewFDs(t, before)
}

func TestCloseDropsQueuedFDs(t *testing.T) {
	before := openFDs(t)
	ch, raw := rawPair(t, nil)
	r, w, err := os.Pipe()
	require.NoError(t, err)
	// A descriptor with an incomplete line: it waits in the queue.
	_, _, err = raw.WriteMsgUnix([]byte(`{"partial":`), syscall.UnixRights(int(r.Fd())), nil)
	require.NoError(t, err)
	r.Close()
	done := make(chan error)
	go func() {
		_, err := ch.Recv()
		done <- err
	}()
	for ch.rmu.TryLock() { // wait until Recv holds the reader
		ch.rmu.Unlock()
	}
	time.Sleep(50 * time.Millisecond)
	require.NoError(t, ch.Close())
	assert.ErrorIs(t, <-done, net.ErrClosed)
	// The queued read end is closed: writing fails with EPIPE.
	_, err = w.Write([]byte("x"))
	assert.ErrorIs(t, err, syscall.EPIPE)
	w.Close()
	raw.Close()
	assertNoNewFDs(t, before)
}

func TestSendFileNil(t *testing.T) {
	a, _ := pair(t, nil)
	assert.Error(t, a.SendFile(1, nil))
	r, w, err := os.Pipe()
	require.NoError(t, err)
	r.Close()
	w.Close()
	assert.Error(t, a.SendFile(1, r), "closed file")
}

// TestRecvFileMessageIsOwned: the message of a handle envelope belongs to
// the caller, like any other; receiving further messages (which reuse the
// channel's read buffer) does not change it.
func TestRecvFileMessageIsOwned(t *testing.T) {
	a, b := pair(t, nil)
	r, w, err := os.Pipe()
	require.NoError(t, err)
	defer r.Close()
	require.NoError(t, a.SendFile(map[string]string{"kind": "pipe"}, w))
	w.Close()
	m, f, err := b.RecvFile()
	require.NoError(t, err)
	require.NotNil(t, f)
	f.Close()
	want := m.String()
	require.JSONEq(t, `{"kind":"pipe"}`, want)
	// The sender holds later messages until it reads the ACK.
	go a.Recv()
	for i := range 3 {
		require.NoError(t, a.Send(strings.Repeat(strconv.Itoa(i), 200)))
		_, err := b.Recv()
		require.NoError(t, err)
	}
	assert.Equal(t, want, m.String())
}
