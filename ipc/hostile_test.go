//go:build unix

package ipc_test

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spawnkit/spawnkit/ipc"
)

// The tests in this file talk to testdata/hostile, a peer that writes raw
// bytes on its end of the channel instead of following the protocol. It is
// built without the race detector, so that the memory it reports is the
// channel's and not the detector's.

// buildHostile builds testdata/hostile into a temporary directory.
func buildHostile(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "hostile")
	out, err := exec.Command("go", "build", "-o", bin, "./testdata/hostile").CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	return bin
}

// hostilePeer starts `hostile MODE ARGS...` with the other end of a fresh
// channel as its fd 3 and returns the channel and the running peer.
func hostilePeer(t *testing.T, bin string, opts *ipc.Options, mode string, args ...string) (*ipc.Channel, *exec.Cmd) {
	t.Helper()
	fds, err := ipc.CloexecSocketpair(syscall.SOCK_STREAM)
	require.NoError(t, err)
	ch, err := ipc.New(os.NewFile(uintptr(fds[0]), "ours"), opts)
	require.NoError(t, err)
	peer := os.NewFile(uintptr(fds[1]), "peer")
	cmd := exec.Command(bin, append([]string{mode}, args...)...)
	cmd.ExtraFiles = []*os.File{peer}
	cmd.Env = append(os.Environ(), "NODE_CHANNEL_FD=3")
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	peer.Close()
	t.Cleanup(func() {
		ch.Close()
		cmd.Process.Kill()
		cmd.Wait()
	})
	return ch, cmd
}

// recvWithin is Recv with a deadline, so a hang fails the test instead of
// stalling the package.
func recvWithin(t *testing.T, ch *ipc.Channel, d time.Duration) (ipc.Message, *os.File, error) {
	t.Helper()
	type result struct {
		m   ipc.Message
		f   *os.File
		err error
	}
	done := make(chan result, 1)
	go func() {
		m, f, err := ch.RecvFile()
		done <- result{m, f, err}
	}()
	select {
	case r := <-done:
		return r.m, r.f, r.err
	case <-time.After(d):
		ch.Close() // unblocks the goroutine
		<-done
		t.Fatalf("Recv still blocked after %v", d)
		return nil, nil, nil
	}
}

// pipeFDs counts this process's descriptors of the pipe with inode ino.
func pipeFDs(t *testing.T, ino uint64) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	require.NoError(t, err)
	n := 0
	for _, e := range entries {
		if target, _ := os.Readlink("/proc/self/fd/" + e.Name()); target == "pipe:["+strconv.FormatUint(ino, 10)+"]" {
			n++
		}
	}
	return n
}

func TestHostilePeer(t *testing.T) {
	bin := buildHostile(t)

	t.Run("endless line: ErrTooLarge with bounded memory", func(t *testing.T) {
		// In a process of its own, with the default limit: its peak RSS
		// may grow by the limit plus at most 64 MiB.
		out, err := exec.Command(bin, "recv-endless", "0").Output()
		require.NoError(t, err)
		var r struct {
			Err      string `json:"err"`
			TooLarge bool   `json:"tooLarge"`
			RSS, HWM int64
		}
		require.NoError(t, json.Unmarshal(out, &r), "%s", out)
		assert.True(t, r.TooLarge, "Recv returned %s", r.Err)
		growth := r.HWM - r.RSS
		t.Logf("peak RSS grew by %d MiB for a %d MiB limit", growth>>20, ipc.DefaultMaxMessageSize>>20)
		assert.Less(t, growth, int64(ipc.DefaultMaxMessageSize+64<<20), "peak RSS growth")
	})

	t.Run("NODE_HANDLE flood from a peer that never reads: bounded memory", func(t *testing.T) {
		// Every envelope without a descriptor is answered with a NACK,
		// written before the next message is read: once the peer's socket
		// is full, the channel stops reading, and the peer stops writing.
		const n = 3_000_000
		out, err := exec.Command(bin, "recv-handle-flood", strconv.Itoa(n)).Output()
		require.NoError(t, err)
		var r struct {
			Written  int64
			RSS, HWM int64
		}
		require.NoError(t, json.Unmarshal(out, &r), "%s", out)
		growth := r.HWM - r.RSS
		t.Logf("%d envelopes written before the receiver stopped reading; peak RSS grew by %d KiB", r.Written, growth>>10)
		assert.Less(t, r.Written, int64(n), "the receiver stopped reading")
		assert.Less(t, growth, int64(64<<20), "peak RSS growth")
	})

	t.Run("endless line: channel closed, peer stopped", func(t *testing.T) {
		ch, cmd := hostilePeer(t, bin, &ipc.Options{MaxMessageSize: 1 << 20}, "endless")
		_, _, err := recvWithin(t, ch, 20*time.Second)
		require.ErrorIs(t, err, ipc.ErrTooLarge)
		_, _, err = recvWithin(t, ch, time.Second)
		require.ErrorIs(t, err, ipc.ErrTooLarge, "sticky")
		assert.Error(t, ch.Send("x"), "the channel is closed")
		// The peer's next write fails and it exits: nothing blocks.
		require.NoError(t, cmd.Wait())
	})

	t.Run("garbage: invalid UTF-8, invalid JSON, NUL", func(t *testing.T) {
		ch, cmd := hostilePeer(t, bin, nil, "garbage")
		var got []string
		for {
			m, _, err := recvWithin(t, ch, 10*time.Second)
			if errors.Is(err, io.EOF) {
				break
			}
			var se *ipc.SyntaxError
			if errors.As(err, &se) {
				got = append(got, "syntax error")
				continue
			}
			require.NoError(t, err)
			got = append(got, string(m))
		}
		require.NoError(t, cmd.Wait())
		// Invalid UTF-8 inside a string is valid JSON to encoding/json (and
		// to Node, which reads it as U+FFFD): it is delivered as it came.
		assert.Equal(t, []string{
			"\"\xff\xfe\"", "syntax error", "syntax error", "syntax error",
			`{"ok":true}`, "syntax error", `{"ok":"again"}`,
		}, got)
		var s string
		require.NoError(t, ipc.Message("\"\xff\xfe\"").Decode(&s))
		assert.Equal(t, "\uFFFD\uFFFD", s)
	})

	t.Run("a million tiny messages, in order", func(t *testing.T) {
		n := 1_000_000
		ch, cmd := hostilePeer(t, bin, nil, "tiny", strconv.Itoa(n))
		done := make(chan error, 1)
		go func() {
			for i := range n {
				m, err := ch.Recv()
				if err != nil {
					done <- err
					return
				}
				if string(m) != strconv.Itoa(i) {
					done <- errors.New("message " + strconv.Itoa(i) + " is " + string(m))
					return
				}
			}
			_, err := ch.Recv()
			if !errors.Is(err, io.EOF) {
				done <- errors.New("after the last message: " + err.Error())
				return
			}
			done <- nil
		}()
		select {
		case err := <-done:
			require.NoError(t, err)
		case <-time.After(2 * time.Minute):
			ch.Close()
			<-done
			t.Fatal("not delivered within 2 minutes")
		}
		require.NoError(t, cmd.Wait())
	})

	t.Run("peer closes mid-message", func(t *testing.T) {
		ch, cmd := hostilePeer(t, bin, nil, "midclose")
		_, _, err := recvWithin(t, ch, 10*time.Second)
		require.ErrorIs(t, err, io.ErrUnexpectedEOF)
		_, _, err = recvWithin(t, ch, time.Second)
		require.ErrorIs(t, err, io.ErrUnexpectedEOF, "sticky")
		require.NoError(t, cmd.Wait())
	})

	t.Run("peer killed mid-message", func(t *testing.T) {
		ch, cmd := hostilePeer(t, bin, nil, "hang")
		time.AfterFunc(200*time.Millisecond, func() { cmd.Process.Kill() })
		_, _, err := recvWithin(t, ch, 10*time.Second)
		require.ErrorIs(t, err, io.ErrUnexpectedEOF)
	})

	for _, tc := range []struct {
		name     string
		n, per   int
		withFile bool
	}{
		{"10000 fds, 250 per sendmsg, Recv", 10000, 250, false},
		{"10000 fds, 250 per sendmsg, RecvFile", 10000, 250, true},
		{"10000 fds, one per message, RecvFile", 10000, 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var lim syscall.Rlimit
			require.NoError(t, syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim))
			t.Logf("RLIMIT_NOFILE %d (the kernel installs only what fits the receive buffer and the limit, and drops the rest)", lim.Cur)
			ch, cmd := hostilePeer(t, bin, nil, "fds", strconv.Itoa(tc.n), strconv.Itoa(tc.per))
			batches, files := 0, 0
			var ino uint64
			for {
				var m ipc.Message
				var f *os.File
				var err error
				if tc.withFile {
					m, f, err = recvWithin(t, ch, 20*time.Second)
				} else {
					m, err = ch.Recv()
				}
				require.NoError(t, err)
				if f != nil {
					files++
					var st syscall.Stat_t
					require.NoError(t, syscall.Fstat(int(f.Fd()), &st))
					assert.Equal(t, uint32(syscall.S_IFIFO), st.Mode&syscall.S_IFMT, "the pipe that was sent")
					f.Close()
				}
				var msg struct {
					Batch *int   `json:"batch"`
					Ino   uint64 `json:"ino"`
					Done  bool   `json:"done"`
				}
				require.NoError(t, m.Decode(&msg), "%s", m)
				if msg.Done {
					break
				}
				ino = msg.Ino
				require.NotNil(t, msg.Batch, "%s", m)
				require.Equal(t, batches, *msg.Batch, "in order")
				batches++
			}
			require.NoError(t, cmd.Wait())
			assert.Equal(t, (tc.n+tc.per-1)/tc.per, batches)
			if tc.withFile {
				assert.Equal(t, batches, files, "each batch's message comes with one of its descriptors")
			}
			require.NoError(t, ch.Close())
			require.NotZero(t, ino)
			assert.Zero(t, pipeFDs(t, ino), "no received descriptor leaked")
		})
	}
}

// FuzzHostileFDs sends arbitrary bytes over a real socket in chunks, some
// of which carry a descriptor (SCM_RIGHTS), and reads them back with
// RecvFile: whatever the bytes and wherever the descriptors land, nothing
// panics, every file returned is the one that was sent, no returned
// message holds a newline, and no descriptor is left open.
func FuzzHostileFDs(f *testing.F) {
	for _, seed := range []struct {
		data string
		mask uint64
	}{
		{"{}\n", 1},
		{"1\n2\n3\n", 0b101},
		{`{"cmd":"NODE_HANDLE","type":"net.Native","msg":1}` + "\n", 1},
		{`{"cmd":"NODE_HANDLE","type":"net.Native","msg":1}` + "\n", 0},
		{"\"no newline", 0xff},
		{"\n\n\n\n", 0xffffffffffffffff},
		{"[1,\n2]\n{\"a\":}\n\"ok\"\n", 0b1010},
		{strings.Repeat("x", 500) + "\n" + strings.Repeat("[", 300) + "\n", 0x5555},
	} {
		f.Add([]byte(seed.data), seed.mask)
	}
	f.Fuzz(func(t *testing.T, data []byte, mask uint64) {
		if len(data) > 16<<10 {
			t.Skip()
		}
		r, w, err := os.Pipe()
		require.NoError(t, err)
		var want syscall.Stat_t
		require.NoError(t, syscall.Fstat(int(r.Fd()), &want))
		fds, err := ipc.CloexecSocketpair(syscall.SOCK_STREAM)
		require.NoError(t, err)
		ch, err := ipc.New(os.NewFile(uintptr(fds[0]), "ours"), &ipc.Options{MaxMessageSize: 1 << 10})
		require.NoError(t, err)

		sent := make(chan error, 1)
		go func() {
			defer syscall.Close(fds[1])
			rest, n := data, uint(0)
			for j := 0; len(rest) > 0; j++ {
				n = n*31 + 7
				k := min(1+int(n%97), len(rest))
				var oob []byte
				if mask&(1<<(j%64)) != 0 {
					oob = syscall.UnixRights(int(r.Fd()))
				}
				if err := syscall.Sendmsg(fds[1], rest[:k], oob, nil, 0); err != nil {
					// The receiver gave up (ErrTooLarge closes it).
					sent <- nil
					return
				}
				rest = rest[k:]
			}
			sent <- nil
		}()
		for {
			m, file, err := ch.RecvFile()
			if file != nil {
				var st syscall.Stat_t
				require.NoError(t, syscall.Fstat(int(file.Fd()), &st))
				require.Equal(t, want.Ino, st.Ino, "the descriptor that was sent")
				file.Close()
			}
			var se *ipc.SyntaxError
			if errors.As(err, &se) {
				continue
			}
			if err != nil {
				break
			}
			require.NotContains(t, string(m), "\n")
		}
		ch.Close()
		<-sent
		r.Close()
		w.Close()
		require.Zero(t, pipeFDs(t, want.Ino), "no descriptor leaked")
	})
}

func TestSendFileFlood(t *testing.T) {
	// The receiver acknowledges every handle before RecvFile returns; the
	// sender, which reads the acknowledgements, keeps one handle in flight
	// and queues the rest. Neither side may end up waiting for the other:
	// thousands of handles go through, in order, each with its message.
	a, f, err := ipc.Pair()
	require.NoError(t, err)
	b, err := ipc.New(f, nil)
	require.NoError(t, err)
	r, w, err := os.Pipe()
	require.NoError(t, err)
	var st syscall.Stat_t
	require.NoError(t, syscall.Fstat(int(r.Fd()), &st))
	const n = 3000
	sent := make(chan error, 1)
	acks := make(chan error, 1)
	go func() {
		_, err := a.Recv() // only acknowledgements come: it ends at Close
		acks <- err
	}()
	go func() {
		for i := range n {
			if err := a.SendFile(i, r); err != nil {
				sent <- err
				return
			}
		}
		sent <- nil
	}()
	received := make(chan error, 1)
	go func() {
		for i := range n {
			m, f, err := b.RecvFile()
			if err != nil {
				received <- err
				return
			}
			f.Close()
			if string(m) != strconv.Itoa(i) {
				received <- errors.New("message " + strconv.Itoa(i) + " is " + string(m))
				return
			}
		}
		received <- nil
	}()
	select {
	case err := <-received:
		require.NoError(t, err)
	case <-time.After(20 * time.Second):
		a.Close()
		b.Close()
		t.Fatal("deadlock: the receiver is blocked acknowledging, the sender sending")
	}
	require.NoError(t, <-sent)
	require.NoError(t, a.Close())
	require.ErrorIs(t, <-acks, net.ErrClosed)
	require.NoError(t, b.Close())
	r.Close()
	w.Close()
	assert.Zero(t, pipeFDs(t, st.Ino), "no descriptor leaked")
}
