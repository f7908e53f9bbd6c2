//go:build unix && (!linux || spawnkit_portable)

package ipc

import (
	"net"
	"time"
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
