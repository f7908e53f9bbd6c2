package childproc

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// Windows is not supported: Spawn, Exec, ExecFile and Fork return an error
// matching errors.ErrUnsupported, and start nothing. What is missing: tree
// kill (a Job Object per child), process groups and signals (there is only
// TerminateProcess), and Node's IPC (a named pipe instead of a socketpair).
// The package builds so that programs importing it compile for Windows.
var errUnsupported = fmt.Errorf("not supported on windows (no process tree kill through Job Objects, no signals, no named-pipe IPC yet): %w", errors.ErrUnsupported)

// Credential is the user and groups a child runs as (Options.Credential).
// Windows has no such thing: a child with a Credential does not start,
// like any other.
type Credential struct {
	Uid         uint32
	Gid         uint32
	Groups      []uint32
	NoSetGroups bool
}

// supported makes Spawn, Exec, ExecFile and Fork fail before anything is
// looked up or opened.
func supported() error { return errUnsupported }

// sysProcAttr has nothing to set: startProcess refuses every child.
func sysProcAttr(*Options, *os.File) (*syscall.SysProcAttr, bool) { return nil, false }

// startProcess refuses to start the child.
func startProcess(string, []string, *os.ProcAttr) (*os.Process, func(), error) {
	return nil, nil, errUnsupported
}

// tree holds nothing on Windows, where no child starts.
type tree struct {
	proc *os.Process
	pgid int
}

func (t *tree) signal(syscall.Signal) error { return errUnsupported }
func (t *tree) alive() bool                 { return false }
func (t *tree) release()                    {}

// raise ends this process as if sig had killed it; only Init calls it, for
// a forked child, which cannot be started on Windows.
func raise(sig syscall.Signal) { os.Exit(128 + int(sig)) }
