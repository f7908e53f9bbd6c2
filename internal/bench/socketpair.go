//go:build unix

package bench

import "syscall"

// cloexecSocketpair is an AF_UNIX stream pair whose ends are close-on-exec,
// also where there is no SOCK_CLOEXEC (darwin): the flag is set under
// syscall.ForkLock, as the standard library does.
func cloexecSocketpair() ([2]int, error) {
	syscall.ForkLock.RLock()
	defer syscall.ForkLock.RUnlock()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err == nil {
		syscall.CloseOnExec(fds[0])
		syscall.CloseOnExec(fds[1])
	}
	return fds, err
}
