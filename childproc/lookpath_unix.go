//go:build unix

package childproc

import (
	"io/fs"
	"syscall"

	"golang.org/x/sys/unix"
)

// canExecute asks the kernel whether this process may execute path, with
// its effective ids (faccessat with AT_EACCESS, as os/exec and the shells
// do): that accounts for the owner, ACLs, capabilities and noexec mounts.
// Where the call is unavailable (ENOSYS) or filtered (EPERM under some
// seccomp profiles) it falls back to the mode bits, as os/exec does.
func canExecute(path string, mode fs.FileMode) error {
	err := unix.Faccessat(unix.AT_FDCWD, path, unix.X_OK, unix.AT_EACCESS)
	if err == nil || err != syscall.ENOSYS && err != syscall.EPERM {
		return err
	}
	if mode&0o111 != 0 {
		return nil
	}
	return syscall.EACCES
}
