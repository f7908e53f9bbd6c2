//go:build unix

package pipeline

import (
	"os"

	"golang.org/x/sys/unix"
)

// supported returns nil: pipelines run on every Unix system.
func supported() error { return nil }

// writerOpen reports whether some process still holds the write end of the
// pipe whose read end is f: poll(2) reports POLLHUP on a pipe's read end once
// every write end is closed. It reports false if f was closed already.
func writerOpen(f *os.File) bool {
	rc, err := f.SyscallConn()
	if err != nil {
		return false
	}
	open := false
	err = rc.Control(func(fd uintptr) {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		for {
			_, err := unix.Poll(fds, 0)
			if err == unix.EINTR {
				continue
			}
			open = err == nil && fds[0].Revents&(unix.POLLHUP|unix.POLLERR|unix.POLLNVAL) == 0
			return
		}
	})
	return err == nil && open
}
