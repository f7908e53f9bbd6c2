//go:build unix

package ipc

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Node's handle protocol, checked against a raw socket playing the peer.

// rawLines reads complete lines (and the descriptors that came with them)
// from a raw peer socket.
type rawLines struct {
	t    *testing.T
	c    *net.UnixConn
	buf  []byte
	fds  []int
	oob  []byte
	data []byte
}

func newRawLines(t *testing.T, c *net.UnixConn) *rawLines {
	return &rawLines{t: t, c: c, buf: make([]byte, 1<<20), oob: make([]byte, syscall.CmsgSpace(4*8))}
}

// next returns the next line and the descriptors received since the last
// call, failing after d.
func (r *rawLines) next(d time.Duration) (string, []int) {
	r.t.Helper()
	r.c.SetReadDeadline(time.Now().Add(d))
	defer r.c.SetReadDeadline(time.Time{})
	for {
		if i := strings.IndexByte(string(r.data), '\n'); i >= 0 {
			line := string(r.data[:i])
			r.data = r.data[i+1:]
			fds := r.fds
			r.fds = nil
			return line, fds
		}
		n, oobn, _, _, err := r.c.ReadMsgUnix(r.buf, r.oob)
		require.NoError(r.t, err, "reading from the channel (have %q)", r.data)
		r.fds = append(r.fds, parseRights(r.oob[:oobn])...)
		r.data = append(r.data, r.buf[:n]...)
	}
}

// quiet checks that nothing arrives for d.
func (r *rawLines) quiet(d time.Duration) {
	r.t.Helper()
	r.c.SetReadDeadline(time.Now().Add(d))
	defer r.c.SetReadDeadline(time.Time{})
	require.Empty(r.t, r.data, "data while a handle waits for its acknowledgement")
	n, _, _, _, err := r.c.ReadMsgUnix(r.buf, r.oob)
	if err == nil {
		r.t.Fatalf("got %q while a handle waits for its acknowledgement", r.buf[:n])
	}
}

// pending returns what the socket holds right now, without waiting.
func pending(t *testing.T, c *net.UnixConn) string {
	t.Helper()
	rc, err := c.SyscallConn()
	require.NoError(t, err)
	buf := make([]byte, 4096)
	n := 0
	require.NoError(t, rc.Control(func(fd uintptr) {
		n, _, _ = syscall.Recvfrom(int(fd), buf, syscall.MSG_DONTWAIT)
	}))
	return string(buf[:max(n, 0)])
}

func fdIno(t *testing.T, fd int) uint64 {
	t.Helper()
	var st syscall.Stat_t
	require.NoError(t, syscall.Fstat(fd, &st))
	return st.Ino
}

func TestAckOnTheWireBeforeRecvFileReturns(t *testing.T) {
	for range 20 {
		ch, raw := rawPair(t, nil)
		r, w, err := os.Pipe()
		require.NoError(t, err)
		_, _, err = raw.WriteMsgUnix([]byte(`{"cmd":"NODE_HANDLE","type":"net.Native","msg":"m"}`+"\n"), syscall.UnixRights(int(r.Fd())), nil)
		require.NoError(t, err)
		r.Close()
		w.Close()
		m, f, err := ch.RecvFile()
		require.NoError(t, err)
		f.Close()
		assert.Equal(t, `"m"`, m.String())
		// Not a moment later: now.
		require.Equal(t, `{"cmd":"NODE_HANDLE_ACK"}`+"\n", pending(t, raw))
		// A NACK too, and the answer to a NODE_SOCKET request, before
		// the next message is returned.
		_, err = raw.Write([]byte(`{"cmd":"NODE_HANDLE","type":"net.Native","msg":"lost"}` + "\n" + `"after"` + "\n"))
		require.NoError(t, err)
		m, err = ch.Recv()
		require.NoError(t, err)
		assert.Equal(t, `"after"`, m.String())
		require.Equal(t, `{"cmd":"NODE_HANDLE_NACK"}`+"\n", pending(t, raw))
		ch.Close()
	}
}

func TestSendFileOneHandleInFlight(t *testing.T) {
	ch, raw := rawPair(t, nil)
	peer := newRawLines(t, raw)
	got := recvLoop(t, ch) // reads the acknowledgements
	r1, w1, err := os.Pipe()
	require.NoError(t, err)
	r2, w2, err := os.Pipe()
	require.NoError(t, err)
	defer r2.Close()
	big := strings.Repeat("x", 200<<10)
	require.NoError(t, ch.SendFile(map[string]string{"a": big}, w1))
	require.NoError(t, ch.SendFile("B", w2))
	require.NoError(t, ch.Send("second"))
	w1.Close()
	w2.Close()

	// A and its descriptor; nothing else until A is acknowledged.
	line, fds := peer.next(10 * time.Second)
	require.Len(t, fds, 1)
	assert.Equal(t, `{"cmd":"NODE_HANDLE","type":"net.Native","msg":{"a":"`+big+`"}}`, line)
	assert.Equal(t, fdIno(t, int(r1.Fd())), fdIno(t, fds[0]))
	syscall.Close(fds[0])
	peer.quiet(200 * time.Millisecond)

	// NACK: the same message and a descriptor of the same pipe again.
	_, err = raw.Write([]byte(`{"cmd":"NODE_HANDLE_NACK"}` + "\n"))
	require.NoError(t, err)
	line, fds = peer.next(10 * time.Second)
	require.Len(t, fds, 1)
	assert.Equal(t, fdIno(t, int(r1.Fd())), fdIno(t, fds[0]), "retransmitted with its handle")
	assert.Contains(t, line, `"msg":{"a":"xxx`)
	syscall.Close(fds[0])
	peer.quiet(200 * time.Millisecond)

	// ACK: the sender releases A's descriptor (the pipe's last writer) and
	// sends B, alone.
	_, err = raw.Write([]byte(`{"cmd":"NODE_HANDLE_ACK"}` + "\n"))
	require.NoError(t, err)
	line, fds = peer.next(10 * time.Second)
	assert.Equal(t, `{"cmd":"NODE_HANDLE","type":"net.Native","msg":"B"}`, line)
	require.Len(t, fds, 1)
	assert.Equal(t, fdIno(t, int(r2.Fd())), fdIno(t, fds[0]))
	syscall.Close(fds[0])
	buf := make([]byte, 1)
	r1.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, err := r1.Read(buf)
	assert.Equal(t, 0, n)
	assert.ErrorIs(t, err, io.EOF, "A's duplicate is closed on ACK")
	r1.Close()
	peer.quiet(200 * time.Millisecond)

	// ACK of B: "second" follows, in order.
	_, err = raw.Write([]byte(`{"cmd":"NODE_HANDLE_ACK"}` + "\n"))
	require.NoError(t, err)
	line, fds = peer.next(10 * time.Second)
	assert.Equal(t, `"second"`, line)
	assert.Empty(t, fds)

	// Nothing in flight: a stray ACK changes nothing, sends go straight out.
	_, err = raw.Write([]byte(`{"cmd":"NODE_HANDLE_ACK"}` + "\n" + `"user"` + "\n"))
	require.NoError(t, err)
	assert.Equal(t, `"user"`, (<-got).String())
	require.NoError(t, ch.Send("third"))
	line, _ = peer.next(10 * time.Second)
	assert.Equal(t, `"third"`, line)
}

func TestSendFileGivesUpAfterThreeRetransmissions(t *testing.T) {
	ch, raw := rawPair(t, nil)
	peer := newRawLines(t, raw)
	recvLoop(t, ch)
	r, w, err := os.Pipe()
	require.NoError(t, err)
	defer r.Close()
	require.NoError(t, ch.SendFile("h", w))
	require.NoError(t, ch.Send("next"))
	w.Close()
	for try := range 4 {
		line, fds := peer.next(10 * time.Second)
		assert.Equal(t, `{"cmd":"NODE_HANDLE","type":"net.Native","msg":"h"}`, line, "try %d", try)
		require.Len(t, fds, 1)
		syscall.Close(fds[0])
		_, err = raw.Write([]byte(`{"cmd":"NODE_HANDLE_NACK"}` + "\n"))
		require.NoError(t, err)
	}
	// Node's MAX_HANDLE_RETRANSMISSIONS is 3: after the fourth NACK the
	// handle is dropped and the queue goes on.
	line, fds := peer.next(10 * time.Second)
	assert.Equal(t, `"next"`, line)
	assert.Empty(t, fds)
	buf := make([]byte, 1)
	r.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err = r.Read(buf)
	assert.ErrorIs(t, err, io.EOF, "the dropped handle's duplicate is closed")
}

func TestCloseFlushesQueueBehindHandle(t *testing.T) {
	// Like Node's disconnect(): messages queued behind a handle go out
	// once it is acknowledged, before the channel closes; Close reads the
	// acknowledgement itself when no Recv runs.
	a, b := pair(t, nil)
	r, w, err := os.Pipe()
	require.NoError(t, err)
	defer r.Close()
	require.NoError(t, a.SendFile("h", w))
	w.Close()
	require.NoError(t, a.Send("queued"))
	closed := make(chan error, 1)
	go func() { closed <- a.Close() }()
	m, f, err := b.RecvFile()
	require.NoError(t, err)
	require.NotNil(t, f)
	f.Close()
	assert.Equal(t, `"h"`, m.String())
	m, err = b.Recv()
	require.NoError(t, err)
	assert.Equal(t, `"queued"`, m.String())
	require.NoError(t, <-closed)
	_, err = b.Recv()
	assert.ErrorIs(t, err, io.EOF)
}

func TestSendFileUDPIsDgramSocket(t *testing.T) {
	for _, tc := range []struct{ network, addr, dgramType string }{
		{"udp4", "127.0.0.1:0", "udp4"},
		{"udp6", "[::1]:0", "udp6"},
	} {
		uc, err := net.ListenPacket(tc.network, tc.addr)
		if err != nil {
			t.Logf("%s: %v (skipped)", tc.network, err)
			continue
		}
		f, err := uc.(*net.UDPConn).File()
		require.NoError(t, err)
		ch, raw := rawPair(t, nil)
		peer := newRawLines(t, raw)
		require.NoError(t, ch.SendFile(1, f))
		f.Close()
		uc.Close()
		line, fds := peer.next(10 * time.Second)
		assert.Equal(t, `{"cmd":"NODE_HANDLE","type":"dgram.Socket","dgramType":"`+tc.dgramType+`","msg":1}`, line)
		for _, fd := range fds {
			syscall.Close(fd)
		}
	}
}

func TestSocketListAnswers(t *testing.T) {
	ch, raw := rawPair(t, nil)
	peer := newRawLines(t, raw)
	client, sf := acceptedConn(t)

	// A socket a Node net.Server accepted, with its connection key.
	_, _, err := raw.WriteMsgUnix([]byte(`{"cmd":"NODE_HANDLE","type":"net.Socket","msg":"conn","key":"4:127.0.0.1:8000"}`+"\n"), syscall.UnixRights(int(sf.Fd())), nil)
	require.NoError(t, err)
	sf.Close()
	got := make(chan *os.File, 1)
	go func() {
		for {
			m, f, err := ch.RecvFile()
			if err != nil {
				close(got)
				return
			}
			if m.String() == `"conn"` {
				got <- f
			}
		}
	}()
	f := <-got
	require.NotNil(t, f)
	line, _ := peer.next(10 * time.Second)
	require.Equal(t, `{"cmd":"NODE_HANDLE_ACK"}`, line)

	ask := func(req string) string {
		t.Helper()
		_, err := raw.Write([]byte(req + "\n"))
		require.NoError(t, err)
		line, _ := peer.next(10 * time.Second)
		return line
	}
	assert.Equal(t, `{"cmd":"NODE_SOCKET_COUNT","key":"4:127.0.0.1:8000","count":1}`, ask(`{"cmd":"NODE_SOCKET_GET_COUNT","key":"4:127.0.0.1:8000"}`))
	// A key never seen gets no answer, as in Node; the next request does.
	assert.Equal(t, `{"cmd":"NODE_SOCKET_COUNT","key":"4:127.0.0.1:8000","count":1}`,
		ask(`{"cmd":"NODE_SOCKET_GET_COUNT","key":"other"}`+"\n"+`{"cmd":"NODE_SOCKET_GET_COUNT","key":"4:127.0.0.1:8000"}`))

	// NOTIFY_CLOSE waits for the socket to be closed. A duplicate (as
	// net.FileConn makes) keeps it open.
	conn, err := net.FileConn(f)
	require.NoError(t, err)
	f.Close()
	_, err = raw.Write([]byte(`{"cmd":"NODE_SOCKET_NOTIFY_CLOSE","key":"4:127.0.0.1:8000"}` + "\n"))
	require.NoError(t, err)
	peer.quiet(200 * time.Millisecond)
	// The socket still works.
	_, err = conn.Write([]byte("hi\n"))
	require.NoError(t, err)
	l, err := bufio.NewReader(client).ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, "hi\n", l)
	conn.Close()
	line, _ = peer.next(10 * time.Second)
	assert.Equal(t, `{"cmd":"NODE_SOCKET_ALL_CLOSED","key":"4:127.0.0.1:8000"}`, line)
	assert.Equal(t, `{"cmd":"NODE_SOCKET_COUNT","key":"4:127.0.0.1:8000","count":0}`, ask(`{"cmd":"NODE_SOCKET_GET_COUNT","key":"4:127.0.0.1:8000"}`))
	assert.Equal(t, `{"cmd":"NODE_SOCKET_ALL_CLOSED","key":"4:127.0.0.1:8000"}`, ask(`{"cmd":"NODE_SOCKET_NOTIFY_CLOSE","key":"4:127.0.0.1:8000"}`))

	// A NOTIFY_CLOSE still waiting when the channel closes ends with it.
	var req struct{}
	_ = json.Unmarshal([]byte("{}"), &req)
	ch.Close()
	<-got
}
