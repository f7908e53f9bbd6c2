//go:build unix

package ipc

import (
	"net"
	"syscall"
	"time"
)

// The sender follows Node's rules for handles (target._send and the
// NODE_HANDLE_ACK handler in lib/internal/child_process.js): one handle is
// in flight at a time; every message sent after it, with or without a
// handle, waits in a queue until the receiver acknowledges it; on
// NODE_HANDLE_NACK the same message and handle are sent again, at most
// maxRetransmissions times; messages leave in the order they were sent.
// The queue is flushed by a goroutine, so that the receiving side, which
// reads the acknowledgement, never blocks on it.

const (
	// maxRetransmissions is Node's MAX_HANDLE_RETRANSMISSIONS.
	maxRetransmissions = 3
	// maxQueueBytes and maxQueueFDs bound the queue; a sender that finds
	// it full waits until it drains (the acknowledgement arrives).
	maxQueueBytes = 8 << 20
	maxQueueFDs   = 64
	// closeGrace is how long Close waits for the acknowledgement that
	// lets messages queued behind a handle go out.
	closeGrace = 2 * time.Second
)

// outgoing is a message waiting to be written.
type outgoing struct {
	line    []byte // the message with its newline
	fd      int    // a close-on-exec duplicate of the handle, or -1
	tries   int    // retransmissions so far
	written bool   // the handle in flight is on the wire
	early   int8   // an answer that came before it was: 1 ACK, -1 NACK
}

// busy reports whether a message sent now must wait in the queue. c.smu
// must be held.
func (c *Channel) busy() bool {
	return c.inflight != nil || len(c.queue) > 0 || c.flushing
}

// waitRoom waits, with c.smu held, until a message of n bytes (with a
// descriptor when fd) may be sent or queued.
func (c *Channel) waitRoom(n int, fd bool) error {
	for {
		switch {
		case c.closing.Load():
			return net.ErrClosed
		case c.sendErr != nil:
			return c.sendErr
		case !c.busy() || len(c.queue) == 0:
			return nil
		case c.queued+n <= maxQueueBytes && (!fd || c.queuedFDs < maxQueueFDs):
			return nil
		}
		c.drained.Wait()
	}
}

func (c *Channel) enqueue(o outgoing) {
	c.queue = append(c.queue, o)
	c.queued += len(o.line)
	if o.fd >= 0 {
		c.queuedFDs++
	}
}

// send writes msg (a complete line; when bare, its newline is written after
// it) at once, or queues it behind a handle in flight.
func (c *Channel) send(msg []byte, bare bool) error {
	c.smu.Lock()
	if err := c.waitRoom(len(msg)+1, false); err != nil {
		c.smu.Unlock()
		return err
	}
	if c.busy() {
		line := make([]byte, 0, len(msg)+1)
		line = append(line, msg...)
		if bare {
			line = append(line, '\n')
		}
		c.enqueue(outgoing{line: line, fd: -1})
		c.smu.Unlock()
		return nil
	}
	// smu is released before wmu is waited for (see Channel.smu): a
	// handle sent meanwhile by another goroutine, a call concurrent with
	// this one, may go first.
	c.smu.Unlock()
	c.wmu.Lock()
	var err error
	if bare {
		err = c.src.writeBuffers(msg, newline)
	} else {
		err = c.src.write(msg)
	}
	c.wmu.Unlock()
	return c.writeErr(err)
}

// sendHandle writes line with the descriptor fd (a duplicate the channel
// now owns) at once, or queues both behind a handle in flight.
func (c *Channel) sendHandle(line []byte, fd int) error {
	c.smu.Lock()
	if err := c.waitRoom(len(line), true); err != nil {
		c.smu.Unlock()
		syscall.Close(fd)
		return err
	}
	if c.busy() {
		c.enqueue(outgoing{line: append([]byte(nil), line...), fd: fd})
		c.smu.Unlock()
		return nil
	}
	o := &outgoing{line: append([]byte(nil), line...), fd: fd}
	c.inflight = o // later messages queue behind it from now on
	c.smu.Unlock()
	c.wmu.Lock()
	err := c.writeMsgLocked(o.line, fd)
	c.wmu.Unlock()
	if err == nil {
		c.smu.Lock()
		c.handleWritten(o)
		c.smu.Unlock()
	}
	if err != nil {
		// Not sent: nothing to wait for.
		c.smu.Lock()
		if c.inflight == o {
			c.inflight = nil
			syscall.Close(fd)
		}
		c.startFlush()
		c.drained.Broadcast()
		c.smu.Unlock()
	}
	return c.writeErr(err)
}

// writeMsgLocked writes line with fd; c.wmu must be held.
func (c *Channel) writeMsgLocked(line []byte, fd int) error {
	return c.src.writeRights(line, syscall.UnixRights(fd))
}

// acknowledged acts on NODE_HANDLE_ACK (ack) or NODE_HANDLE_NACK from the
// receiver: the handle in flight is released, or sent again; then the
// queue goes out. An answer when no handle is in flight is ignored.
func (c *Channel) acknowledged(ack bool) {
	c.smu.Lock()
	defer c.smu.Unlock()
	o := c.inflight
	if o == nil {
		return
	}
	if !o.written {
		// An answer to a handle not yet on the wire (a broken or hostile
		// peer): it counts once the handle is written. Until then the
		// descriptor stays open, or its number could be reused by a file
		// opened meanwhile and that file sent instead.
		if o.early == 0 {
			o.early = -1
			if ack {
				o.early = 1
			}
		}
		return
	}
	c.answered(o, ack)
}

// handleWritten records that o, the handle in flight, is on the wire, and
// acts on an answer that came before. c.smu must be held.
func (c *Channel) handleWritten(o *outgoing) {
	if c.inflight != o {
		return // dropped meanwhile (Close)
	}
	o.written = true
	if o.early != 0 {
		c.answered(o, o.early > 0)
	}
}

// answered acts on the answer to o, the handle in flight, once written.
// c.smu must be held.
func (c *Channel) answered(o *outgoing, ack bool) {
	c.inflight = nil
	if !ack {
		if o.tries++; o.tries <= maxRetransmissions {
			// Retransmitted first, then the rest waits for its answer.
			o.written, o.early = false, 0
			c.queue = append([]outgoing{*o}, c.queue...)
			c.queued += len(o.line)
			c.queuedFDs++
		} else {
			// Node gives up too (SentHandleNotReceivedWarning).
			syscall.Close(o.fd)
		}
	} else {
		syscall.Close(o.fd)
	}
	c.startFlush()
	c.drained.Broadcast()
}

// startFlush starts the goroutine that writes the queue, unless it runs or
// a handle is in flight. c.smu must be held.
func (c *Channel) startFlush() {
	if c.flushing || c.inflight != nil || len(c.queue) == 0 || c.closed.Load() {
		return
	}
	c.flushing = true
	c.bg.Add(1)
	go c.flush()
}

// flush writes queued messages in order until the queue is empty or a
// handle it wrote waits for its acknowledgement. A write error ends the
// channel's sending: the queue is dropped and every later send returns the
// error.
func (c *Channel) flush() {
	defer c.bg.Done()
	c.smu.Lock()
	defer c.smu.Unlock()
	for !c.closed.Load() && c.sendErr == nil && c.inflight == nil && len(c.queue) > 0 {
		o := c.queue[0]
		c.queue[0] = outgoing{}
		c.queue = c.queue[1:]
		c.queued -= len(o.line)
		if o.fd >= 0 {
			c.queuedFDs--
			c.inflight = &o
		}
		c.drained.Broadcast()
		c.smu.Unlock() // flushing keeps the queue's order meanwhile
		c.wmu.Lock()
		var err error
		if o.fd >= 0 {
			err = c.writeMsgLocked(o.line, o.fd)
		} else {
			err = c.src.write(o.line)
		}
		c.wmu.Unlock()
		c.smu.Lock()
		if err != nil {
			c.sendErr = c.writeErr(err)
			c.dropQueue()
		} else if o.fd >= 0 {
			c.handleWritten(&o)
		}
	}
	c.flushing = false
	c.drained.Broadcast()
}

// dropQueue closes the descriptors of the queue and of the handle in
// flight and empties the queue. c.smu must be held.
func (c *Channel) dropQueue() {
	if c.inflight != nil {
		syscall.Close(c.inflight.fd)
		c.inflight = nil
	}
	for _, o := range c.queue {
		closeFD(o.fd)
	}
	c.queue, c.queued, c.queuedFDs = nil, 0, 0
}

// sendState reports whether messages wait behind a handle, and whether
// the handle in flight waits for its answer.
func (c *Channel) sendState() (pending, awaiting bool) {
	c.smu.Lock()
	defer c.smu.Unlock()
	return len(c.queue) > 0 || c.flushing, c.inflight != nil
}

// drainQueue waits, at most closeGrace, until the messages queued behind a
// handle have been written, as Node's disconnect() does before it closes
// the channel. The acknowledgement is read by a Recv in progress, or here
// when there is none (user messages read here are dropped).
func (c *Channel) drainQueue() {
	deadline := time.Now().Add(closeGrace)
	for time.Now().Before(deadline) {
		pending, awaiting := c.sendState()
		if !pending {
			return
		}
		if c.answersFull() {
			// The peer reads nothing: reading on would only pile up
			// answers to it.
			return
		}
		if !awaiting || !c.rmu.TryLock() {
			// The queue is being written, or a Recv reads the answer.
			time.Sleep(2 * time.Millisecond)
			continue
		}
		// Close closes the socket next: the deadline set here (which
		// replaces one set with SetReadDeadline) never outlives it.
		c.src.setReadDeadline(deadline)
		line, _, fd, err := c.recvLine()
		c.src.setReadDeadline(time.Time{})
		if err == nil {
			if at, _ := c.fr.v.check(line); at < 0 && c.fr.v.cmdKey {
				if obj, cmd, ok := internal(line); ok {
					_, fd, _ = c.handleInternal(obj, cmd, fd)
				}
			}
			closeFD(fd)
		}
		c.rmu.Unlock()
		if err != nil {
			return
		}
	}
}
