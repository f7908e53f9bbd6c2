package ipc

import (
	"os"
	"strconv"
	"strings"
)

// openSocketInodes returns the inodes of the sockets this process has open,
// read from /proc/self/fd.
func openSocketInodes() map[uint64]bool {
	d, err := os.Open("/proc/self/fd")
	if err != nil {
		return nil
	}
	defer d.Close()
	names, _ := d.Readdirnames(-1)
	open := make(map[uint64]bool)
	for _, name := range names {
		target, err := os.Readlink("/proc/self/fd/" + name)
		if err != nil {
			continue
		}
		if s, ok := strings.CutPrefix(target, "socket:["); ok {
			if ino, err := strconv.ParseUint(strings.TrimSuffix(s, "]"), 10, 64); err == nil {
				open[ino] = true
			}
		}
	}
	return open
}
