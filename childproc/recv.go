package childproc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/spawnkit/spawnkit/ipc"
)

// ErrEventsMode is returned by Recv on a process whose messages go to
// Events (started with [Options].IPC rather than Options.IPCRecv).
var ErrEventsMode = errors.New("childproc: messages arrive in Events (start with Options.IPCRecv to use Recv)")

// Recv returns the next message from the child of a process started with
// [Options].IPCRecv. It reads the socket on the caller's goroutine, so a
// reply reaches the caller with no hand-off between goroutines. Calls are
// serialized; messages never appear in Events in this mode.
//
// A file that came with a message (Channel.SendFile in a Go child, a
// handle from a Node child) is closed: use RecvFile to keep it. A line that
// is not JSON is returned as an error wrapping *[ipc.SyntaxError] and the
// next call goes on with the next message.
//
// When ctx ends first, Recv returns ctx's cause (context.Cause) and the
// channel stays usable: a message that was partly received is kept for the
// next call. ctx bounds the whole call: the answers Recv owes a child
// (Node's NODE_HANDLE_ACK and the like) never make it wait on a child that
// does not read (see [ipc.Channel.RecvFile]). Once the child has closed its end (or exited) and every
// message was read, Recv returns io.EOF; after Disconnect, or once the
// channel was closed because nobody read it (below), it returns an error
// matching [ErrDisconnected]; a message over the size limit ends the channel
// with an error matching [ipc.ErrTooLarge]. These end errors repeat.
//
// [EventDisconnect] is delivered when Recv meets the end of the channel, or
// on Disconnect. [EventClose] waits for it as in the Events mode: a caller
// who stops calling Recv while the child still has its end open gets
// EventClose (and the channel closed, unread messages dropped) KillDelay
// after the child exited, or never with a negative KillDelay; Wait does
// not depend on it. It returns [ErrNoChannel] without IPC and [ErrEventsMode]
// when the messages go to Events.
func (p *Process) Recv(ctx context.Context) (ipc.Message, error) {
	m, f, err := p.RecvFile(ctx)
	if f != nil {
		f.Close()
	}
	return m, err
}

// RecvFile is Recv that also returns the file that came with the message
// (nil when none did). The file is the caller's to close.
func (p *Process) RecvFile(ctx context.Context) (ipc.Message, *os.File, error) {
	s := p.channel
	if s == nil {
		return nil, nil, ErrNoChannel
	}
	if !s.direct {
		return nil, nil, ErrEventsMode
	}
	s.recvMu.Lock()
	defer s.recvMu.Unlock()
	if s.recvErr != nil {
		return nil, nil, s.recvErr
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, context.Cause(ctx)
	}
	var fired chan struct{}
	stop := func() bool { return true }
	if ctx.Done() != nil {
		fired = make(chan struct{})
		stop = context.AfterFunc(ctx, func() {
			s.ch.SetReadDeadline(time.Unix(1, 0))
			close(fired)
		})
	}
	m, f, err := s.ch.RecvFile()
	if !stop() {
		// The deadline is set, or being set: take it away again.
		<-fired
		s.ch.SetReadDeadline(time.Time{})
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return nil, nil, context.Cause(ctx)
		}
	}
	if err == nil {
		return m, f, nil
	}
	if errors.As(err, new(*ipc.SyntaxError)) {
		return nil, nil, fmt.Errorf("childproc: receive from %s: %w", p.command, err)
	}
	switch {
	case errors.Is(err, io.EOF):
		err = io.EOF
	case s.isGone() || errors.Is(err, net.ErrClosed):
		err = fmt.Errorf("childproc: receive from %s: %w", p.command, ErrDisconnected)
	default:
		err = fmt.Errorf("childproc: receive from %s: %w", p.command, err)
		p.emit(Event{Kind: EventError, Err: err})
	}
	s.recvErr = err
	s.markGone()
	s.ch.Close()
	s.endDirect()
	return nil, nil, err
}

// endDirect delivers EventDisconnect and marks the reading done, once, for
// a channel read with Recv; the caller closes the channel (Disconnect does
// it after, so that the event comes before the EventExit the close causes).
func (s *ipcState) endDirect() {
	s.ended.Do(func() {
		s.markGone()
		s.events.push(Event{Kind: EventDisconnect})
		close(s.done)
	})
}
