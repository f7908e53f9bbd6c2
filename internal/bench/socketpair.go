//go:build unix

package bench

import (
	"os"
	"syscall"
)

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

// shutdownSocket shuts both directions of the socket f down, which wakes a
// read(2) blocked on it in another goroutine (closing it would not: the
// descriptor stays open until that read returns).
func shutdownSocket(f interface {
	SyscallConn() (syscall.RawConn, error)
}) {
	if rc, err := f.SyscallConn(); err == nil {
		rc.Control(func(fd uintptr) { syscall.Shutdown(int(fd), syscall.SHUT_RDWR) })
	}
}

func setNonblock(fd int) error {
	return os.NewSyscallError("setnonblock", syscall.SetNonblock(fd, true))
}

func closeFDs(fds [2]int) {
	syscall.Close(fds[0])
	syscall.Close(fds[1])
}

// writeFD and readFD are write(2) and read(2) on a descriptor.
func writeFD(fd int, b []byte) (int, error) { return syscall.Write(fd, b) }

func readFD(fd int, b []byte) (int, error) { return syscall.Read(fd, b) }
