package childproc

import (
	"fmt"
	"os"
	"syscall"
)

// ExitStatus is how a process ended: the code it exited with, or the signal
// that ended it. It is the one way spawnkit's packages describe an exit.
type ExitStatus struct {
	Code   int            // the exit code; -1 when a signal ended the process
	Signal syscall.Signal // the signal that ended it; 0 when it exited by itself
}

// StatusOf returns the [ExitStatus] that state records; a nil state (a
// process not waited for) is Code -1 with no Signal.
func StatusOf(state *os.ProcessState) ExitStatus {
	if state == nil {
		return ExitStatus{Code: -1}
	}
	if ws, ok := state.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return ExitStatus{Code: -1, Signal: ws.Signal()}
	}
	return ExitStatus{Code: state.ExitCode()}
}

// Success reports whether the process exited by itself with code 0.
func (s ExitStatus) Success() bool { return s.Code == 0 && s.Signal == 0 }

// String reads "exit status 3", or "signal 9 (killed)" when a signal ended
// the process (whatever Code says then).
func (s ExitStatus) String() string {
	if s.Signal != 0 {
		return fmt.Sprintf("signal %d (%v)", int(s.Signal), s.Signal)
	}
	return fmt.Sprintf("exit status %d", s.Code)
}
