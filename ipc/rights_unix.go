//go:build unix

package ipc

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"syscall"
)

// SendFile sends v (encoded as by [Channel.Send]) together with a duplicate
// of f's descriptor, passed with SCM_RIGHTS in the same sendmsg call as the
// message's first byte. f stays open and owned by the caller; it may be
// closed as soon as SendFile returns.
//
// The message travels in Node's handle envelope,
// {"cmd":"NODE_HANDLE","type":T,"msg":v}, so a Node peer receives v and a
// handle in its 'message' event (T is "net.Server" for a listening stream
// socket, "net.Socket" for another stream socket, "dgram.Native" for a
// datagram socket and "net.Native" otherwise; Node only adopts sockets).
// A Go peer unwraps the envelope in [Channel.RecvFile]. The receiver
// acknowledges the handle with an internal NODE_HANDLE_ACK message, which
// the sending Channel skips. A NODE_HANDLE_NACK (the receiver's kernel
// dropped the descriptor) is skipped as well: unlike a Node sender, which
// retransmits the message and its handle, SendFile has already returned
// and the message is lost.
//
// A nil f is an error.
func (c *Channel) SendFile(v any, f *os.File) error {
	if f == nil {
		return errors.New("ipc: SendFile with a nil file")
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return fmt.Errorf("ipc: SendFile: %w", err)
	}
	e := encPool.Get().(*encBuf)
	defer putEncBuf(e)
	var werr error
	cerr := rc.Control(func(fd uintptr) {
		e.b.WriteString(`{"cmd":"NODE_HANDLE","type":"`)
		e.b.WriteString(handleType(int(fd)))
		e.b.WriteString(`","msg":`)
		if werr = encodeLine(e, v); werr != nil {
			return
		}
		e.b.Truncate(e.b.Len() - 1) // the newline
		e.b.WriteString("}\n")
		if e.b.Len()-1 > c.maxSize {
			werr = ErrTooLarge
			return
		}
		werr = c.writeMsg(e.b.Bytes(), syscall.UnixRights(int(fd)))
	})
	if cerr != nil {
		return fmt.Errorf("ipc: SendFile: %w", cerr)
	}
	return werr
}

func (c *Channel) writeMsg(b, oob []byte) error {
	if c.closed.Load() {
		return net.ErrClosed
	}
	c.wmu.Lock()
	n, _, err := c.conn.WriteMsgUnix(b, oob, nil)
	if err == nil && n < len(b) {
		_, err = c.conn.Write(b[n:])
	}
	c.wmu.Unlock()
	return c.writeErr(err)
}

// RecvFile is like [Channel.Recv] but also returns the file that arrived
// with the message: the descriptor of a NODE_HANDLE envelope (sent by
// [Channel.SendFile] or by Node's subprocess.send(message, handle)), or a
// descriptor that came with a plain message. A descriptor belongs to the
// message whose first byte was sent in the same sendmsg call (Node and
// SendFile both send a message and its descriptor that way); file is nil
// when none came with that message, and descriptors that match no message
// are closed. Received descriptors are close-on-exec; the caller
// owns the file and must close it.
//
// A Node-style envelope whose descriptor was lost (the kernel truncated the
// ancillary data) is answered with NODE_HANDLE_NACK, on which a Node
// sender retransmits, and is not delivered.
func (c *Channel) RecvFile() (Message, *os.File, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	for {
		line, off, fd, err := c.recvLine()
		if err != nil {
			return nil, nil, err
		}
		if skipSpace(line, 0) == len(line) {
			// Blank line: skipped (Node's JSON.parse would throw).
			closeFD(fd)
			continue
		}
		if at, msg := c.fr.v.check(line); at >= 0 {
			closeFD(fd)
			return nil, nil, &SyntaxError{Offset: off + int64(at), LineOffset: off, Msg: msg}
		}
		m := Message(nil)
		if obj, cmd, ok := internal(line); ok {
			var deliver bool
			if m, fd, deliver = c.handleInternal(obj, cmd, fd); !deliver {
				continue
			}
		} else {
			m = append(Message(nil), line...)
		}
		var f *os.File
		if fd >= 0 {
			f = os.NewFile(uintptr(fd), "ipc-fd-"+strconv.Itoa(fd))
		}
		return m, f, nil
	}
}
