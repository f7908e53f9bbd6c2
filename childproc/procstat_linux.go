//go:build linux

package childproc

import (
	"strconv"
	"syscall"

	"github.com/spawnkit/spawnkit/internal/procfs"
)

// readStat reads and parses /proc/PID/stat into buf, without allocating
// for the read (the pidfd tree, tree_linux.go, and the spawnkit_portable
// process table, proctable_linux.go, read every process this way); ok is
// false if pid is gone.
func readStat(pid int, buf []byte) (st procfs.Stat, ok bool) {
	fd, err := syscall.Open("/proc/"+strconv.Itoa(pid)+"/stat", syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return st, false
	}
	n, _ := syscall.Read(fd, buf)
	syscall.Close(fd)
	if n <= 0 {
		return st, false
	}
	return procfs.ParseStat(buf[:n])
}
