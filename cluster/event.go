package cluster

import (
	"errors"
	"fmt"
	"syscall"
	"time"

	"github.com/spawnkit/spawnkit/ipc"
)

// Errors reported in [Event].Err, returned by [Primary] methods, or both; match
// them with errors.Is.
var (
	// ErrUnresponsive: the worker left heartbeats unanswered for
	// Config.HeartbeatTimeout and was killed.
	ErrUnresponsive = errors.New("cluster: worker stopped answering heartbeats")
	// ErrNotReady: the worker was not ready within Config.ReadyTimeout and
	// was killed.
	ErrNotReady = errors.New("cluster: worker was not ready in time")
	// ErrDrainTimeout: the worker, asked to stop, was still running after
	// Config.ShutdownTimeout and was killed.
	ErrDrainTimeout = errors.New("cluster: worker did not stop in time")
	// ErrCrashLoop: a slot's workers died Config.CrashLimit times within
	// Config.CrashWindow, so it is no longer restarted.
	ErrCrashLoop = errors.New("cluster: worker crash loop")
	// ErrClosed: the cluster is shutting down or has shut down.
	ErrClosed = errors.New("cluster: shut down")
	// ErrNoWorker: no running worker has that ID.
	ErrNoWorker = errors.New("cluster: no such worker")
)

// WorkerInfo identifies one worker process.
type WorkerInfo struct {
	// ID is unique within the primary: 1 for the first worker started,
	// then 2, 3, …; a replacement gets a new ID.
	ID int
	// Slot is the worker's place, 0 to Config.Workers-1; a replacement
	// takes the slot of the worker it replaces.
	Slot int
	// Pid is the worker's process id.
	Pid int
}

// String renders w as "worker ID (slot SLOT, pid PID)"; the CrashLoop
// event's [WorkerInfo] has only the slot set.
func (w WorkerInfo) String() string {
	return fmt.Sprintf("worker %d (slot %d, pid %d)", w.ID, w.Slot, w.Pid)
}

// EventKind says what happened to a worker.
type EventKind int

const (
	// EventFork: the worker process was started.
	EventFork EventKind = iota
	// EventOnline: the worker's Run is running and talking to the primary.
	EventOnline
	// EventListening: a Worker.Listen succeeded; Addr says where.
	EventListening
	// EventReady: the worker counts as up (its first Listen, or
	// Worker.Ready with Config.ManualReady). Sent once per worker.
	EventReady
	// EventMessage: the worker sent Message with Worker.Send.
	EventMessage
	// EventExit: the worker process ended; ExitCode and Signal say how,
	// Stopped whether the primary had asked it to stop, and Err why the
	// primary killed it (ErrUnresponsive, ErrNotReady, ErrDrainTimeout),
	// if it did.
	EventExit
	// EventCrashLoop: the worker's slot is given up; Err matches
	// ErrCrashLoop and says how many deaths in how long.
	EventCrashLoop
)

var kindNames = [...]string{"fork", "online", "listening", "ready", "message", "exit", "crashloop"}

// String returns the event's name, as Node's cluster names them where it
// has one: "fork", "online", "listening", "ready", "message", "exit",
// "crashloop".
func (k EventKind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// Event is one thing that happened to a worker; see [EventKind] for the
// fields each kind sets.
type Event struct {
	Kind     EventKind
	Time     time.Time // when the primary noticed it
	Worker   WorkerInfo
	Addr     string         // Listening: the local address, e.g. "127.0.0.1:8000"
	Message  ipc.Message    // Message
	ExitCode int            // Exit: -1 when a signal ended the worker
	Signal   syscall.Signal // Exit: the signal that ended it, or 0
	Stopped  bool           // Exit: the primary asked the worker to stop
	Err      error          // Exit: why the primary killed it; CrashLoop
}

// String renders the event compactly, e.g. "exit worker 3 (slot 1, pid
// 4242) code=1".
func (e Event) String() string {
	s := e.Kind.String() + " " + e.Worker.String()
	switch e.Kind {
	case EventListening:
		s += " " + e.Addr
	case EventMessage:
		s += " " + string(e.Message)
	case EventExit:
		if e.Signal != 0 {
			s += " signal=" + e.Signal.String()
		} else {
			s += fmt.Sprintf(" code=%d", e.ExitCode)
		}
		if e.Stopped {
			s += " stopped"
		}
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}
