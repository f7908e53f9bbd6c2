package childproc

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/spawnkit/spawnkit/ipc"
)

// openIPC creates the socketpair whose child end becomes the child's fd 3.
func (s *starter) openIPC() error {
	parent, child, err := ipc.Pair()
	if err != nil {
		return err
	}
	s.ipcParent = &ipcState{ch: parent, done: make(chan struct{}), stop: make(chan struct{})}
	s.ipcChild = child
	s.childEnds = append(s.childEnds, child)
	return nil
}

// Send sends v to the child as one JSON message (an [ipc.Message] or
// json.RawMessage is sent as is). It blocks while the child is not reading
// and the socket is full. It returns [ErrNoChannel] for a process started
// without IPC and an error matching [ErrDisconnected] once the channel
// closed; a failure is also reported as an [EventError].
func (p *Process) Send(v any) error {
	s := p.channel
	if s == nil {
		return ErrNoChannel
	}
	if s.isGone() {
		return ErrDisconnected
	}
	return p.sendErr(s.ch.Send(v))
}

// SendFile sends v with an open file or socket f, which the child receives
// from [ipc.Channel.RecvFile] (a Node child gets it as the handle of its
// 'message' event). f stays the caller's; it may be closed once SendFile
// returns. Errors are as for Send.
//
// As in Node, one handle is in flight at a time: until the child
// acknowledges it (which it does before its program sees the message),
// later Send and SendFile calls queue their message and return nil at
// once, and the queue goes out in order when the acknowledgement arrives.
// The acknowledgement is read with the child's messages: while Events is
// not read and the child's messages fill the buffer, it waits too, and
// past 8 MiB or 64 descriptors queued, Send and SendFile block (see
// [ipc.Channel.SendFile]).
func (p *Process) SendFile(v any, f *os.File) error {
	s := p.channel
	if s == nil {
		return ErrNoChannel
	}
	if s.isGone() {
		return ErrDisconnected
	}
	return p.sendErr(s.ch.SendFile(v, f))
}

// sendErr maps a failed send to ErrDisconnected where the channel is gone,
// and reports it as an EventError.
func (p *Process) sendErr(err error) error {
	if err == nil {
		return nil
	}
	s := p.channel
	if s.isGone() || errors.Is(err, net.ErrClosed) || isBrokenPipe(err) {
		err = fmt.Errorf("childproc: send to %s: %w: %v", p.command, ErrDisconnected, err)
	} else {
		err = fmt.Errorf("childproc: send to %s: %w", p.command, err)
	}
	p.emit(Event{Kind: EventError, Err: err})
	return err
}

// Disconnect closes the IPC channel: the child sees its end close (Node's
// 'disconnect' event). [EventDisconnect] is queued before the channel is
// closed, so it comes before the EventExit of a child that exits because
// of the close, as in Node. Messages already received stay in Events;
// those the child sends later are dropped. It returns [ErrNoChannel]
// without IPC and [ErrDisconnected] when the channel was already closed.
// It never waits for Events to be read.
func (p *Process) Disconnect() error {
	s := p.channel
	if s == nil {
		return ErrNoChannel
	}
	if !s.markGone() {
		return ErrDisconnected
	}
	if s.direct {
		s.endDirect()
		return s.ch.Close()
	}
	// Stop the reader without closing the socket: it queues EventDisconnect
	// and only then closes the channel. It does not wait for room in
	// Events once the channel is gone, and a past read deadline makes its
	// receive return at once, so this wait is short.
	if err := s.ch.SetReadDeadline(time.Unix(1, 0)); err != nil {
		s.ch.Close()
	}
	<-s.done
	return nil
}

// Connected reports whether the IPC channel is open: false without IPC,
// after Disconnect, and once the child closed its end or exited.
func (p *Process) Connected() bool {
	return p.channel != nil && !p.channel.isGone()
}

// readMessages delivers the child's messages as EventMessage, in order,
// with the file that came with one, then EventDisconnect when the channel
// closes. A line that is not JSON is reported as an EventError and
// skipped; any other receive error (a message over the size limit, say)
// closes the channel.
//
// While the child runs, a message that has to wait for room in Events
// stops the reading until the queue is empty again, so unread messages
// push back on the child and never on the parent. Once Wait was called
// (its caller cannot read Events) reading goes on without waiting, up to
// maxQueuedBytesWhileWaited queued; once the child exited, the rest is read
// without waiting (up to maxQueuedAfterExit queued).
// After the ctx ended or Disconnect, a message that does not fit in the
// channel at once is dropped, its file closed. It refers to no Process.
func readMessages(s *ipcState, q *eventQueue, command string, exited, ctxDone <-chan struct{}) {
	defer close(s.done)
	for {
		m, f, err := s.ch.RecvFile()
		// (err is tested first: errors.As's target would be allocated
		// for every message otherwise.)
		if err != nil && errors.As(err, new(*ipc.SyntaxError)) {
			// One bad line: report it; the channel goes on with the next.
			q.push(Event{Kind: EventError, Err: fmt.Errorf("childproc: receive from %s: %w", command, err)})
			continue
		}
		if err != nil {
			if !errors.Is(err, io.EOF) && !s.isGone() {
				q.push(Event{Kind: EventError, Err: fmt.Errorf("childproc: receive from %s: %w", command, err)})
			}
			break
		}
		ev := Event{Kind: EventMessage, Message: m, File: f}
		if isClosed(ctxDone) || isClosed(s.stop) {
			q.tryPush(ev)
			continue
		}
		wait := q.push(ev)
		if wait == nil {
			continue
		}
		untilExit, waited := exited, q.waited
		if isClosed(exited) {
			if q.queued() < maxQueuedAfterExit {
				continue
			}
			untilExit = nil
		} else if isClosed(waited) {
			if q.queuedBytes() < maxQueuedBytesWhileWaited {
				continue
			}
			waited = nil
		}
		select {
		case <-wait:
		case <-untilExit:
		case <-waited:
		case <-ctxDone:
		case <-s.stop:
		case <-q.abandon:
		}
	}
	s.markGone()
	q.push(Event{Kind: EventDisconnect}) // before the child can see the close
	s.ch.Close()
}

// isClosed reports whether c is closed; a nil c never is.
func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

func (s *ipcState) isGone() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gone
}

// markGone records the disconnection; it reports whether this call did it.
func (s *ipcState) markGone() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gone {
		return false
	}
	s.gone = true
	close(s.stop)
	return true
}
