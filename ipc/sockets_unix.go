//go:build unix && !linux

package ipc

import (
	"os"
	"strconv"
	"syscall"
)

// openSocketInodes returns the inodes of the sockets this process has open:
// every descriptor listed in /dev/fd (or, where that lists only the first
// three, every number below 4096) is checked with fstat.
func openSocketInodes() map[uint64]bool {
	fds := []int{}
	if names, err := readDirNames("/dev/fd"); err == nil && len(names) > 3 {
		for _, name := range names {
			if fd, err := strconv.Atoi(name); err == nil {
				fds = append(fds, fd)
			}
		}
	} else {
		for fd := range 4096 {
			fds = append(fds, fd)
		}
	}
	open := make(map[uint64]bool)
	for _, fd := range fds {
		var st syscall.Stat_t
		if syscall.Fstat(fd, &st) == nil && st.Mode&syscall.S_IFMT == syscall.S_IFSOCK {
			open[uint64(st.Ino)] = true
		}
	}
	return open
}

func readDirNames(dir string) ([]string, error) {
	d, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	return d.Readdirnames(-1)
}
