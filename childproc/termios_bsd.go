//go:build darwin || dragonfly || freebsd || netbsd || openbsd

package childproc

import "golang.org/x/sys/unix"

const ioctlReadTermios = unix.TIOCGETA
