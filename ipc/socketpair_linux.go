//go:build !spawnkit_portable

package ipc

import "syscall"

// socketpair returns a connected AF_UNIX stream pair, both ends
// close-on-exec from the start (SOCK_CLOEXEC).
func socketpair() ([2]int, error) {
	return syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
}
