//go:build unix && (!linux || spawnkit_portable)

package ipc

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// connSource reads a Channel's socket through the netpoller. (On Linux a
// reader that expects an answer waits in ppoll first: wait_linux.go.)
type connSource struct {
	c *net.UnixConn
}

func newConnSource(c *net.UnixConn) *connSource { return &connSource{c: c} }

func (s *connSource) readMsg(p, oob []byte) (int, int, int, error) {
	return unixSource{s.c}.readMsg(p, oob)
}

func (s *connSource) setReadDeadline(t time.Time) error { return s.c.SetReadDeadline(t) }

func (s *connSource) close() error { return s.c.Close() }

func (s *connSource) write(b []byte) error {
	_, err := s.c.Write(b)
	return err
}

func (s *connSource) writeBuffers(a, b []byte) error {
	bufs := net.Buffers{a, b}
	_, err := bufs.WriteTo(s.c)
	return err
}

func (s *connSource) writeRights(line, oob []byte) error {
	n, _, err := s.c.WriteMsgUnix(line, oob, nil)
	if err == nil && n < len(line) {
		_, err = s.c.Write(line[n:])
	}
	return err
}

// openSource returns a source on a duplicate of f's socket (net.FileConn);
// f is left open.
func openSource(f *os.File) (*connSource, error) {
	fc, err := net.FileConn(f)
	if err != nil {
		return nil, err
	}
	uc, ok := fc.(*net.UnixConn)
	if !ok {
		fc.Close()
		return nil, fmt.Errorf("a %T, not a Unix-domain socket", fc)
	}
	return newConnSource(uc), nil
}

// control calls fn with the socket's descriptor, which stays open until fn
// returns.
func (s *connSource) control(fn func(fd uintptr)) error {
	rc, err := s.c.SyscallConn()
	if err != nil {
		return err
	}
	return rc.Control(fn)
}

// tryWrite writes as much of b as the socket takes now, without waiting.
// An error means the peer cannot get the answer (it closed, or the
// channel did). Channel.wmu is held.
func (s *connSource) tryWrite(b []byte) (int, error) {
	rc, err := s.c.SyscallConn()
	if err != nil {
		return 0, err
	}
	var n int
	var werr error
	err = rc.Write(func(fd uintptr) bool {
		for {
			n, werr = unix.SendmsgN(int(fd), b, nil, nil, unix.MSG_DONTWAIT)
			if werr != unix.EINTR {
				return true
			}
		}
	})
	switch {
	case err != nil:
		return 0, err
	case werr == unix.EAGAIN:
		return 0, nil
	case werr != nil:
		return 0, werr
	}
	return n, nil
}

// unixSource reads a socket through Go's netpoller (ReadMsgUnix).
type unixSource struct{ c *net.UnixConn }

func (s unixSource) readMsg(p, oob []byte) (int, int, int, error) {
	n, oobn, flags, _, err := s.c.ReadMsgUnix(p, oob)
	if n < 0 || oobn < 0 { // a failed read (a deadline, say) may say -1
		n, oobn = 0, 0
	}
	if n == 0 && oobn == 0 && err == nil || errors.Is(err, io.EOF) {
		err = io.EOF // a zero-byte read on a stream socket is end-of-file
	}
	return n, oobn, flags, err
}
