//go:build darwin || dragonfly || freebsd || netbsd || openbsd

package childproc_test

const fionread = 0x4004667f // FIONREAD, _IOR('f', 127, int); not in x/sys/unix here
