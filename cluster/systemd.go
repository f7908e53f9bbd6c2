//go:build unix

package cluster

import (
	"os"
	"strconv"
	"syscall"
)

// systemdFirstFD is the first descriptor systemd passes (SD_LISTEN_FDS_START).
const systemdFirstFD = 3

// systemdSockets returns the sockets passed by systemd socket activation
// (sd_listen_fds(3)): LISTEN_FDS descriptors from fd 3, when LISTEN_PID is
// this process. It removes LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES from
// the environment, so workers do not see them, and makes the descriptors
// close-on-exec: workers receive them over the channel instead.
func systemdSockets() []*os.File {
	pid, err := strconv.Atoi(os.Getenv("LISTEN_PID"))
	if err != nil || pid != os.Getpid() {
		return nil
	}
	n, err := strconv.Atoi(os.Getenv("LISTEN_FDS"))
	os.Unsetenv("LISTEN_PID")
	os.Unsetenv("LISTEN_FDS")
	os.Unsetenv("LISTEN_FDNAMES")
	if err != nil || n <= 0 {
		return nil
	}
	files := make([]*os.File, 0, n)
	for fd := systemdFirstFD; fd < systemdFirstFD+n; fd++ {
		syscall.CloseOnExec(fd)
		files = append(files, os.NewFile(uintptr(fd), "LISTEN_FD_"+strconv.Itoa(fd)))
	}
	return files
}
