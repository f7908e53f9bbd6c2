package main

import (
	"os"
	"runtime"
	"syscall"

	"golang.org/x/sys/unix"
)

// The shim must exec from the thread it started on: the parent-death
// signal childproc sets (SIGKILL when the supervisor dies) belongs to that
// thread alone, new threads start without one, and an execve from another
// thread makes that thread the process, so the program would run without
// it and outlive a killed supervisor. An init function locks main to the
// first thread.
func init() {
	if len(os.Args) > 1 && os.Args[1] == shimArg {
		runtime.LockOSThread()
	}
}

// beforeExec sets the parent-death signal again on the thread that execs
// (harmless when it is already set), and exits if the supervisor died
// before that: the signal is only sent when the parent dies afterwards.
func beforeExec() {
	ppid := os.Getppid()
	unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(syscall.SIGKILL), 0, 0, 0)
	if ppid == 1 || os.Getppid() != ppid {
		os.Exit(1)
	}
}
