//go:build unix

package ipc

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// SendFile sends v (encoded as by [Channel.Send]) together with f's
// descriptor, passed with SCM_RIGHTS in the same sendmsg call as the
// message's first byte. f stays open and owned by the caller; it may be
// closed as soon as SendFile returns (the channel keeps a close-on-exec
// duplicate until the receiver has acknowledged it).
//
// The message travels in Node's handle envelope,
// {"cmd":"NODE_HANDLE","type":T,"msg":v}, so a Node peer receives v and a
// handle in its 'message' event. T is what Node's own sender writes for
// such a handle: "net.Server" for a listening stream socket, "net.Socket"
// for another stream socket, "dgram.Socket" (with "dgramType" "udp4" or
// "udp6") for a UDP socket, and "net.Native" otherwise (Node only adopts
// sockets). A Go peer unwraps the envelope in [Channel.RecvFile].
//
// SendFile follows Node's sender rules. One handle is in flight at a time:
// until the receiver answers NODE_HANDLE_ACK, every later Send and
// SendFile queues its message (and a duplicate of its descriptor) and
// returns nil at once; the queue is written, in order, when the answer
// arrives. On NODE_HANDLE_NACK (the receiver's kernel dropped the
// descriptor) the message and its handle are sent again, at most three
// times, after which they are dropped, as Node does. The answers are read
// by [Channel.Recv] and RecvFile, so a program that sends handles must keep
// receiving (childproc does). While more than 8 MiB or 64 descriptors are
// queued, Send and SendFile block until the queue drains or the channel is
// closed. A failure to write the queue ends sending: later calls return
// that error.
//
// A nil f is an error.
func (c *Channel) SendFile(v any, f *os.File) error {
	if f == nil {
		return errors.New("ipc: SendFile with a nil file")
	}
	if c.closing.Load() {
		return net.ErrClosed
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return fmt.Errorf("ipc: SendFile: %w", err)
	}
	e := encPool.Get().(*encBuf)
	defer putEncBuf(e)
	dup := -1
	var werr error
	cerr := rc.Control(func(fd uintptr) {
		typ, extra := handleType(int(fd))
		e.b.WriteString(`{"cmd":"NODE_HANDLE","type":"`)
		e.b.WriteString(typ)
		e.b.WriteString(`",`)
		e.b.WriteString(extra)
		e.b.WriteString(`"msg":`)
		if werr = encodeLine(e, v); werr != nil {
			return
		}
		e.b.Truncate(e.b.Len() - 1) // the newline
		e.b.WriteString("}\n")
		if e.b.Len()-1 > c.maxSize {
			werr = ErrTooLarge
			return
		}
		if dup, werr = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0); werr != nil {
			werr = fmt.Errorf("ipc: SendFile: %w", os.NewSyscallError("fcntl", werr))
		}
	})
	if cerr != nil {
		return fmt.Errorf("ipc: SendFile: %w", cerr)
	}
	if werr != nil {
		return werr
	}
	return c.sendHandle(e.b.Bytes(), dup)
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
// An envelope is acknowledged with NODE_HANDLE_ACK. When the socket has
// room and no other write is under way, the acknowledgement is written
// before RecvFile returns its message, so the sender's queue moves on even
// if this process exits right away; otherwise (the peer is not reading
// now, or a Send is writing) it is written by a goroutine right after the
// write under way, and RecvFile does not wait for it: two peers that send
// each other handles with both sockets full keep going. Close writes
// answers still owed before it closes the socket (within its 2 s). An
// envelope whose descriptor was lost (the kernel truncated the ancillary
// data) is answered with NODE_HANDLE_NACK, on which the sender
// retransmits, and is not delivered. RecvFile also answers a Node
// net.Server's NODE_SOCKET_* requests about sockets it passed (see the
// package documentation). While 64 KiB of answers are unwritten because
// the peer does not read, RecvFile reads nothing more and waits, until the
// peer reads, the read deadline (see [Channel.SetReadDeadline]) or Close.
func (c *Channel) RecvFile() (Message, *os.File, error) {
	return c.recvFile(nil)
}

// recvFile is RecvFile appending the message to dst.
func (c *Channel) recvFile(dst Message) (Message, *os.File, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	for {
		if err := c.waitAnswerRoom(); err != nil {
			return nil, nil, err
		}
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
		// line is a slice of the read buffer, which the next read
		// overwrites: the caller gets a copy of the message.
		m := Message(line)
		if c.fr.v.cmdKey {
			if obj, cmd, ok := internal(line); ok {
				var deliver bool
				if m, fd, deliver = c.handleInternal(obj, cmd, fd); !deliver {
					continue
				}
			}
		}
		m = append(dst, m...)
		var f *os.File
		if fd >= 0 {
			f = os.NewFile(uintptr(fd), "ipc-fd-"+strconv.Itoa(fd))
		}
		return m, f, nil
	}
}
