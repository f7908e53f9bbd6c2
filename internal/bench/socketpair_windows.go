package bench

import (
	"errors"
	"fmt"
	"syscall"
)

// cloexecSocketpair fails: Windows has no socketpair.
func cloexecSocketpair() ([2]int, error) {
	return [2]int{-1, -1}, fmt.Errorf("socketpair on windows: %w", errors.ErrUnsupported)
}

// shutdownSocket does nothing: there is no socketpair to shut down.
func shutdownSocket(f interface {
	SyscallConn() (syscall.RawConn, error)
}) {
}

func setNonblock(fd int) error { return errors.ErrUnsupported }

func closeFDs(fds [2]int) {}

// writeFD and readFD fail: there is no socketpair to use them on.
func writeFD(fd int, b []byte) (int, error) { return 0, errors.ErrUnsupported }

func readFD(fd int, b []byte) (int, error) { return 0, errors.ErrUnsupported }
