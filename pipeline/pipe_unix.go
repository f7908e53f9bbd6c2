//go:build unix && (!linux || spawnkit_portable)

package pipeline

import (
	"os"
	"syscall"
)

// rawPipe returns a close-on-exec pipe not registered with Go's poller.
// Without pipe2 (darwin; the spawnkit_portable build on Linux) the flag is
// set after creation, under syscall.ForkLock as os.Pipe does there, so no
// child started meanwhile inherits the ends.
func rawPipe() ([2]int, error) {
	var fds [2]int
	syscall.ForkLock.RLock()
	defer syscall.ForkLock.RUnlock()
	if err := syscall.Pipe(fds[:]); err != nil {
		return fds, os.NewSyscallError("pipe", err)
	}
	syscall.CloseOnExec(fds[0])
	syscall.CloseOnExec(fds[1])
	return fds, nil
}
