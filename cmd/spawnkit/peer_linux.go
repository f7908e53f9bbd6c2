package main

import (
	"net"
	"os"

	"golang.org/x/sys/unix"
)

// samePeer reports whether the control client runs as the supervisor's
// user or as root (SO_PEERCRED).
func samePeer(c *net.UnixConn) bool {
	rc, err := c.SyscallConn()
	if err != nil {
		return false
	}
	var cred *unix.Ucred
	rc.Control(func(fd uintptr) {
		cred, err = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	})
	return err == nil && cred != nil && (cred.Uid == 0 || int(cred.Uid) == os.Getuid())
}
