//go:build linux && !spawnkit_portable

package ipc

import (
	"io"
	"net"
	"os"
	"runtime"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Receiving without the netpoller's wake-up chain.
//
// Read through the netpoller, a message that arrives while the reader is
// parked costs a recvmsg that fails with EAGAIN, an epoll_pwait in some
// idle thread, and a scheduler hand-off (a spinning thread, a futex wake)
// before the reader runs and reads again. A blocking read instead sleeps
// in the kernel and is woken there, on its own thread: what a bare
// socketpair with a blocking read(2) does (bench/RESULTS.md, issue 15).
//
// So the socket's file description is in blocking mode, every write and
// every other read passes MSG_DONTWAIT (and waits in the netpoller on
// EAGAIN, as before), and when the last read left the socket empty (a
// request/reply exchange) the next read is one blocking recvmsg, bounded
// by SO_RCVTIMEO to pollWindow. Past pollWindow without data, or when
// maxPollers readers of this process already block that way, the reader
// parks on the netpoller: an idle channel holds no thread. Close wakes a
// blocked read with shutdown(2); a deadline set while a read blocks takes
// effect when the window ends, at most pollWindow late.

// pollWindow is how long a read blocks in recvmsg before it parks on the
// netpoller instead (SO_RCVTIMEO: the kernel rounds it up to a clock tick,
// 4 ms at HZ=250). A variable for tests.
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
	c       *net.UnixConn
	rc      syscall.RawConn
	block   bool          // the description is in blocking mode
	dl      atomic.Int64  // read deadline, Unix nanoseconds; 0 = none
	stop    atomic.Bool   // closing
	blocked atomic.Bool   // a read blocks in recvmsg
	drained bool          // the last read left the socket empty (reader only)
	writes  atomic.Uint64 // messages written
	seen    uint64        // writes when the last read returned (reader only)
	timeo   time.Duration

	// The reader's state for read (under Channel.rmu), kept here so that
	// a read allocates nothing.
	readFn             func(fd uintptr) bool
	p, oob             []byte
	n, oobn, flags     int
	err                error
	mayBlock, didBlock bool
	rmsg               unix.Msghdr
	riov               unix.Iovec

	// The writer's state for write (under Channel.wmu).
	writeFn func(fd uintptr) bool
	wbufs   [2][]byte
	nbufs   int
	woob    []byte
	werr    error
	wmsg    unix.Msghdr
	wiov    [2]unix.Iovec
}

// recvmsg is recvmsg(2) without the peer's address (a connected socket's
// address is of no use, and converting it allocates).
func (s *connSource) recvmsg(fd, flags int) error {
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
	n, _, e := syscall.Syscall(unix.SYS_RECVMSG, uintptr(fd), uintptr(unsafe.Pointer(&s.rmsg)), uintptr(flags|unix.MSG_CMSG_CLOEXEC))
	s.riov.Base, s.rmsg.Control = nil, nil // keep no buffer alive
	if e != 0 {
		return e
	}
	s.n, s.oobn, s.flags = int(n), int(s.rmsg.Controllen), int(s.rmsg.Flags)
	return nil
}

func newConnSource(c *net.UnixConn) *connSource {
	s := &connSource{c: c}
	s.readFn, s.writeFn = s.read, s.writeLocked
	rc, err := c.SyscallConn()
	if err != nil {
		return s
	}
	s.rc = rc
	if pollWindow <= 0 {
		return s
	}
	var serr error
	rc.Control(func(fd uintptr) {
		if serr = s.setTimeo(int(fd), pollWindow); serr == nil {
			serr = unix.SetNonblock(int(fd), false)
		}
	})
	s.block = serr == nil
	return s
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
	if !s.block {
		return unixSource{s.c}.readMsg(p, oob)
	}
	s.p, s.oob = p, oob
	s.n, s.oobn, s.flags, s.err = 0, 0, 0, nil
	// Block only when something was sent since the last read returned:
	// then an answer is likely on its way. A reader that reads again at
	// once (a goroutine that hands messages on to others, like
	// childproc's Events reader) parks in the netpoller instead, which
	// lets the goroutine it has just woken run on this thread.
	s.mayBlock = s.drained && s.writes.Load() != s.seen
	s.didBlock = false
	err := s.rc.Read(s.readFn)
	s.p, s.oob = nil, nil
	if err == nil {
		err = s.err
	}
	n, oobn := s.n, s.oobn
	if n == 0 && oobn == 0 && err == nil {
		err = io.EOF // a zero-byte read on a stream socket is end-of-file
	}
	s.drained = err == nil && n < len(p)
	s.seen = s.writes.Load()
	return n, oobn, s.flags, err
}

// read is the reader's call with the descriptor held (RawConn.Read): false
// means wait in the netpoller, then call again.
func (s *connSource) read(fd uintptr) bool {
	if s.mayBlock && !s.didBlock {
		s.didBlock = true
		if s.blockingRead(int(fd)) {
			return true
		}
	}
	for {
		switch err := s.recvmsg(int(fd), unix.MSG_DONTWAIT); err {
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return false
		case nil:
		default:
			s.err = os.NewSyscallError("recvmsg", err)
		}
		return true
	}
}

// blockingRead reads in a blocking recvmsg for at most pollWindow, or
// until the deadline; it reports false when nothing was read.
func (s *connSource) blockingRead(fd int) bool {
	if !takePoller() {
		return false
	}
	defer pollers.Add(-1)
	s.blocked.Store(true)
	defer s.blocked.Store(false)
	for !s.stop.Load() {
		timeo := pollWindow
		if dl := s.dl.Load(); dl != 0 {
			left := time.Until(time.Unix(0, dl))
			if left <= 0 {
				return false // the netpoller reports the deadline
			}
			timeo = min(timeo, left)
		}
		if s.setTimeo(fd, max(timeo, time.Microsecond)) != nil {
			return false
		}
		switch err := s.recvmsg(fd, 0); err {
		case unix.EINTR:
			continue // a signal; the window starts again
		case unix.EAGAIN:
			return false // the window is over
		case nil:
		default:
			s.err = os.NewSyscallError("recvmsg", err)
		}
		return true
	}
	return false
}

func (s *connSource) setReadDeadline(t time.Time) error {
	if err := s.c.SetReadDeadline(t); err != nil {
		return err
	}
	var dl int64
	if !t.IsZero() {
		dl = t.UnixNano()
		if dl == 0 {
			dl = 1
		}
	}
	s.dl.Store(dl)
	return nil
}

// write writes all of b, waiting in the netpoller while the socket is
// full. Channel.wmu is held.
func (s *connSource) write(b []byte) error {
	if !s.block {
		_, err := s.c.Write(b)
		return err
	}
	return s.sendmsg(b, nil, nil)
}

// writeBuffers writes a and then b with one system call where it can.
// Channel.wmu is held.
func (s *connSource) writeBuffers(a, b []byte) error {
	if !s.block {
		bufs := net.Buffers{a, b}
		_, err := bufs.WriteTo(s.c)
		return err
	}
	return s.sendmsg(a, b, nil)
}

// writeRights writes line with the descriptors in oob (an SCM_RIGHTS
// control message), which go with its first byte. Channel.wmu is held.
func (s *connSource) writeRights(line, oob []byte) error {
	if !s.block {
		n, _, err := s.c.WriteMsgUnix(line, oob, nil)
		if err == nil && n < len(line) {
			_, err = s.c.Write(line[n:])
		}
		return err
	}
	return s.sendmsg(line, nil, oob)
}

// sendmsg writes a and b (oob with the first byte), never blocking the
// thread: on EAGAIN it waits in the netpoller.
func (s *connSource) sendmsg(a, b, oob []byte) error {
	s.wbufs = [2][]byte{a, b}
	s.nbufs = 2
	if len(b) == 0 {
		s.nbufs = 1
	}
	s.woob, s.werr = oob, nil
	s.writes.Add(1)
	err := s.rc.Write(s.writeFn)
	s.wbufs, s.woob = [2][]byte{}, nil
	if err == nil {
		err = s.werr
	}
	return err
}

// writeLocked is sendmsg's call with the descriptor held (RawConn.Write).
func (s *connSource) writeLocked(fd uintptr) bool {
	for {
		bufs := s.wbufs[:s.nbufs]
		for len(bufs) > 0 && len(bufs[0]) == 0 {
			bufs = bufs[1:]
		}
		if len(bufs) == 0 {
			return true
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
		r, _, e := syscall.Syscall(unix.SYS_SENDMSG, fd, uintptr(unsafe.Pointer(&s.wmsg)), unix.MSG_DONTWAIT|unix.MSG_NOSIGNAL)
		s.wmsg, s.wiov = unix.Msghdr{}, [2]unix.Iovec{} // keep no buffer alive
		switch e {
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return false
		case 0:
		default:
			s.werr = os.NewSyscallError("sendmsg", e)
			return true
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

// close closes the socket; a read blocked in recvmsg is woken first.
func (s *connSource) close() error {
	s.stop.Store(true)
	if s.blocked.Load() && s.rc != nil {
		s.rc.Control(func(fd uintptr) { unix.Shutdown(int(fd), unix.SHUT_RDWR) })
	}
	return s.c.Close() // returns once no read holds the descriptor
}
