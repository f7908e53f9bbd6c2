package pool

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
	"time"

	"github.com/spawnkit/spawnkit/childproc"
)

var (
	// ErrClosed is returned by Submit after Close was called or the ctx
	// given to New ended, by a second Close, and (wrapped, with the reason)
	// for tasks that a pool abandoned because Close's ctx ended first.
	ErrClosed = errors.New("pool: closed")
	// ErrWorkerCrashed is matched (errors.Is) by the *WorkerError of a task
	// whose worker process ended before answering: os.Exit, a panic in the
	// handler, a signal such as SIGKILL.
	ErrWorkerCrashed = errors.New("pool: worker crashed")
	// ErrTaskTimeout is matched (errors.Is) by the *WorkerError of a task
	// that ran longer than Options.TaskTimeout; its worker was killed.
	ErrTaskTimeout = errors.New("pool: task timed out")
)

// WorkerError reports a task that got no answer because its worker process
// ended ([ErrWorkerCrashed]) or was killed for running too long
// ([ErrTaskTimeout]). The pool starts a replacement right after reporting
// the error, so it may not be running yet when Submit returns.
type WorkerError struct {
	Role     string
	Pid      int            // the worker that ran the task (the last one, after a retry)
	ExitCode int            // -1 when a signal ended it
	Signal   syscall.Signal // the signal that ended it, or 0
	Attempt  int            // 1, or 2 when the task was retried (Options.Retry)
	Timeout  time.Duration  // Options.TaskTimeout, when Err is ErrTaskTimeout

	Err error // ErrWorkerCrashed or ErrTaskTimeout
}

// Error says what happened to which worker, e.g. "pool: worker pid 1234
// (role square) crashed while running a task: exit status 3" or "pool: task
// timed out after 2s: worker pid 1234 (role square) signal 9 (killed)":
// the exit reads as [childproc.ExitStatus] does.
func (e *WorkerError) Error() string {
	var b strings.Builder
	if errors.Is(e.Err, ErrTaskTimeout) {
		fmt.Fprintf(&b, "pool: task timed out after %v: worker pid %d (role %s) ", e.Timeout, e.Pid, e.Role)
	} else {
		fmt.Fprintf(&b, "pool: worker pid %d (role %s) crashed while running a task: ", e.Pid, e.Role)
	}
	b.WriteString(e.Status().String())
	if e.Attempt > 1 {
		fmt.Fprintf(&b, " (attempt %d)", e.Attempt)
	}
	return b.String()
}

// Status returns the worker's exit code and signal as a
// [childproc.ExitStatus].
func (e *WorkerError) Status() childproc.ExitStatus {
	return childproc.ExitStatus{Code: e.ExitCode, Signal: e.Signal}
}

// Unwrap returns Err, so errors.Is matches [ErrWorkerCrashed] or
// [ErrTaskTimeout].
func (e *WorkerError) Unwrap() error { return e.Err }

// TaskError is a task whose handler returned an error. Message is that
// error's text, exactly; the worker that ran it stays in the pool.
type TaskError struct {
	Role    string
	Pid     int    // the worker that ran the task
	Message string // err.Error() of the handler's error
}

// Error reads "pool: task failed in worker pid PID (role ROLE): MESSAGE".
func (e *TaskError) Error() string {
	return fmt.Sprintf("pool: task failed in worker pid %d (role %s): %s", e.Pid, e.Role, e.Message)
}
