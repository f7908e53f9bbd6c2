//go:build unix

package childproc

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// sysProcAttr decides how the child is placed: in a new session when
// Detached or on a PTY, otherwise leading a new process group so the whole
// tree can be signalled, except when it inherits a terminal on stdin, where
// it must stay in the terminal's foreground group to be allowed to read it.
// A child that is not Detached gets SIGKILL when the parent dies, where the
// OS can do that (setParentDeathSignal).
func sysProcAttr(o *Options, stdin *os.File) (attr *syscall.SysProcAttr, ownGroup bool) {
	attr = &syscall.SysProcAttr{Credential: o.Credential}
	switch {
	case o.PTY:
		attr.Setsid = true
		attr.Setctty = true
		attr.Ctty = 0
	case o.Detached:
		attr.Setsid = true
	case mayBeTerminal(o.Stdin) && stdin != nil && isTerminal(stdin):
		// Stay in the foreground process group.
	default:
		attr.Setpgid = true
	}
	if !o.Detached {
		setParentDeathSignal(attr)
	}
	return attr, attr.Setsid || attr.Setpgid
}

// mayBeTerminal reports whether stdin may be a terminal: only a file the
// caller gave (Inherit or File) can be; Ignore is /dev/null and the other
// kinds are pipes of ours, which spares their start an ioctl.
func mayBeTerminal(stdin Stdio) bool {
	return stdin.kind == stdioInherit || stdin.kind == stdioFile
}

// isTerminal reports whether f is a terminal, without f.Fd (which would
// switch f to blocking mode).
func isTerminal(f *os.File) bool {
	rc, err := f.SyscallConn()
	if err != nil {
		return false
	}
	var ioctlErr error
	if err := rc.Control(func(fd uintptr) {
		_, ioctlErr = unix.IoctlGetTermios(int(fd), ioctlReadTermios)
	}); err != nil {
		return false
	}
	return ioctlErr == nil
}
