//go:build unix

package ipc

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// A Channel is one end of a message channel. Send, SendFile and Close may be
// called from any number of goroutines at once; Recv and RecvFile are
// serialized with each other (the usual pattern is one receiving goroutine
// running alongside any number of senders).
type Channel struct {
	src     *connSource // the socket (wait_linux.go, wait_other.go)
	maxSize int

	wmu sync.Mutex // serializes writes so messages never interleave

	rmu sync.Mutex // serializes reads
	fr  *frameReader

	// The sender's state (see send.go), guarded by smu; smu is never
	// taken while wmu is held, and wmu is never waited for while smu is
	// held: a Send blocked on a full socket holds wmu, and smu must stay
	// free for Close (which drains the queue first) and for the receiver
	// (which takes it to act on an acknowledgement).
	smu       sync.Mutex
	drained   sync.Cond  // on smu: the queue shrank, or the channel closed
	inflight  *outgoing  // the handle sent and not yet acknowledged
	queue     []outgoing // messages waiting for the acknowledgement
	queued    int        // bytes in queue
	queuedFDs int        // descriptors in queue
	flushing  bool       // a goroutine writes the queue
	sendErr   error      // writing the queue failed: sending is over

	socks   socketList  // sockets received from a Node net.Server
	answers answerState // answers owed to the peer (see answers.go)

	bg        sync.WaitGroup // goroutines Close waits for
	done      chan struct{}  // closed by Close
	closing   atomic.Bool    // Close was called: no more sends
	closeOnce sync.Once
	closed    atomic.Bool
}

// New returns a Channel on f, which must be a connected Unix-domain stream
// socket (for instance one end of a socketpair that a parent process handed
// over). On success New takes ownership of f: the Channel keeps its own
// close-on-exec duplicate of the descriptor and f is closed, so f must not
// be used afterwards. On error f is left untouched and open. opts may be
// nil (the defaults); a negative Options.MaxMessageSize is an error naming
// the field.
//
// On Linux a Channel holds two descriptors, both close-on-exec: the socket,
// which it puts into blocking mode and keeps out of Go's netpoller (data
// arriving while nobody waits wakes no thread), and an epoll set on which a
// Recv that has to wait for data parks; a Send that ever had to wait for
// room in the socket adds a third, a second epoll set (when no descriptor
// is left for it, EMFILE, that Send waits in poll(2) instead, holding its
// thread, rather than fail with part of its message written). Close closes
// them all. Elsewhere it holds one, the socket, read through Go's netpoller.
func New(f *os.File, opts *Options) (*Channel, error) {
	if f == nil {
		return nil, errors.New("ipc: New with nil file")
	}
	if opts != nil && opts.MaxMessageSize < 0 {
		return nil, fmt.Errorf("ipc: Options.MaxMessageSize is %d: must be >= 0", opts.MaxMessageSize)
	}
	// Checked before net.FileConn (wait_other.go), which puts the open
	// file description into non-blocking mode even when it then refuses f.
	if err := checkStreamSocket(f); err != nil {
		return nil, err
	}
	src, err := openSource(f)
	if err != nil {
		return nil, fmt.Errorf("ipc: %s: %w", f.Name(), err)
	}
	f.Close()
	return newChannel(src, opts), nil
}

// checkStreamSocket reports an error unless f is a Unix-domain stream
// socket. It leaves f as it is (f.Fd would put it into blocking mode).
func checkStreamSocket(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return fmt.Errorf("ipc: %s: %w", f.Name(), err)
	}
	var (
		sa   syscall.Sockaddr
		typ  int
		serr error
	)
	if err := rc.Control(func(fd uintptr) {
		if sa, serr = syscall.Getsockname(int(fd)); serr == nil {
			typ, serr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_TYPE)
		}
	}); err != nil {
		return fmt.Errorf("ipc: %s: %w", f.Name(), err)
	}
	if serr != nil {
		return fmt.Errorf("ipc: %s is not a socket: %w", f.Name(), serr)
	}
	if _, ok := sa.(*syscall.SockaddrUnix); !ok {
		return fmt.Errorf("ipc: %s is not a Unix-domain socket", f.Name())
	}
	if typ != syscall.SOCK_STREAM {
		return fmt.Errorf("ipc: %s is not a stream socket", f.Name())
	}
	return nil
}

func newChannel(src *connSource, opts *Options) *Channel {
	max := DefaultMaxMessageSize
	if opts != nil && opts.MaxMessageSize != 0 { // New refused a negative one
		max = opts.MaxMessageSize
	}
	c := &Channel{
		src:     src,
		maxSize: max,
		fr:      newFrameReader(src, max),
		done:    make(chan struct{}),
	}
	c.drained.L = &c.smu
	c.answers.room.L = &c.answers.mu
	return c
}

// pairSendBuffer is the send buffer (SO_SNDBUF) Pair asks for on both ends.
// Linux doubles the figure for its bookkeeping, so 512 KiB may be in
// flight each way instead of the default 208 KiB (net.core.wmem_default),
// which Node keeps: a sender of 64 KiB messages blocks, and the receiver
// runs dry and is woken, about a third less often (bench/RESULTS.md, issue
// 15). Larger did not help: what is in flight should stay in the caches.
const pairSendBuffer = 256 << 10

// Pair creates a connected socketpair (AF_UNIX, SOCK_STREAM, both ends
// close-on-exec). It returns a Channel on one end and the other end as a
// file to hand to a child process (exec.Cmd.ExtraFiles; tell the child its
// descriptor number in NODE_CHANNEL_FD). The child end is in blocking mode
// and is not inherited by anything unless passed explicitly; the caller
// should close it once the child has been started, or the Channel never
// sees end-of-file when the child exits. Both ends ask for a 256 KiB send
// buffer (SO_SNDBUF; Linux reports and allows double that), larger than
// the system's default, which cuts wake-ups for large messages; where the
// system caps it lower (net.core.wmem_max), the cap applies. The
// Channel's descriptors are as for [New].
func Pair() (parent *Channel, child *os.File, err error) {
	fds, err := socketpair()
	if err != nil {
		return nil, nil, os.NewSyscallError("socketpair", err)
	}
	for _, fd := range fds {
		// Best effort: a smaller buffer only costs wake-ups.
		syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_SNDBUF, pairSendBuffer)
	}
	pf := os.NewFile(uintptr(fds[0]), "ipc-parent")
	src, err := openSource(pf)
	pf.Close()
	if err != nil {
		syscall.Close(fds[1])
		return nil, nil, fmt.Errorf("ipc: %w", err)
	}
	return newChannel(src, nil), os.NewFile(uintptr(fds[1]), "ipc-child"), nil
}

// rawLimit is the size above which a raw message is written with writev
// instead of being copied next to its newline.
const rawLimit = 32 << 10

var newline = []byte{'\n'}

// Send encodes v as JSON and sends it as one message. A [Message] or a
// json.RawMessage is sent as it is, without re-encoding: it must be one
// valid JSON value (it is not checked, and a Node peer dies on invalid
// JSON); if it contains a newline it is compacted first (and then it must
// be valid). An empty raw message is an error. Other values are encoded
// with encoding/json without HTML escaping; values JSON cannot represent
// (NaN, channels, ...) are an error, where Node would send null.
//
// Send blocks while the socket buffer is full (the peer is not reading);
// it never drops or reorders messages. Messages sent concurrently are
// written one after the other, never interleaved. While a handle sent by
// SendFile waits for its acknowledgement, Send queues the message behind
// it and returns nil (see [Channel.SendFile]). After Close, Send returns
// net.ErrClosed; when the peer has gone, it returns an error wrapping
// syscall.EPIPE or ECONNRESET.
func (c *Channel) Send(v any) error {
	raw, isRaw := rawOf(v)
	if isRaw && len(raw) > 0 && bytes.IndexByte(raw, '\n') < 0 {
		if len(raw) > c.maxSize {
			return ErrTooLarge
		}
		if len(raw) > rawLimit {
			return c.send(raw, true)
		}
	}
	e := encPool.Get().(*encBuf)
	defer putEncBuf(e)
	if err := encodeLine(e, v); err != nil {
		return err
	}
	if e.b.Len()-1 > c.maxSize {
		return ErrTooLarge
	}
	return c.send(e.b.Bytes(), false)
}

func (c *Channel) writeErr(err error) error {
	if err == nil {
		return nil
	}
	if c.closed.Load() || errors.Is(err, net.ErrClosed) {
		return net.ErrClosed
	}
	return fmt.Errorf("ipc: send: %w", err)
}

// Recv returns the next message from the peer, skipping Node's internal
// messages. The returned Message is owned by the caller. If the message
// arrived with a descriptor (see [Channel.SendFile]), the descriptor is
// closed; use [Channel.RecvFile] to keep it.
//
// Recv returns io.EOF once the peer has closed its end cleanly (a reset
// connection counts as closed, as it does for Node), io.ErrUnexpectedEOF if
// the peer closed in the middle of a message, and net.ErrClosed once Close
// has been called, including when Close interrupts a Recv that is blocked
// waiting for data. These errors repeat on every later call.
//
// A line that is not valid JSON is returned as a *[SyntaxError] naming its
// byte offset in the stream; the line is consumed and the channel stays
// usable. A message longer than the size limit is [ErrTooLarge]; the
// channel is then closed.
func (c *Channel) Recv() (Message, error) {
	m, f, err := c.RecvFile()
	if f != nil {
		f.Close()
	}
	return m, err
}

// AppendRecv is [Channel.Recv] appending the message to dst: it returns
// dst extended by the next message, and dst unchanged with the error when
// there is none. Passing the previous message's storage (m[:0]) lets a
// receiver that is done with each message before the next one reuse it:
// no allocation per message once it is large enough, where Recv allocates
// every message (for large messages that allocation, and the garbage
// collection it brings, costs more than the rest of the receive:
// bench/RESULTS.md). That holds for every message without a descriptor,
// including a user's object with a "cmd" member that mentions "NODE_"
// or has escapes; a message that came with a descriptor (a handle sent
// by SendFile or Node) costs a few allocations of its own. The returned message may share dst's storage; it
// aliases nothing of the channel's. A descriptor that came with the
// message is closed, as with Recv. Everything else (errors, Node's
// internal messages, answers) is as for Recv.
func (c *Channel) AppendRecv(dst Message) (Message, error) {
	m, f, err := c.recvFile(dst)
	if f != nil {
		f.Close()
	}
	if err != nil {
		return dst, err
	}
	return m, nil
}

// Close closes the channel. A Node peer then emits 'disconnect'; a Go peer's
// Recv returns io.EOF. Like Node's disconnect(), Close first lets messages
// queued behind an unacknowledged handle (see [Channel.SendFile]) go out:
// it waits for the acknowledgement, which a Recv in progress reads, or
// Close itself when none is (dropping what else arrives), for 2 s at most;
// from its start, Send and SendFile return net.ErrClosed. Then Close
// interrupts a blocked Recv (which returns net.ErrClosed) and blocked
// Sends, drops what is still queued, and closes descriptors that were
// received but not yet returned. Answers the channel owes the peer
// (NODE_HANDLE_ACK and the like) that could not be written yet, because
// the peer's socket was full, go out before the socket closes; Close waits
// for them within the same 2 s. Close is idempotent: later calls return
// nil.
func (c *Channel) Close() error {
	if c.closing.Swap(true) {
		return nil
	}
	deadline := time.Now().Add(closeGrace)
	c.drainQueue()
	c.flushAnswers(deadline)
	first, err := c.closeConn()
	c.wakeAnswers()
	close(c.done)
	c.smu.Lock()
	c.drained.Broadcast()
	c.smu.Unlock()
	c.bg.Wait()
	c.smu.Lock()
	c.dropQueue()
	c.smu.Unlock()
	if !first {
		return nil
	}
	// Any Recv blocked in a read has now been woken up; wait for it and
	// drop the descriptors nobody will collect.
	c.rmu.Lock()
	c.fr.closeFDs()
	c.rmu.Unlock()
	if err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("ipc: close: %w", err)
	}
	return nil
}

// SetReadDeadline makes a Recv or RecvFile that is waiting for data at
// time t, or that starts waiting after it, return an error matching
// os.ErrDeadlineExceeded; a zero t removes the deadline. Unlike the other
// receive errors this one does not repeat: once the deadline is moved or
// removed, the next Recv goes on where the stream stopped, with a message
// that was partly received kept. The deadline may be set from any
// goroutine, also while a Recv waits (one that waits for answers owed to
// the peer to be written, see [Channel.RecvFile], returns then too). After
// Close it returns net.ErrClosed.
//
// On Linux a Recv that waits for the answer to a message sent since the
// previous Recv returned first waits in the kernel (a blocking recvmsg,
// which wakes it sooner than Go's netpoller), for at most a millisecond
// rounded up to a clock tick (4 ms at HZ=250); a deadline set while it
// waits there takes effect when that time is over. A deadline set before
// it bounds it, and Close wakes it at once. A Recv that parks (on the
// channel's epoll set, see [New]) ends at once when the deadline passes.
func (c *Channel) SetReadDeadline(t time.Time) error {
	c.setAnswerDeadline(t)
	if err := c.src.setReadDeadline(t); err != nil {
		if c.closed.Load() || errors.Is(err, net.ErrClosed) {
			return net.ErrClosed
		}
		return fmt.Errorf("ipc: %w", err)
	}
	return nil
}

// closeConn closes the socket once; first reports whether this call did it.
func (c *Channel) closeConn() (first bool, err error) {
	c.closeOnce.Do(func() {
		first = true
		c.closed.Store(true)
		err = c.src.close()
	})
	return first, err
}

// recvLine returns the next complete line, mapping read errors onto the
// documented ones.
func (c *Channel) recvLine() (line []byte, off int64, fd int, err error) {
	line, off, fd, err = c.fr.next()
	if err == nil {
		return
	}
	switch {
	case err == ErrTooLarge:
		c.closeConn()
		c.fr.closeFDs()
	case c.closed.Load() || errors.Is(err, net.ErrClosed):
		err = net.ErrClosed
	case errors.Is(err, syscall.ECONNRESET):
		err = io.EOF
	case errors.Is(err, os.ErrDeadlineExceeded):
		return nil, 0, -1, err // not sticky: see SetReadDeadline
	}
	c.fr.err = err
	return nil, 0, -1, err
}
