//go:build unix

package ipc

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
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

// TestAppendRecv: AppendRecv appends each message to dst, in the storage
// of dst when it has room (the previous message's, passed as m[:0]), skips
// Node's internal messages as Recv does, and on an error (a syntax error,
// end-of-file) returns dst as it was.
func TestAppendRecv(t *testing.T) {
	ch, raw := rawPair(t, nil)
	big := `"` + strings.Repeat("x", 100<<10) + `"`
	stream := big + "\n" + `{"a":1}` + "\n" +
		`{"cmd":"NODE_SOMETHING_INTERNAL"}` + "\n" + `[2]` + "\n" +
		"not json\n" + `{"b":[true]}` + "\n"
	go func() {
		raw.Write([]byte(stream))
		raw.CloseWrite()
	}()

	m, err := ch.AppendRecv(nil)
	require.NoError(t, err)
	require.Equal(t, big, m.String())
	storage := &m[:1][0]

	m, err = ch.AppendRecv(m[:0])
	require.NoError(t, err)
	assert.Equal(t, `{"a":1}`, m.String())
	assert.Same(t, storage, &m[0], "the message was not received into dst's storage")

	m, err = ch.AppendRecv(append(m[:0], "prefix:"...))
	require.NoError(t, err)
	assert.Equal(t, `prefix:[2]`, m.String(), "the internal message was not skipped, or dst's content was lost")
	assert.Same(t, storage, &m[0])

	kept := m
	m, err = ch.AppendRecv(kept)
	var se *SyntaxError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "prefix:[2]", m.String(), "dst changed on a syntax error")
	assert.Equal(t, len(kept), len(m))

	m, err = ch.AppendRecv(m[:0])
	require.NoError(t, err)
	assert.Equal(t, `{"b":[true]}`, m.String())

	m, err = ch.AppendRecv(m[:0])
	require.ErrorIs(t, err, io.EOF)
	assert.Empty(t, m)
	assert.Same(t, storage, &m[:1][0], "dst not returned on end-of-file")
}

// TestAppendRecvAllocatesNothing: once dst is large enough, AppendRecv
// allocates nothing per message (Recv allocates every message).
func TestAppendRecvAllocatesNothing(t *testing.T) {
	ch, raw := rawPair(t, nil)
	const runs = 20
	line := `{"seq":12345,"data":"` + strings.Repeat("y", 1000) + `"}` + "\n"
	_, err := raw.Write([]byte(strings.Repeat(line, 3*runs)))
	require.NoError(t, err)
	m, err := ch.AppendRecv(nil)
	require.NoError(t, err)
	allocs := testing.AllocsPerRun(runs, func() {
		if m, err = ch.AppendRecv(m[:0]); err != nil {
			t.Fatal(err)
		}
	})
	assert.Zero(t, allocs)
	assert.Equal(t, line[:len(line)-1], m.String())
	allocs = testing.AllocsPerRun(runs, func() {
		if m, err = ch.Recv(); err != nil {
			t.Fatal(err)
		}
	})
	assert.Equal(t, 1.0, allocs, "Recv, the comparison: one allocation per message")
}

// TestAppendRecvClosesFD: a descriptor that came with the message is
// closed, as by Recv.
func TestAppendRecvClosesFD(t *testing.T) {
	a, b := pair(t, nil)
	before := openFDs(t)
	r, w, err := os.Pipe()
	require.NoError(t, err)
	require.NoError(t, a.SendFile("with fd", r))
	r.Close()
	m, err := b.AppendRecv(nil)
	require.NoError(t, err)
	assert.Equal(t, `"with fd"`, m.String())
	got := recvLoop(t, a) // the acknowledgement comes before "sync"
	require.NoError(t, b.Send("sync"))
	assert.Equal(t, `"sync"`, (<-got).String())
	_, err = w.Write([]byte("x"))
	assert.True(t, errors.Is(err, syscall.EPIPE), "the received read end is still open: %v", err)
	w.Close()
	assertNoNewFDs(t, before)
}

// TestAppendRecvAllocatesNothingForUserCmdMessages: a user's message with
// a "cmd" member that is not one of Node's internal messages (it mentions
// "NODE_" elsewhere, or has an escape, as json.Marshal writes <, > and &)
// is delivered as it came, and AppendRecv allocates nothing for it either;
// the last of two "cmd" members decides, as in JSON.parse.
func TestAppendRecvAllocatesNothingForUserCmdMessages(t *testing.T) {
	user := []string{
		`{"cmd":"setenv","name":"NODE_ENV","value":"production"}`,
		`{"cmd":"render","html":"\u003cb\u003eNODE_\u003c/b\u003e"}`,
		`{"cmd":"NODE_"}`,
		`{ "cmd" : { "nested" : "NODE_HANDLE" } , "n" : [1, "NODE_X"] }`,
		`{"cmd":"NODE_HANDLE","cmd":"user"}`,
		`{"x":"\u00e9","cmd":["NODE_QUERY"]}`,
	}
	const runs = 20
	ch, raw := rawPair(t, nil)
	var stream strings.Builder
	stream.WriteString(`{"cmd":"user","cmd":"NODE_SOMETHING"}` + "\n") // internal: skipped
	for range 2 * runs {
		for _, l := range user {
			stream.WriteString(l + "\n")
		}
	}
	go raw.Write([]byte(stream.String()))
	m := make(Message, 0, 256)
	for _, want := range user {
		var err error
		m, err = ch.AppendRecv(m[:0])
		require.NoError(t, err)
		require.Equal(t, want, m.String())
	}
	var err error
	allocs := testing.AllocsPerRun(runs-1, func() {
		for _, want := range user {
			if m, err = ch.AppendRecv(m[:0]); err != nil || string(m) != want {
				t.Fatalf("got %s, %v; want %s", m, err, want)
			}
		}
	})
	assert.Zero(t, allocs, "allocations per round of %d messages", len(user))
}

// TestAppendRecvErrorsLeaveDst: every way a receive fails leaves dst as
// it was, contents and spare capacity alike: a deadline (after which the
// message that was partly received arrives whole), a size over the limit,
// a peer gone in the middle of a line, and Close while AppendRecv waits.
// Messages from Recv and AppendRecv mixed on one channel come in order,
// and a message from Recv is never overwritten by a later AppendRecv.
func TestAppendRecvErrorsLeaveDst(t *testing.T) {
	dst := func() Message {
		m := make(Message, 0, 64<<10)
		m = append(m, "kept"...)
		return m[:cap(m)][:len(m)]
	}
	unchanged := func(t *testing.T, got, want Message) {
		t.Helper()
		require.Equal(t, "kept", got.String())
		require.Same(t, &want[0], &got[0])
		require.Equal(t, cap(want), cap(got))
		for i, b := range got[len(got):cap(got)] {
			if b != 0 {
				t.Fatalf("dst's spare capacity written at %d", i)
			}
		}
	}

	t.Run("deadline then mixed", func(t *testing.T) {
		ch, raw := rawPair(t, nil)
		d := dst()
		_, err := raw.Write([]byte(`{"half":`))
		require.NoError(t, err)
		require.NoError(t, ch.SetReadDeadline(time.Now().Add(20*time.Millisecond)))
		m, err := ch.AppendRecv(d)
		require.ErrorIs(t, err, os.ErrDeadlineExceeded)
		unchanged(t, m, d)
		require.NoError(t, ch.SetReadDeadline(time.Time{}))
		_, err = raw.Write([]byte("1}\n[2]\n\"three\"\n4\n"))
		require.NoError(t, err)
		m, err = ch.AppendRecv(d)
		require.NoError(t, err)
		require.Equal(t, `kept{"half":1}`, m.String())
		r, err := ch.Recv()
		require.NoError(t, err)
		m, err = ch.AppendRecv(m[:0])
		require.NoError(t, err)
		require.Equal(t, `"three"`, m.String())
		r2, err := ch.Recv()
		require.NoError(t, err)
		require.Equal(t, "[2] 4", r.String()+" "+r2.String())
	})

	t.Run("too large", func(t *testing.T) {
		ch, raw := rawPair(t, &Options{MaxMessageSize: 100})
		d := dst()
		go raw.Write([]byte(`"` + strings.Repeat("x", 200) + `"` + "\n"))
		m, err := ch.AppendRecv(d)
		require.ErrorIs(t, err, ErrTooLarge)
		unchanged(t, m, d)
		m, err = ch.AppendRecv(d)
		require.Error(t, err, "the error repeats")
		unchanged(t, m, d)
	})

	t.Run("peer gone mid-line", func(t *testing.T) {
		ch, raw := rawPair(t, nil)
		d := dst()
		_, err := raw.Write([]byte("[1]\n{\"cut\":"))
		require.NoError(t, err)
		require.NoError(t, raw.Close())
		m, err := ch.AppendRecv(d)
		require.NoError(t, err)
		require.Equal(t, "kept[1]", m.String())
		d = dst() // the message above is in d's spare capacity
		m, err = ch.AppendRecv(d)
		require.ErrorIs(t, err, io.ErrUnexpectedEOF)
		unchanged(t, m, d)
	})

	t.Run("Close while waiting", func(t *testing.T) {
		ch, _ := rawPair(t, nil)
		d := dst()
		type result struct {
			m   Message
			err error
		}
		got := make(chan result, 1)
		go func() {
			m, err := ch.AppendRecv(d)
			got <- result{m, err}
		}()
		time.Sleep(10 * time.Millisecond) // most often it waits by then; either way it must fail
		require.NoError(t, ch.Close())
		r := testkit.RecvOrFail(t, got, time.Minute, "AppendRecv still blocked a minute after Close")
		require.ErrorIs(t, r.err, net.ErrClosed)
		unchanged(t, r.m, d)
	})
}

// TestStressAppendRecvRacesClose: a receiver on AppendRecv(m[:0]) while
// the peer writes whole messages (some with a descriptor) and a cut one,
// and Close comes at a random moment: every message before the error is
// whole and in order, the error is net.ErrClosed (or io.ErrUnexpectedEOF
// once the peer is gone), the message returned with it is the dst passed,
// and no descriptor or goroutine is left (200 rounds, 2000 with
// SPAWNKIT_STRESS=1).
func TestStressAppendRecvRacesClose(t *testing.T) {
	testkit.NoLeaks(t)
	r, w, err := os.Pipe()
	require.NoError(t, err)
	defer w.Close()
	defer r.Close()
	rights := syscall.UnixRights(int(r.Fd()))
	n := testkit.Iterations(200, 10)
	closed, cut := 0, 0
	for round := range n {
		ch, raw := rawPair(t, nil)
		writerDone := make(chan struct{})
		go func() {
			defer close(writerDone)
			for i := 0; ; i++ {
				line := []byte(`{"seq":` + strconv.Itoa(i) + `,"pad":"` + strings.Repeat("p", i%7*1000) + `"}` + "\n")
				var oob []byte
				if i%5 == 0 {
					oob = rights
				}
				if i == 50 {
					line = line[:len(line)/2] // cut: the peer goes mid-line
				}
				if _, _, err := raw.WriteMsgUnix(line, oob, nil); err != nil || i == 50 {
					raw.Close()
					return
				}
			}
		}()
		got := make(chan error, 1)
		go func() {
			m := make(Message, 0, 8<<10)
			for seq := 0; ; seq++ {
				prev := m[:0]
				var err error
				m, err = ch.AppendRecv(prev)
				if err != nil {
					if len(m) != 0 || cap(m) != cap(prev) {
						err = fmt.Errorf("dst not returned with %v", err)
					}
					got <- err
					return
				}
				var v struct{ Seq int }
				if err := m.Decode(&v); err != nil || v.Seq != seq {
					got <- fmt.Errorf("message %d: %s (%v)", seq, m, err)
					return
				}
			}
		}()
		time.Sleep(time.Duration(rand.IntN(300)) * time.Microsecond)
		require.NoError(t, ch.Close())
		err := testkit.RecvOrFail(t, got, time.Minute, "round %d: AppendRecv still blocked a minute after Close", round)
		switch {
		case errors.Is(err, net.ErrClosed):
			closed++
		case errors.Is(err, io.ErrUnexpectedEOF):
			cut++
		default:
			t.Fatalf("round %d: %v", round, err)
		}
		<-writerDone
	}
	t.Logf("%d rounds: Close came first in %d, the cut line in %d", n, closed, cut)
}
