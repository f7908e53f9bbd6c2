//go:build unix

package pool

import (
	"syscall"

	"golang.org/x/sys/unix"
)

func sigName(sig syscall.Signal) string { return unix.SignalName(sig) }
