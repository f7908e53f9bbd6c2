//go:build unix

package ipc

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// pair returns two connected Channels.
func pair(t testing.TB, opts *Options) (a, b *Channel) {
	t.Helper()
	a, f, err := Pair()
	require.NoError(t, err)
	b, err = New(f, opts)
	require.NoError(t, err)
	t.Cleanup(func() {
		a.Close()
		b.Close()
	})
	return a, b
}

// rawPair returns a Channel and the raw socket at the other end.
func rawPair(t testing.TB, opts *Options) (*Channel, *net.UnixConn) {
	t.Helper()
	a, f, err := Pair()
	require.NoError(t, err)
	fc, err := net.FileConn(f)
	require.NoError(t, err)
	f.Close()
	a.Close()
	fds, err := cloexecSocketpair(syscall.SOCK_STREAM)
	require.NoError(t, err)
	fc.Close()
	ch, err := New(os.NewFile(uintptr(fds[0]), "a"), opts)
	require.NoError(t, err)
	rf := os.NewFile(uintptr(fds[1]), "b")
	rc, err := net.FileConn(rf)
	require.NoError(t, err)
	rf.Close()
	t.Cleanup(func() {
		ch.Close()
		rc.Close()
	})
	return ch, rc.(*net.UnixConn)
}

func TestRoundTrip(t *testing.T) {
	a, b := pair(t, nil)
	type obj struct {
		S string         `json:"s"`
		N int64          `json:"n"`
		M map[string]any `json:"m"`
	}
	in := obj{S: "héllo 😀 \u2028 <&>", N: 1<<53 + 1, M: map[string]any{"x": []any{1.5, true, nil}}}
	require.NoError(t, a.Send(in))
	require.NoError(t, a.Send(Message(`{"raw": [1, 2]}`)))
	require.NoError(t, a.Send(json.RawMessage("{\n  \"multi\": \"line\"\n}")))
	require.NoError(t, a.Send("str"))
	require.NoError(t, a.Send(42))

	m, err := b.Recv()
	require.NoError(t, err)
	var out obj
	require.NoError(t, m.Decode(&out))
	assert.Equal(t, in, out)
	assert.NotContains(t, string(m), `\u003c`, "no HTML escaping")

	m, err = b.Recv()
	require.NoError(t, err)
	assert.Equal(t, `{"raw": [1, 2]}`, string(m), "raw messages are sent unchanged")
	m, err = b.Recv()
	require.NoError(t, err)
	assert.Equal(t, `{"multi":"line"}`, string(m), "raw messages with newlines are compacted")
	m, err = b.Recv()
	require.NoError(t, err)
	assert.Equal(t, `"str"`, m.String())
	m, err = b.Recv()
	require.NoError(t, err)
	assert.Equal(t, `42`, m.String())

	// And back the other way.
	require.NoError(t, b.Send(map[string]int{"a": 1}))
	m, err = a.Recv()
	require.NoError(t, err)
	assert.JSONEq(t, `{"a":1}`, string(m))
}

func TestSendErrors(t *testing.T) {
	_, a := pair(t, &Options{MaxMessageSize: 10})
	assert.Error(t, a.Send(Message(nil)))
	assert.Error(t, a.Send(Message("{\n")), "invalid raw message with a newline")
	assert.Error(t, a.Send(make(chan int)))
	assert.ErrorIs(t, a.Send(strings.Repeat("x", 20)), ErrTooLarge)
	assert.ErrorIs(t, a.Send(Message(`"`+strings.Repeat("x", 20)+`"`)), ErrTooLarge)
}

// TestSendRawNewline: on either side of rawLimit (where a raw message stops
// being copied next to its newline), a one-line raw message arrives as it
// is, one spanning lines arrives compacted as one message, and one spanning
// lines that is not valid JSON (a newline inside a string, say) is refused
// without anything being written.
func TestSendRawNewline(t *testing.T) {
	a, b := pair(t, nil)
	sizes := []int{100, rawLimit - 1, rawLimit, rawLimit + 1, 64 << 10}
	pad := func(n, overhead int) string { return strings.Repeat("x", n-overhead) }
	type step struct {
		send Message
		want string // "" when Send must fail
	}
	var steps []step
	for _, n := range sizes {
		one := `{"s":"` + pad(n, 8) + `"}`
		multi := "{\"s\":\n\"" + pad(n, 10) + "\"\n}"
		steps = append(steps,
			step{Message(one), one},
			step{Message(multi), `{"s":"` + pad(n, 10) + `"}`},
			step{Message(`"` + pad(n, 3) + "\n" + `"`), ""},
			step{Message(`{"s":"` + pad(n, 8) + "\"\n"), ""},
		)
	}
	errs := make(chan error, len(steps))
	go func() {
		for _, s := range steps {
			errs <- a.Send(s.send)
		}
	}()
	for i, s := range steps {
		err := <-errs
		if s.want == "" {
			require.Error(t, err, "step %d (%d bytes): a raw message spanning lines that is not JSON", i, len(s.send))
			continue
		}
		require.NoError(t, err, "step %d", i)
		m, err := b.Recv()
		require.NoError(t, err)
		require.Equal(t, s.want, string(m), "step %d (%d bytes)", i, len(s.send))
	}
	// Nothing of the refused messages reached the peer.
	require.NoError(t, a.Send(Message(`"end"`)))
	m, err := b.Recv()
	require.NoError(t, err)
	assert.Equal(t, `"end"`, string(m))
}

func TestMessageMarshal(t *testing.T) {
	b, err := json.Marshal(struct {
		A Message `json:"a"`
		B Message `json:"b"`
	}{A: Message(`{"x":1}`)})
	require.NoError(t, err)
	assert.Equal(t, `{"a":{"x":1},"b":null}`, string(b))
	var v struct{ A Message }
	require.NoError(t, json.Unmarshal([]byte(`{"A": [1, 2]}`), &v))
	assert.Equal(t, `[1, 2]`, string(v.A))
}

func TestOrderingConcurrentSenders(t *testing.T) {
	a, b := pair(t, nil)
	const senders = 8
	const per = 100000 / senders
	var wg sync.WaitGroup
	for s := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range per {
				if err := a.Send([2]int{s, i}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	next := make([]int, senders)
	for range senders * per {
		m, err := b.Recv()
		require.NoError(t, err)
		var v [2]int
		require.NoError(t, m.Decode(&v))
		require.Equal(t, next[v[0]], v[1], "sender %d out of order", v[0])
		next[v[0]]++
	}
	wg.Wait()
}

func TestEOF(t *testing.T) {
	a, b := pair(t, nil)
	require.NoError(t, a.Send(1))
	require.NoError(t, a.Close())
	m, err := b.Recv()
	require.NoError(t, err)
	assert.Equal(t, "1", m.String())
	_, err = b.Recv()
	assert.Equal(t, io.EOF, err)
	_, err = b.Recv()
	assert.Equal(t, io.EOF, err, "EOF is sticky")
	assert.ErrorIs(t, a.Send(1), net.ErrClosed)
	assert.NoError(t, a.Close(), "Close is idempotent")
}

func TestUnexpectedEOF(t *testing.T) {
	ch, raw := rawPair(t, nil)
	_, err := raw.Write([]byte(`{"a":1}` + "\n" + `{"b":`))
	require.NoError(t, err)
	raw.Close()
	m, err := ch.Recv()
	require.NoError(t, err)
	assert.Equal(t, `{"a":1}`, m.String())
	_, err = ch.Recv()
	assert.Equal(t, io.ErrUnexpectedEOF, err)
}

func TestCloseUnblocksRecv(t *testing.T) {
	a, _ := pair(t, nil)
	done := make(chan error)
	go func() {
		_, err := a.Recv()
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	require.NoError(t, a.Close())
	select {
	case err := <-done:
		assert.ErrorIs(t, err, net.ErrClosed)
	case <-time.After(5 * time.Second):
		t.Fatal("Recv still blocked after Close")
	}
	_, err := a.Recv()
	assert.ErrorIs(t, err, net.ErrClosed)
}

func TestCloseUnblocksSend(t *testing.T) {
	a, _ := pair(t, nil)
	done := make(chan error)
	go func() {
		big := Message(`"` + strings.Repeat("x", 1<<20) + `"`)
		for {
			if err := a.Send(big); err != nil {
				done <- err
				return
			}
		}
	}()
	time.Sleep(100 * time.Millisecond)
	require.NoError(t, a.Close())
	select {
	case err := <-done:
		assert.ErrorIs(t, err, net.ErrClosed)
	case <-time.After(5 * time.Second):
		t.Fatal("Send still blocked after Close")
	}
}

func TestSyntaxErrorKeepsChannelUsable(t *testing.T) {
	ch, raw := rawPair(t, nil)
	_, err := raw.Write([]byte("{\"ok\":1}\n{\"bad\": tru}\n\n   \n[2]\n"))
	require.NoError(t, err)
	m, err := ch.Recv()
	require.NoError(t, err)
	assert.Equal(t, `{"ok":1}`, m.String())
	_, err = ch.Recv()
	var se *SyntaxError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, int64(9), se.LineOffset)
	assert.Equal(t, int64(9+11), se.Offset, "offset of the '}' that broke 'true'")
	assert.Contains(t, err.Error(), "offset 20")
	m, err = ch.Recv()
	require.NoError(t, err, "blank lines are skipped, the channel stays usable")
	assert.Equal(t, `[2]`, m.String())
}

func TestTooLarge(t *testing.T) {
	ch, raw := rawPair(t, &Options{MaxMessageSize: 100})
	_, err := raw.Write([]byte(`"` + strings.Repeat("a", 98) + `"` + "\n"))
	require.NoError(t, err)
	m, err := ch.Recv()
	require.NoError(t, err, "exactly at the limit is fine")
	assert.Len(t, m, 100)

	go func() {
		// Keep writing one endless line; the reader must give up without
		// buffering it all.
		chunk := []byte(strings.Repeat("b", 64<<10))
		for {
			if _, err := raw.Write(chunk); err != nil {
				return
			}
		}
	}()
	_, err = ch.Recv()
	assert.ErrorIs(t, err, ErrTooLarge)
	assert.LessOrEqual(t, len(ch.fr.buf), 100+readSize, "buffer bounded by limit + read size")
	_, err = ch.Recv()
	assert.ErrorIs(t, err, ErrTooLarge, "sticky")
	assert.ErrorIs(t, ch.Send(1), net.ErrClosed, "channel closed after ErrTooLarge")
	raw.Close()
}

func TestTooLargeWithNewline(t *testing.T) {
	ch, raw := rawPair(t, &Options{MaxMessageSize: 10})
	_, err := raw.Write([]byte(`"` + strings.Repeat("a", 10) + `"` + "\n"))
	require.NoError(t, err)
	_, err = ch.Recv()
	assert.ErrorIs(t, err, ErrTooLarge)
}

func TestBigMessages(t *testing.T) {
	a, b := pair(t, nil)
	sizes := []int{0, 1, 100, 32 << 10, 64 << 10, 64<<10 + 1, 1 << 20, 5 << 20}
	go func() {
		for _, n := range sizes {
			if err := a.Send(strings.Repeat("z", n)); err != nil {
				t.Error(err)
			}
			if err := a.Send(Message(`"` + strings.Repeat("y", n) + `"`)); err != nil {
				t.Error(err)
			}
		}
	}()
	for _, n := range sizes {
		for _, c := range []string{"z", "y"} {
			m, err := b.Recv()
			require.NoError(t, err)
			var s string
			require.NoError(t, m.Decode(&s))
			require.Equal(t, n, len(s))
			require.Equal(t, strings.Repeat(c, n), s)
		}
	}
}

func TestNew(t *testing.T) {
	_, err := New(nil, nil)
	assert.Error(t, err)
	r, w, err := os.Pipe()
	require.NoError(t, err)
	defer r.Close()
	defer w.Close()
	_, err = New(r, nil)
	assert.Error(t, err, "a pipe is not a socket")

	fds, err := cloexecSocketpair(syscall.SOCK_DGRAM)
	require.NoError(t, err)
	f0, f1 := os.NewFile(uintptr(fds[0]), "d0"), os.NewFile(uintptr(fds[1]), "d1")
	defer f0.Close()
	defer f1.Close()
	_, err = New(f0, nil)
	assert.Error(t, err, "a datagram socket is refused")
}

// TestNewErrorLeavesFileUntouched checks that New, when it refuses f, does
// not switch f's open file description to non-blocking mode: a blocking
// descriptor read with os.File would then fail with EAGAIN.
func TestNewErrorLeavesFileUntouched(t *testing.T) {
	nonblock := func(f *os.File) bool {
		rc, err := f.SyscallConn()
		require.NoError(t, err)
		var fl int
		require.NoError(t, rc.Control(func(fd uintptr) {
			var errno syscall.Errno
			r, _, e := syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_GETFL, 0)
			fl, errno = int(r), e
			require.Zero(t, errno)
		}))
		return fl&syscall.O_NONBLOCK != 0
	}
	var p [2]int
	require.NoError(t, cloexecPipe(&p))
	r, w := os.NewFile(uintptr(p[0]), "r"), os.NewFile(uintptr(p[1]), "w")
	defer r.Close()
	defer w.Close()
	_, err := New(r, nil)
	require.Error(t, err)
	assert.False(t, nonblock(r), "a refused pipe stays in blocking mode")

	fds, err := cloexecSocketpair(syscall.SOCK_DGRAM)
	require.NoError(t, err)
	d0, d1 := os.NewFile(uintptr(fds[0]), "d0"), os.NewFile(uintptr(fds[1]), "d1")
	defer d0.Close()
	defer d1.Close()
	_, err = New(d0, nil)
	require.Error(t, err)
	assert.False(t, nonblock(d0), "a refused datagram socket stays in blocking mode")
}

// TestPairSendBuffer: both ends of a Pair have the larger send buffer
// Pair documents (Linux reports double the figure asked for).
func TestPairSendBuffer(t *testing.T) {
	want := pairSendBuffer
	if runtime.GOOS == "linux" {
		b, err := os.ReadFile("/proc/sys/net/core/wmem_max")
		require.NoError(t, err)
		max, err := strconv.Atoi(strings.TrimSpace(string(b)))
		require.NoError(t, err)
		if max < pairSendBuffer {
			t.Skipf("net.core.wmem_max is %d, below %d", max, pairSendBuffer)
		}
		want *= 2
	}
	a, child, err := Pair()
	require.NoError(t, err)
	defer a.Close()
	defer child.Close()
	n, err := syscall.GetsockoptInt(int(child.Fd()), syscall.SOL_SOCKET, syscall.SO_SNDBUF)
	require.NoError(t, err)
	assert.Equal(t, want, n, "child end")
	var serr error
	require.NoError(t, a.src.control(func(fd uintptr) {
		n, serr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUF)
	}))
	require.NoError(t, serr)
	assert.Equal(t, want, n, "parent end")
}

func TestPairCloexec(t *testing.T) {
	a, child, err := Pair()
	require.NoError(t, err)
	defer a.Close()
	defer child.Close()
	assertCloexec(t, int(child.Fd()))
	require.NoError(t, a.src.control(func(fd uintptr) { assertCloexec(t, int(fd)) }))
}

func assertCloexec(t *testing.T, fd int) {
	t.Helper()
	flags, err := fcntl(fd, syscall.F_GETFD)
	require.NoError(t, err)
	assert.NotZero(t, flags&syscall.FD_CLOEXEC, "fd %d is not close-on-exec", fd)
}

func fcntl(fd, cmd int) (int, error) {
	r, _, e := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), uintptr(cmd), 0)
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}

func TestInternalMessagesSkipped(t *testing.T) {
	ch, raw := rawPair(t, nil)
	lines := []string{
		`{"cmd":"NODE_CLUSTER","x":1}`,
		`{"cmd":"NODE_HANDLE_ACK"}`,
		`{"cmd":"NODE_HANDLE_NACK"}`,
		`{"cmd":"\u004eODE_X"}`,        // escaped, still internal
		`{"cmd":"NODE_"}`,              // too short: a user message
		`{"cmd":"node_x"}`,             // case matters
		`{"CMD":"NODE_X"}`,             // key case matters
		`{"cmd":["NODE_X"]}`,           // not a string
		`["NODE_X"]`,                   // not an object
		`{"cmd":"NODE_A","cmd":"foo"}`, // last key wins, as in JSON.parse
		`{"cmd":"foo","cmd":"NODE_A"}`,
		`{"cmd":"NODE_HANDLE","type":"net.Native","msg":1}`, // handle lost: NACK
		`{"\u0063md":"NODE_X"}`,                             // escaped key, still internal
		`{"\u0063\u006d\u0064":"NODE_X"}`,                   // the longest spelling of the key
		` { "a" : {"cmd":"x"} , "cmd" : "NODE_X" } `,        // a later top-level key, spaces
		`{"a":{"cmd":"NODE_X"}}`,                            // nested: a user message
		`{"cmdx":"NODE_X","xcmd":"NODE_X"}`,                 // other keys
		`"end"`,
	}
	_, err := raw.Write([]byte(strings.Join(lines, "\n") + "\n"))
	require.NoError(t, err)
	var got []string
	for {
		m, err := ch.Recv()
		require.NoError(t, err)
		got = append(got, m.String())
		if m.String() == `"end"` {
			break
		}
	}
	assert.Equal(t, []string{
		`{"cmd":"NODE_"}`,
		`{"cmd":"node_x"}`,
		`{"CMD":"NODE_X"}`,
		`{"cmd":["NODE_X"]}`,
		`["NODE_X"]`,
		`{"cmd":"NODE_A","cmd":"foo"}`,
		`{"a":{"cmd":"NODE_X"}}`,
		`{"cmdx":"NODE_X","xcmd":"NODE_X"}`,
		`"end"`,
	}, got)
	// The envelope without a descriptor was answered with a NACK.
	buf := make([]byte, 100)
	raw.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := raw.Read(buf)
	require.NoError(t, err)
	assert.Equal(t, `{"cmd":"NODE_HANDLE_NACK"}`+"\n", string(buf[:n]))
}

func TestErrorMessages(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"a" 1}`, "invalid character '1' after object key"},
		{`[1,]`, "invalid character ']' looking for beginning of value"},
		{`"a` + "\x01" + `"`, `invalid character '\x01' in string literal`},
		{`01`, "invalid character '1' after top-level value"},
		{`{`, "unexpected end of JSON input"},
	} {
		at, msg := new(validator).check([]byte(tc.in))
		assert.GreaterOrEqual(t, at, 0, tc.in)
		assert.Equal(t, tc.want, msg, tc.in)
		err := json.Unmarshal([]byte(tc.in), new(any))
		var se *json.SyntaxError
		if assert.True(t, errors.As(err, &se), tc.in) {
			assert.Equal(t, fmt.Sprint(se.Offset), fmt.Sprint(int64(at)+map[bool]int64{true: 0, false: 1}[strings.HasPrefix(msg, "unexpected")]), "offset agrees with encoding/json for %s", tc.in)
		}
	}
}

// TestBackpressure: a fast sender blocks on a slow receiver; nothing is
// dropped or reordered.
func TestBackpressure(t *testing.T) {
	a, b := pair(t, nil)
	const n = 400
	payload := strings.Repeat("p", 32<<10)
	sent := make(chan int, n)
	go func() {
		defer close(sent)
		for i := range n {
			if err := a.Send([]any{i, payload}); err != nil {
				t.Error(err)
				return
			}
			sent <- i
		}
	}()
	// The socket buffer holds a few hundred KiB: the sender must block
	// long before it has sent everything.
	time.Sleep(100 * time.Millisecond)
	assert.Less(t, len(sent), n, "sender was not blocked by the slow receiver")
	for i := range n {
		if i%50 == 0 {
			time.Sleep(5 * time.Millisecond)
		}
		m, err := b.Recv()
		require.NoError(t, err)
		var v [2]any
		require.NoError(t, m.Decode(&v))
		require.Equal(t, float64(i), v[0])
		require.Equal(t, payload, v[1])
	}
	for range sent {
	}
}
