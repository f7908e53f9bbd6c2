//go:build unix

package ipc

import (
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// The answers the channel owes the peer (NODE_HANDLE_ACK, NODE_HANDLE_NACK,
// NODE_SOCKET_COUNT, NODE_SOCKET_ALL_CLOSED) are written without making the
// receiver wait on the socket, as Node writes them (its _send of an ACK
// goes to libuv's write queue and its read loop goes on). An answer is
// written at once when the socket has room and no other write is under
// way, so in the usual case it is on the wire before Recv returns; when it
// cannot be, it waits in c.answers and a goroutine writes it after the
// write under way, while the receiver goes on reading. A receiver that
// blocked instead would deadlock with a peer doing the same: two peers
// sending each other handles with both sockets full would each wait to
// write an acknowledgement that only the other's reading could let through.
//
// What a peer that never reads can make this side hold is bounded: while
// maxAnswerBytes of answers wait, the receiver reads nothing more (it
// waits in waitAnswerRoom, which a read deadline and Close end).

// maxAnswerBytes is how many bytes of unwritten answers make the receiver
// stop reading. A peer that follows Node's protocol has one handle in
// flight at a time, so it never owes more than one acknowledgement.
const maxAnswerBytes = 64 << 10

// answerState is the channel's queue of unwritten answers.
type answerState struct {
	mu      sync.Mutex
	room    sync.Cond    // on mu: answers were written, the deadline moved, or the channel closed
	buf     []byte       // answers not yet handed to the writer
	pending atomic.Int64 // bytes in buf and in the writer's hands; changed with mu held
	writing bool         // a goroutine writes the answers
	closed  bool         // Close has begun waiting for bg: start no goroutine
	dl      time.Time    // the read deadline (see SetReadDeadline)
}

// reply writes an answer to the peer: at once if the socket has room and
// no other write is under way, else by a goroutine after the others. It
// never blocks on the socket. Errors are dropped, as Node does: the peer
// may be gone already.
func (c *Channel) reply(line []byte) {
	a := &c.answers
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed || c.closed.Load() {
		return
	}
	if a.writing || !c.wmu.TryLock() {
		a.buf = append(a.buf, line...)
		a.pending.Add(int64(len(line)))
		a.start(c, false)
		return
	}
	n, err := c.tryWrite(line)
	if err != nil || n == len(line) {
		c.wmu.Unlock()
		return
	}
	// The socket is full, perhaps after part of the line: the writer
	// takes wmu over, so that nothing comes between the two parts.
	a.buf = append(a.buf, line[n:]...)
	a.pending.Add(int64(len(line) - n))
	a.start(c, true)
}

// start starts the writer unless it runs; holding says whether the
// caller holds c.wmu for it. a.mu must be held.
func (a *answerState) start(c *Channel, holding bool) {
	if a.writing {
		return
	}
	a.writing = true
	c.bg.Add(1)
	go c.writeAnswers(holding)
}

// tryWrite writes as much of b as the socket takes now, without waiting
// (MSG_DONTWAIT: on Linux the socket's description is in blocking mode,
// see wait_linux.go). An error means the peer cannot get the answer (it
// closed, or the channel did). c.wmu must be held.
func (c *Channel) tryWrite(b []byte) (int, error) { return c.src.tryWrite(b) }

// writeAnswers writes the queued answers in order, each batch after the
// writes under way (it waits for c.wmu, unless holding says it has it),
// until none is left. A write error drops the answers: the peer is gone.
func (c *Channel) writeAnswers(holding bool) {
	defer c.bg.Done()
	a := &c.answers
	for {
		if !holding {
			c.wmu.Lock()
		}
		holding = false
		a.mu.Lock()
		b := a.buf
		a.buf = nil
		a.mu.Unlock()
		err := c.src.write(b)
		c.wmu.Unlock()
		a.mu.Lock()
		a.pending.Add(-int64(len(b)))
		if err != nil {
			a.pending.Add(-int64(len(a.buf)))
			a.buf = nil
		}
		a.room.Broadcast()
		if len(a.buf) == 0 {
			a.writing = false
			a.mu.Unlock()
			return
		}
		a.mu.Unlock()
	}
}

// waitAnswerRoom waits, before the receiver reads another message, while
// maxAnswerBytes of answers are unwritten. It returns net.ErrClosed once
// the channel closes, and an error matching os.ErrDeadlineExceeded once
// the read deadline passes (the deadline, not the socket's, is watched
// here: see SetReadDeadline).
func (c *Channel) waitAnswerRoom() error {
	a := &c.answers
	if a.pending.Load() < maxAnswerBytes {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for a.pending.Load() >= maxAnswerBytes {
		if c.closed.Load() {
			return net.ErrClosed
		}
		if dl := a.dl; !dl.IsZero() {
			d := time.Until(dl)
			if d <= 0 {
				return os.ErrDeadlineExceeded
			}
			t := time.AfterFunc(d, c.wakeAnswers)
			a.room.Wait()
			t.Stop()
			continue
		}
		a.room.Wait()
	}
	return nil
}

// answersFull reports whether the receiver would wait in waitAnswerRoom.
func (c *Channel) answersFull() bool {
	return c.answers.pending.Load() >= maxAnswerBytes
}

// wakeAnswers wakes the receiver waiting in waitAnswerRoom to look again.
func (c *Channel) wakeAnswers() {
	c.answers.mu.Lock()
	c.answers.room.Broadcast()
	c.answers.mu.Unlock()
}

// setAnswerDeadline records the read deadline for waitAnswerRoom.
func (c *Channel) setAnswerDeadline(t time.Time) {
	c.answers.mu.Lock()
	c.answers.dl = t
	c.answers.room.Broadcast()
	c.answers.mu.Unlock()
}

// flushAnswers waits until the answers are written or deadline passes,
// then keeps any more writers from starting: Close calls it before it
// closes the socket, which ends a writer blocked on it.
func (c *Channel) flushAnswers(deadline time.Time) {
	a := &c.answers
	t := time.AfterFunc(time.Until(deadline), c.wakeAnswers)
	defer t.Stop()
	a.mu.Lock()
	for a.pending.Load() > 0 && time.Now().Before(deadline) {
		a.room.Wait()
	}
	a.closed = true
	a.mu.Unlock()
}
