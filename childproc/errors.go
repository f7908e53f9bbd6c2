package childproc

import (
	"errors"
	"fmt"
	"github.com/spawnkit/spawnkit/internal/iox"
	"strings"
	"syscall"
	"time"
)

var (
	// ErrMaxBuffer is matched (errors.Is) by the *ExitError of an Exec or
	// ExecFile whose stdout or stderr grew past Options.MaxBuffer; the child
	// was killed and the output kept is exactly MaxBuffer bytes long.
	ErrMaxBuffer = errors.New("childproc: maxBuffer length exceeded")
	// ErrNoChannel is returned by Send and Disconnect on a process started
	// without IPC.
	ErrNoChannel = errors.New("childproc: no IPC channel")
	// ErrDisconnected is returned by Send after the IPC channel closed, from
	// either side.
	ErrDisconnected = errors.New("childproc: IPC channel disconnected")
)

// ErrNotProgram is matched (errors.Is) by the error of a [Spawn], [Exec],
// [ExecFile] or [Fork] whose program is an executable file the kernel cannot
// run: not a binary for this machine and not a script starting with "#!"
// (execve's ENOEXEC, which it also matches). Unlike a shell, spawnkit does
// not retry such a file as a shell script.
var ErrNotProgram error = notProgramError{}

type notProgramError struct{}

func (notProgramError) Error() string        { return "exec format error (not a program)" }
func (notProgramError) Is(target error) bool { return target == syscall.ENOEXEC }

// ExitError reports a child that did not exit with status 0: a non-zero exit
// code, a signal, a timeout, a cancelled context or a MaxBuffer overflow.
// A child that exited with status 0 and no signal is not an error even when
// a Timeout or cancel of ours raced its exit (the signal reached nothing
// but a zombie), as with Node's exec; a MaxBuffer overflow is, since the
// output was cut.
type ExitError struct {
	Command  string         // the command line as a shell would run it (see Process.String)
	ExitCode int            // -1 when killed by a signal
	Signal   syscall.Signal // the signal that ended it, or 0
	Killed   bool           // we killed it (timeout, cancel, MaxBuffer)
	TimedOut bool           // Options.Timeout fired; the error then matches context.DeadlineExceeded
	Stdout   []byte         // Exec/ExecFile: what was captured before it ended
	Stderr   []byte         // Exec/ExecFile: what was captured before it ended
	Combined []byte         // Exec/ExecFile with Options.Combined: both, in arrival order
	Duration time.Duration  // from the start until the child was reaped

	timeout time.Duration
	cause   error // ErrMaxBuffer or the context's error, for errors.Is
}

// Status returns the exit code and signal as an [ExitStatus].
func (e *ExitError) Status() ExitStatus { return ExitStatus{Code: e.ExitCode, Signal: e.Signal} }

// Error reads like Node's "Command failed: CMD", with the package's prefix,
// followed by the reason and, when there is any, the last line of stderr:
// "childproc: command failed: sh -c 'echo done; exit 3': exit status 3".
// The command is quoted so that it can be pasted into a shell.
func (e *ExitError) Error() string {
	var b strings.Builder
	b.WriteString("childproc: command failed: ")
	b.WriteString(e.Command)
	b.WriteString(": ")
	switch {
	case e.cause != nil && errors.Is(e.cause, ErrMaxBuffer):
		b.WriteString("maxBuffer length exceeded")
	case e.TimedOut:
		fmt.Fprintf(&b, "timed out after %v", e.timeout)
	case e.cause != nil:
		b.WriteString(e.cause.Error())
	}
	if e.cause != nil || e.TimedOut {
		b.WriteString(", ")
	}
	b.WriteString(e.Status().String())
	if tail := iox.LastLine(e.Stderr, 200); tail != "" {
		b.WriteString(": ")
		b.WriteString(tail)
	}
	return b.String()
}

// Unwrap returns [ErrMaxBuffer] after an overflow, the ctx's cause
// (context.Canceled, context.DeadlineExceeded or what was given to
// context.WithCancelCause) after the ctx ended, and
// context.DeadlineExceeded after [Options].Timeout fired, so errors.Is works
// on each; otherwise nil.
func (e *ExitError) Unwrap() error { return e.cause }
