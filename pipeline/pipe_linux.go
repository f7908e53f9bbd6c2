//go:build !spawnkit_portable

package pipeline

import (
	"os"

	"golang.org/x/sys/unix"
)

// rawPipe returns a pipe whose ends are close-on-exec from the start
// (pipe2 with O_CLOEXEC) and not registered with Go's poller.
func rawPipe() ([2]int, error) {
	var fds [2]int
	if err := unix.Pipe2(fds[:], unix.O_CLOEXEC); err != nil {
		return fds, os.NewSyscallError("pipe2", err)
	}
	return fds, nil
}
