//go:build linux

package childproc

import (
	"bytes"
	"os"
	"strconv"
	"syscall"
)

// procStat is what the tree code needs of /proc/PID/stat: the pidfd tree
// (tree_linux.go) reads state, parent and group; the spawnkit_portable
// process table (proctable_linux.go) also the start time.
type procStat struct {
	state      byte
	ppid, pgid int
	start      int64 // starttime, in clock ticks after boot; valid when hasStart
	hasStart   bool
}

func (s procStat) running() bool { return s.state != 'Z' && s.state != 'X' }

// readStat parses /proc/PID/stat into buf; ok is false if pid is gone.
func readStat(pid int, buf []byte) (st procStat, ok bool) {
	fd, err := syscall.Open("/proc/"+strconv.Itoa(pid)+"/stat", syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return st, false
	}
	n, _ := syscall.Read(fd, buf)
	syscall.Close(fd)
	if n <= 0 {
		return st, false
	}
	// "pid (comm) state ppid pgrp session tty_nr tpgid flags minflt
	// cminflt majflt cmajflt utime stime cutime cstime priority nice
	// num_threads itrealvalue starttime ..." where comm may hold spaces
	// and parentheses.
	stat := buf[:n]
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return st, false
	}
	fields := bytes.Fields(stat[i+1:])
	if len(fields) < 3 || len(fields[0]) != 1 {
		return st, false
	}
	st.state = fields[0][0]
	st.ppid, _ = strconv.Atoi(string(fields[1]))
	st.pgid, _ = strconv.Atoi(string(fields[2]))
	if len(fields) >= 20 {
		st.start, _ = strconv.ParseInt(string(fields[19]), 10, 64)
		st.hasStart = true
	}
	return st, true
}

// procPids lists the pids in /proc: the pidfd tree and the
// spawnkit_portable process table both start from it.
func procPids() ([]int, error) {
	d, err := os.Open("/proc")
	if err != nil {
		return nil, err
	}
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		return nil, err
	}
	pids := make([]int, 0, len(names))
	for _, name := range names {
		if pid, err := strconv.Atoi(name); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}
