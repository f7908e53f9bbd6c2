//go:build unix

package ipc

import "syscall"

// cloexecSocketpair is a socketpair of type typ (SOCK_STREAM, SOCK_DGRAM)
// whose ends are close-on-exec, on systems with and without SOCK_CLOEXEC.
func cloexecSocketpair(typ int) ([2]int, error) {
	syscall.ForkLock.RLock()
	defer syscall.ForkLock.RUnlock()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, typ, 0)
	if err == nil {
		syscall.CloseOnExec(fds[0])
		syscall.CloseOnExec(fds[1])
	}
	return fds, err
}

// cloexecPipe is a close-on-exec pipe in blocking mode (os.Pipe would make
// it non-blocking), on systems with and without pipe2.
func cloexecPipe(p *[2]int) error {
	syscall.ForkLock.RLock()
	defer syscall.ForkLock.RUnlock()
	err := syscall.Pipe(p[:])
	if err == nil {
		syscall.CloseOnExec(p[0])
		syscall.CloseOnExec(p[1])
	}
	return err
}

// CloexecSocketpair is cloexecSocketpair for the external tests.
var CloexecSocketpair = cloexecSocketpair
