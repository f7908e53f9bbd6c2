package childproc

import (
	"fmt"
	"os"
	"syscall"

	"github.com/spawnkit/spawnkit/ipc"
)

// EventKind says what happened to a [Process].
type EventKind int

const (
	// EventSpawn is always the first event: the program is running.
	EventSpawn EventKind = iota
	// EventMessage carries one IPC message from the child, in order.
	EventMessage
	// EventExit: the child ended; ExitCode and Signal say how. Its stdio
	// streams may still hold data.
	EventExit
	// EventError: a signal could not be delivered, a message could not be
	// sent or received, or a stream failed. Err says which.
	EventError
	// EventDisconnect: the IPC channel closed, from either side.
	EventDisconnect
	// EventClose is always the last event: the child exited, every piped
	// output stream reached EOF (or was closed by the caller) and every IPC
	// message was delivered. The channel is closed right after it.
	EventClose
)

var eventNames = [...]string{"spawn", "message", "exit", "error", "disconnect", "close"}

// String returns Node's name for the event: "spawn", "message", "exit",
// "error", "disconnect" or "close".
func (k EventKind) String() string {
	if k >= 0 && int(k) < len(eventNames) {
		return eventNames[k]
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// Event is one thing that happened to a [Process]; see [EventKind] for which
// fields each kind sets.
type Event struct {
	Kind     EventKind
	ExitCode int            // Exit, Close: -1 when killed by a signal
	Signal   syscall.Signal // Exit, Close: 0 when it exited by itself
	Err      error          // Error
	Message  ipc.Message    // Message
	File     *os.File       // Message: a file or socket the child sent with it (ipc.Channel.SendFile), or nil; the receiver must close it
}

// String renders the event compactly, e.g. "exit(code=1)" or "exit(signal=killed)".
func (e Event) String() string {
	switch e.Kind {
	case EventExit, EventClose:
		if e.Signal != 0 {
			return fmt.Sprintf("%s(signal=%v)", e.Kind, e.Signal)
		}
		return fmt.Sprintf("%s(code=%d)", e.Kind, e.ExitCode)
	case EventError:
		return fmt.Sprintf("error(%v)", e.Err)
	case EventMessage:
		return fmt.Sprintf("message(%s)", e.Message)
	}
	return e.Kind.String()
}
