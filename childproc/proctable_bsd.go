//go:build freebsd || netbsd || openbsd

package childproc

import (
	"encoding/binary"
	"errors"
	"syscall"

	"golang.org/x/sys/unix"
)

// FreeBSD, OpenBSD and NetBSD have a sysctl kern.proc process table too, but
// golang.org/x/sys/unix has no type for its entries: kinfo_proc is read
// here at the offsets of the fields tree needs (from each system's
// <sys/user.h> or <sys/sysctl.h>; OpenBSD's and NetBSD's layouts are the
// same on every architecture). procTableWorks checks them against getpid,
// getppid and getpgrp before anything is signalled on their word.

// kinfoLayout says where the fields are in one entry.
type kinfoLayout struct {
	size                  int // bytes per entry
	pid, ppid, pgid, stat int
	startSec, startUsec   int
	startSecSize          int // 4 or 8
	zombieStates          [2]int8
}

// sysctlEntries reads the sysctl name with args, retrying while the table
// grows between the size query and the read (ENOMEM).
func sysctlEntries(name string, args ...int) ([]byte, error) {
	var err error
	for range 5 {
		var b []byte
		if b, err = unix.SysctlRaw(name, args...); !errors.Is(err, syscall.ENOMEM) {
			return b, err
		}
	}
	return nil, err
}

// parse decodes the entries in b.
func (l *kinfoLayout) parse(b []byte) []procEntry {
	table := make([]procEntry, 0, len(b)/l.size)
	for ; len(b) >= l.size; b = b[l.size:] {
		table = append(table, l.entry(b[:l.size]))
	}
	return table
}

func (l *kinfoLayout) entry(b []byte) procEntry {
	ne := binary.NativeEndian
	var sec int64
	if l.startSecSize == 8 {
		sec = int64(ne.Uint64(b[l.startSec:]))
	} else {
		sec = int64(ne.Uint32(b[l.startSec:]))
	}
	stat := int8(b[l.stat])
	return procEntry{
		pid:    int(int32(ne.Uint32(b[l.pid:]))),
		ppid:   int(int32(ne.Uint32(b[l.ppid:]))),
		pgid:   int(int32(ne.Uint32(b[l.pgid:]))),
		start:  sec*1e6 + int64(ne.Uint32(b[l.startUsec:])),
		zombie: stat == l.zombieStates[0] || stat == l.zombieStates[1],
	}
}
