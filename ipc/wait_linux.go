//go:build linux && !spawnkit_portable

package ipc

import (
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The socket outside the netpoller.
//
// Go's netpoller registers a socket for its whole life (EPOLLIN, EPOLLOUT,
// edge-triggered), so every chunk the peer queues wakes the idle thread
// waiting in epoll_pwait, whether or not a goroutine waits for the socket:
// ~10–13 µs of the reader's CPU per 64 KiB message here (bench/RESULTS.md,
// issue 15). So the Channel keeps the socket as a plain descriptor, in
// blocking mode, that Go's netpoller never sees (an os.File made from a
// blocking descriptor is not registered); every read and write passes
// MSG_DONTWAIT.
//
// A goroutine that must wait parks on an epoll set of the channel's own,
// which Go's netpoller watches: epR for readers, epW for writers (an epoll
// descriptor only ever reports EPOLLIN, so a writer cannot wait on epR).
// The socket is in epR with EPOLLIN|EPOLLRDHUP|EPOLLONESHOT, armed
// (EPOLL_CTL_MOD) only when a reader is about to park, and the reader
// harvests the event (epoll_wait with a zero timeout) before it reads
// again, which disarms it: data that arrives while the reader works wakes
// nothing at all. Arming re-checks the socket's state, so data that came
// between the failed recvmsg and the arm makes epR ready at once. epW is
// the same with EPOLLOUT, created the first time a write has to wait.
//
// Receiving without the netpoller's wake-up chain: when the last read left
// the socket empty and something was sent since (a request/reply
// exchange), the next read is one blocking recvmsg, bounded by SO_RCVTIMEO
// to pollWindow, as a bare socketpair with a blocking read(2) is woken in
// the kernel on its own thread. Past pollWindow without data, or when
// maxPollers readers of this process already block that way, the reader
// parks: an idle channel holds no thread.
//
// A writer that must wait when no descriptor is left for epW (EMFILE)
// waits in poll(2) instead, holding its thread.
//
// Close wakes a blocked recvmsg or poll with shutdown(2) and parked goroutines by
// closing epR and epW, waits until no read or write uses the socket's
// descriptor, and closes it, exactly once. A deadline set while a read
// blocks in recvmsg takes effect when the window ends, at most pollWindow
// late; one that passes while a reader parks ends the wait at once.

// pollWindow is how long a read blocks in recvmsg before it parks instead
// (SO_RCVTIMEO: the kernel rounds it up to a clock tick, 4 ms at HZ=250). A
// variable for tests; 0 turns the blocking read off.
var pollWindow = time.Millisecond

// maxPollers bounds the threads blocked in recvmsg at once, process-wide:
// GOMAXPROCS−1, so that blocked readers never hold every P (a thread in a
// syscall keeps its P until sysmon takes it back, up to 10 ms later: at
// GOMAXPROCS=1 a request/reply within one process was ~6 times slower,
// bench/RESULTS.md), and none at GOMAXPROCS=1. With more channels busy
// than that, threads woken one by one cost more than the netpoller, which
// wakes one thread for many sockets (bench/RESULTS.md: 100 channels at
// once, 3.7 times slower unbounded).
func maxPollers() int32 { return int32(runtime.GOMAXPROCS(0)) - 1 }

// pollers counts the readers blocked in recvmsg; it never exceeds
// maxPollers, not even for a moment.
var pollers atomic.Int32

// takePoller counts one more reader blocked in recvmsg, unless maxPollers
// already are.
func takePoller() bool {
	limit := maxPollers()
	for {
		n := pollers.Load()
		if n >= limit {
			return false
		}
		if pollers.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// connSource reads and writes a Channel's socket (see the comment above).
type connSource struct {
	f  *os.File // the socket: blocking, in no epoll set of Go's
	fd int      // f's descriptor; open until close has seen users drop to 0

	epR  *os.File // the readers' epoll set (non-blocking, in Go's netpoller)
	epRC syscall.RawConn

	users    atomic.Int32 // reads and writes using fd
	stop     atomic.Bool  // closing: no new use of fd
	idleMu   sync.Mutex
	idle     sync.Cond     // on idleMu: users dropped to 0 after stop
	blocked  atomic.Bool   // a read blocks in recvmsg (blockingRead)
	wblocked atomic.Bool   // a write blocks in poll (pollWrite)
	block    bool          // reads may block in recvmsg (SO_RCVTIMEO is set)
	dl       atomic.Int64  // read deadline, Unix nanoseconds; 0 = none
	writes   atomic.Uint64 // messages written
	timeo    time.Duration

	// The reader's state for readMsg (under Channel.rmu), kept here so
	// that a read allocates nothing.
	drained        bool   // the last read left the socket empty
	seen           uint64 // writes when the last read returned
	parkRFn        func(fd uintptr) bool
	rAdded, rArmed bool // the socket is in epR; armed for input
	rev            unix.EpollEvent
	revs           [1]unix.EpollEvent
	perr           error
	p, oob         []byte
	n, oobn, flags int
	rmsg           unix.Msghdr
	riov           unix.Iovec

	// The writer's state for sendmsg (under Channel.wmu); epW and epWC
	// are set under epMu, and read under it or by the writer.
	epMu    sync.Mutex
	epW     *os.File
	epWC    syscall.RawConn
	parkWFn func(fd uintptr) bool
	wArmed  bool
	wev     unix.EpollEvent
	wevs    [1]unix.EpollEvent
	wperr   error
	wbufs   [2][]byte
	nbufs   int
	woob    []byte
	wmsg    unix.Msghdr
	wiov    [2]unix.Iovec
}

// openSource returns a source on a duplicate of f's socket; f is left
// open and as it was when it fails.
func openSource(f *os.File) (*connSource, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, err
	}
	fd := -1
	var derr error
	if err := rc.Control(func(sfd uintptr) {
		fd, derr = unix.FcntlInt(sfd, unix.F_DUPFD_CLOEXEC, 0)
	}); err != nil {
		return nil, err
	}
	if derr != nil {
		return nil, os.NewSyscallError("fcntl", derr)
	}
	s, err := newConnSource(fd)
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	return s, nil
}

// newConnSource returns a source on the socket fd, which it owns on
// success (on error fd is left open).
func newConnSource(fd int) (*connSource, error) {
	ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	if err := unix.SetNonblock(ep, true); err != nil {
		unix.Close(ep)
		return nil, os.NewSyscallError("fcntl", err)
	}
	if err := unix.SetNonblock(fd, false); err != nil {
		unix.Close(ep)
		return nil, os.NewSyscallError("fcntl", err)
	}
	s := &connSource{fd: fd}
	s.epR = os.NewFile(uintptr(ep), "ipc-epoll") // non-blocking: in Go's netpoller
	if s.epRC, err = s.epR.SyscallConn(); err != nil {
		s.epR.Close()
		return nil, err
	}
	s.f = os.NewFile(uintptr(fd), "ipc") // blocking: in no netpoller set
	s.idle.L = &s.idleMu
	s.parkRFn, s.parkWFn = s.parkR, s.parkW
	s.block = pollWindow > 0 && s.setTimeo(fd, pollWindow) == nil
	return s, nil
}

// enter counts one more use of fd, unless the source is closing.
func (s *connSource) enter() bool {
	s.users.Add(1)
	if s.stop.Load() {
		s.exit()
		return false
	}
	return true
}

// exit ends a use of fd that enter began.
func (s *connSource) exit() {
	if s.users.Add(-1) == 0 && s.stop.Load() {
		s.idleMu.Lock()
		s.idle.Broadcast()
		s.idleMu.Unlock()
	}
}

// control calls fn with the socket's descriptor, which stays open until fn
// returns; it fails with net.ErrClosed after close.
func (s *connSource) control(fn func(fd uintptr)) error {
	if !s.enter() {
		return net.ErrClosed
	}
	defer s.exit()
	fn(uintptr(s.fd))
	return nil
}

// recvmsg is recvmsg(2) without the peer's address (a connected socket's
// address is of no use, and converting it allocates).
func (s *connSource) recvmsg(flags int) error {
	s.riov.Base = unsafe.SliceData(s.p)
	s.riov.SetLen(len(s.p))
	s.rmsg.Iov = &s.riov
	s.rmsg.SetIovlen(1)
	s.rmsg.Control = nil
	s.rmsg.SetControllen(0)
	if len(s.oob) > 0 {
		s.rmsg.Control = unsafe.SliceData(s.oob)
		s.rmsg.SetControllen(len(s.oob))
	}
	n, _, e := syscall.Syscall(unix.SYS_RECVMSG, uintptr(s.fd), uintptr(unsafe.Pointer(&s.rmsg)), uintptr(flags|unix.MSG_CMSG_CLOEXEC))
	s.riov.Base, s.rmsg.Control = nil, nil // keep no buffer alive
	if e != 0 {
		return e
	}
	s.n, s.oobn, s.flags = int(n), int(s.rmsg.Controllen), int(s.rmsg.Flags)
	return nil
}

func (s *connSource) setTimeo(fd int, d time.Duration) error {
	if d == s.timeo {
		return nil
	}
	tv := unix.NsecToTimeval(int64(d))
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		return err
	}
	s.timeo = d
	return nil
}

func (s *connSource) readMsg(p, oob []byte) (int, int, int, error) {
	if dl := s.dl.Load(); dl != 0 && time.Now().UnixNano() >= dl {
		// As with a socket in Go's netpoller: past the deadline a read
		// fails, also when data is ready.
		return 0, 0, 0, os.ErrDeadlineExceeded
	}
	if !s.enter() {
		return 0, 0, 0, net.ErrClosed
	}
	s.p, s.oob = p, oob
	s.n, s.oobn, s.flags = 0, 0, 0
	// Block only when something was sent since the last read returned:
	// then an answer is likely on its way. A reader that reads again at
	// once (a goroutine that hands messages on to others, like
	// childproc's Events reader) parks instead, which lets the goroutine
	// it has just woken run on this thread.
	mayBlock := s.block && s.drained && s.writes.Load() != s.seen
	err := s.read(mayBlock)
	s.p, s.oob = nil, nil
	s.exit()
	n, oobn := s.n, s.oobn
	if n == 0 && oobn == 0 && err == nil {
		err = io.EOF // a zero-byte read on a stream socket is end-of-file
	}
	if err != nil && s.stop.Load() {
		err = net.ErrClosed // shutdown(2) by close makes the read return 0
	}
	s.drained = err == nil && n < len(p)
	s.seen = s.writes.Load()
	return n, oobn, s.flags, err
}

// read reads into s.p once, first blocking in recvmsg when mayBlock says
// so, parking on epR while the socket is empty.
func (s *connSource) read(mayBlock bool) error {
	if mayBlock {
		if done, err := s.blockingRead(); done {
			return err
		}
	}
	for {
		switch err := s.recvmsg(unix.MSG_DONTWAIT); err {
		case unix.EINTR:
			continue
		case nil:
			return nil
		case unix.EAGAIN:
		default:
			return os.NewSyscallError("recvmsg", err)
		}
		if err := s.parkRead(); err != nil {
			return err
		}
	}
}

// parkRead waits until the socket is readable (or at end of stream), the
// deadline passes or the source closes.
func (s *connSource) parkRead() error {
	s.perr = nil
	err := s.epRC.Read(s.parkRFn)
	if err == nil {
		err = s.perr
	}
	if err == nil {
		return nil
	}
	if s.rArmed {
		// A deadline ended the wait: take the socket out of epR, so
		// that it wakes nothing while nobody waits.
		s.epRC.Control(func(ep uintptr) { unix.EpollCtl(int(ep), unix.EPOLL_CTL_DEL, s.fd, nil) })
		s.rArmed, s.rAdded = false, false
	}
	if s.stop.Load() {
		return net.ErrClosed
	}
	return err
}

// parkR is parkRead's call with epR's descriptor held (RawConn.Read): it
// arms the socket in epR once, then reports whether epR has the event,
// taking it (which disarms the socket). False means wait in the netpoller
// for epR, then call again.
func (s *connSource) parkR(ep uintptr) bool {
	if !s.rArmed {
		op := unix.EPOLL_CTL_MOD
		if !s.rAdded {
			op = unix.EPOLL_CTL_ADD
		}
		s.rev = unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLRDHUP | unix.EPOLLONESHOT}
		if err := unix.EpollCtl(int(ep), op, s.fd, &s.rev); err != nil {
			s.perr = os.NewSyscallError("epoll_ctl", err)
			return true
		}
		s.rAdded, s.rArmed = true, true
	}
	for {
		n, err := unix.EpollWait(int(ep), s.revs[:], 0)
		switch {
		case err == unix.EINTR:
			continue
		case err != nil:
			s.perr = os.NewSyscallError("epoll_wait", err)
			return true
		case n > 0:
			s.rArmed = false // EPOLLONESHOT: taking the event disarmed it
			return true
		}
		return false
	}
}

// blockingRead reads in a blocking recvmsg for at most pollWindow, or
// until the deadline; done reports whether it read (or failed).
func (s *connSource) blockingRead() (done bool, err error) {
	if !takePoller() {
		return false, nil
	}
	defer pollers.Add(-1)
	s.blocked.Store(true)
	defer s.blocked.Store(false)
	for !s.stop.Load() {
		timeo := pollWindow
		if dl := s.dl.Load(); dl != 0 {
			left := time.Until(time.Unix(0, dl))
			if left <= 0 {
				return false, nil // parking reports the deadline
			}
			timeo = min(timeo, left)
		}
		if s.setTimeo(s.fd, max(timeo, time.Microsecond)) != nil {
			return false, nil
		}
		switch err := s.recvmsg(0); err {
		case unix.EINTR:
			continue // a signal; the window starts again
		case unix.EAGAIN:
			return false, nil // the window is over
		case nil:
			return true, nil
		default:
			return true, os.NewSyscallError("recvmsg", err)
		}
	}
	return false, nil
}

func (s *connSource) setReadDeadline(t time.Time) error {
	if err := s.epR.SetReadDeadline(t); err != nil {
		if s.stop.Load() || errors.Is(err, os.ErrClosed) {
			return net.ErrClosed
		}
		return err
	}
	s.dl.Store(deadlineNanos(t))
	return nil
}

// deadlineNanos is t in Unix nanoseconds for connSource.dl: 0 for the
// zero time (no deadline), clamped to [1, math.MaxInt64] otherwise, as
// t.UnixNano is undefined (it wraps, to a time in the past) outside the
// years 1678 to 2262, and time.Now().Add(math.MaxInt64) or the year 9999
// is a common way to say "no timeout".
func deadlineNanos(t time.Time) int64 {
	switch {
	case t.IsZero():
		return 0
	case !t.After(time.Unix(0, 0)):
		return 1
	case t.After(time.Unix(0, math.MaxInt64)):
		return math.MaxInt64
	}
	return t.UnixNano()
}

// write writes all of b, parking while the socket is full. Channel.wmu is
// held.
func (s *connSource) write(b []byte) error { return s.sendmsg(b, nil, nil) }

// writeBuffers writes a and then b with one system call where it can.
// Channel.wmu is held.
func (s *connSource) writeBuffers(a, b []byte) error { return s.sendmsg(a, b, nil) }

// writeRights writes line with the descriptors in oob (an SCM_RIGHTS
// control message), which go with its first byte. Channel.wmu is held.
func (s *connSource) writeRights(line, oob []byte) error { return s.sendmsg(line, nil, oob) }

// tryWrite writes as much of b as the socket takes now, without waiting.
// Channel.wmu is held.
func (s *connSource) tryWrite(b []byte) (int, error) {
	if !s.enter() {
		return 0, net.ErrClosed
	}
	defer s.exit()
	for {
		n, err := unix.SendmsgN(s.fd, b, nil, nil, unix.MSG_DONTWAIT|unix.MSG_NOSIGNAL)
		switch err {
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return 0, nil
		case nil:
			return n, nil
		}
		return 0, err
	}
}

// sendmsg writes a and b (oob with the first byte), never blocking the
// thread: on EAGAIN it parks on epW. Channel.wmu is held.
func (s *connSource) sendmsg(a, b, oob []byte) error {
	if !s.enter() {
		return net.ErrClosed
	}
	s.wbufs = [2][]byte{a, b}
	s.nbufs = 2
	if len(b) == 0 {
		s.nbufs = 1
	}
	s.woob = oob
	s.writes.Add(1)
	var err error
	for {
		var done bool
		if done, err = s.writeSome(); done {
			break
		}
		if err = s.parkWrite(); err != nil {
			break
		}
	}
	s.wbufs, s.woob = [2][]byte{}, nil
	s.exit()
	return err
}

// writeSome writes until everything is written (done), an error (done), or
// the socket is full (not done).
func (s *connSource) writeSome() (done bool, err error) {
	for {
		bufs := s.wbufs[:s.nbufs]
		for len(bufs) > 0 && len(bufs[0]) == 0 {
			bufs = bufs[1:]
		}
		if len(bufs) == 0 {
			return true, nil
		}
		for i, b := range bufs {
			s.wiov[i].Base = unsafe.SliceData(b)
			s.wiov[i].SetLen(len(b))
		}
		s.wmsg = unix.Msghdr{Iov: &s.wiov[0]}
		s.wmsg.SetIovlen(len(bufs))
		if len(s.woob) > 0 {
			s.wmsg.Control = unsafe.SliceData(s.woob)
			s.wmsg.SetControllen(len(s.woob))
		}
		r, _, e := syscall.Syscall(unix.SYS_SENDMSG, uintptr(s.fd), uintptr(unsafe.Pointer(&s.wmsg)), unix.MSG_DONTWAIT|unix.MSG_NOSIGNAL)
		s.wmsg, s.wiov = unix.Msghdr{}, [2]unix.Iovec{} // keep no buffer alive
		switch e {
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return false, nil
		case 0:
		default:
			return true, os.NewSyscallError("sendmsg", e)
		}
		s.woob = nil
		n := int(r)
		for k := 0; n > 0; k++ {
			d := min(n, len(s.wbufs[k]))
			s.wbufs[k] = s.wbufs[k][d:]
			n -= d
		}
	}
}

// parkWrite waits until the socket has room (or an error), or the source
// closes. epW is made the first time.
func (s *connSource) parkWrite() error {
	s.epMu.Lock()
	if s.stop.Load() {
		s.epMu.Unlock()
		return net.ErrClosed
	}
	if s.epW == nil {
		if err := s.openEpW(); err != nil {
			s.epMu.Unlock()
			if errors.Is(err, unix.EMFILE) || errors.Is(err, unix.ENFILE) || errors.Is(err, unix.ENOMEM) {
				// Out of descriptors: wait in poll(2) instead, on
				// this thread. Failing here would leave part of a
				// message in the stream, and the next message
				// glued to it.
				return s.pollWrite()
			}
			return err
		}
	}
	rc := s.epWC
	s.epMu.Unlock()
	s.wperr = nil
	err := rc.Read(s.parkWFn)
	if err == nil {
		err = s.wperr
	}
	if err != nil && s.stop.Load() {
		return net.ErrClosed
	}
	return err
}

// pollWrite waits in poll(2) until the socket has room (or an error), or
// the source closes: parkWrite's way when epW cannot be made (no
// descriptor left). It holds the thread; close wakes it with shutdown(2).
func (s *connSource) pollWrite() error {
	s.wblocked.Store(true)
	defer s.wblocked.Store(false)
	for !s.stop.Load() {
		fds := []unix.PollFd{{Fd: int32(s.fd), Events: unix.POLLOUT}}
		switch _, err := unix.Poll(fds, -1); err {
		case unix.EINTR:
			continue
		case nil:
			return nil // room, an error or a hang-up: the next sendmsg says which
		default:
			return os.NewSyscallError("poll", err)
		}
	}
	return net.ErrClosed
}

// openEpW makes epW, the writers' epoll set. epMu is held.
func (s *connSource) openEpW() error {
	ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return os.NewSyscallError("epoll_create1", err)
	}
	if err := unix.SetNonblock(ep, true); err != nil {
		unix.Close(ep)
		return os.NewSyscallError("fcntl", err)
	}
	f := os.NewFile(uintptr(ep), "ipc-epoll-w")
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return err
	}
	s.wev = unix.EpollEvent{Events: unix.EPOLLONESHOT}
	if err := unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, s.fd, &s.wev); err != nil {
		f.Close()
		return os.NewSyscallError("epoll_ctl", err)
	}
	s.epW, s.epWC = f, rc
	return nil
}

// parkW is parkWrite's call with epW's descriptor held, as parkR.
func (s *connSource) parkW(ep uintptr) bool {
	if !s.wArmed {
		s.wev = unix.EpollEvent{Events: unix.EPOLLOUT | unix.EPOLLONESHOT}
		if err := unix.EpollCtl(int(ep), unix.EPOLL_CTL_MOD, s.fd, &s.wev); err != nil {
			s.wperr = os.NewSyscallError("epoll_ctl", err)
			return true
		}
		s.wArmed = true
	}
	for {
		n, err := unix.EpollWait(int(ep), s.wevs[:], 0)
		switch {
		case err == unix.EINTR:
			continue
		case err != nil:
			s.wperr = os.NewSyscallError("epoll_wait", err)
			return true
		case n > 0:
			s.wArmed = false
			return true
		}
		return false
	}
}

// close closes the socket: it wakes a read blocked in recvmsg and parked
// readers and writers, waits until no read or write uses the descriptor,
// and closes it.
func (s *connSource) close() error {
	s.stop.Store(true)
	if s.blocked.Load() || s.wblocked.Load() {
		unix.Shutdown(s.fd, unix.SHUT_RDWR) // fd is open: users > 0
	}
	err := s.epR.Close() // wakes a parked reader, returns once it left
	s.epMu.Lock()
	if s.epW != nil {
		s.epW.Close()
	}
	s.epMu.Unlock()
	s.idleMu.Lock()
	for s.users.Load() != 0 {
		s.idle.Wait()
	}
	s.idleMu.Unlock()
	if cerr := s.f.Close(); cerr != nil {
		return cerr
	}
	if err != nil {
		return fmt.Errorf("epoll: %w", err)
	}
	return nil
}
