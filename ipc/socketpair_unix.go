//go:build unix && (!linux || spawnkit_portable)

package ipc

import "syscall"

// socketpair returns a connected AF_UNIX stream pair, both ends
// close-on-exec. Without SOCK_CLOEXEC (darwin; the spawnkit_portable build
// on Linux) the flag is set after creation, under syscall.ForkLock as the
// standard library does, so no child started meanwhile by os/exec or
// childproc inherits the ends.
func socketpair() ([2]int, error) {
	syscall.ForkLock.RLock()
	defer syscall.ForkLock.RUnlock()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		return fds, err
	}
	syscall.CloseOnExec(fds[0])
	syscall.CloseOnExec(fds[1])
	return fds, nil
}
