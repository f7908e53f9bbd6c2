//go:build spawnkit_portable

package childproc

import (
	"bytes"
	"os"
	"strconv"
	"syscall"
)

// Under the spawnkit_portable build tag, Linux runs the tree code of the
// systems without pidfds (tree_unix.go). /proc stands in for their sysctl
// kern.proc process table here: readProcTable and lookupProc return what
// the sysctl does there (pid, parent, group, start time, zombie or not),
// so the logic above them is the one darwin and the BSDs run.

// readProcTable lists every process in /proc.
func readProcTable() ([]procEntry, error) {
	d, err := os.Open("/proc")
	if err != nil {
		return nil, err
	}
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		return nil, err
	}
	table := make([]procEntry, 0, len(names))
	buf := make([]byte, 1024)
	for _, name := range names {
		pid, err := strconv.Atoi(name)
		if err != nil {
			continue
		}
		if e, ok := readStat(pid, buf); ok {
			table = append(table, e)
		}
	}
	return table, nil
}

// lookupProc reads the entry of one process.
func lookupProc(pid int) (procEntry, bool) {
	return readStat(pid, make([]byte, 1024))
}

// readStat parses /proc/PID/stat into buf; ok is false if pid is gone.
func readStat(pid int, buf []byte) (e procEntry, ok bool) {
	fd, err := syscall.Open("/proc/"+strconv.Itoa(pid)+"/stat", syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return e, false
	}
	n, _ := syscall.Read(fd, buf)
	syscall.Close(fd)
	if n <= 0 {
		return e, false
	}
	// "pid (comm) state ppid pgrp session tty_nr tpgid flags minflt
	// cminflt majflt cmajflt utime stime cutime cstime priority nice
	// num_threads itrealvalue starttime ..." where comm may hold spaces
	// and parentheses.
	stat := buf[:n]
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return e, false
	}
	fields := bytes.Fields(stat[i+1:])
	if len(fields) < 20 || len(fields[0]) != 1 {
		return e, false
	}
	e.pid = pid
	e.zombie = fields[0][0] == 'Z' || fields[0][0] == 'X'
	e.ppid, _ = strconv.Atoi(string(fields[1]))
	e.pgid, _ = strconv.Atoi(string(fields[2]))
	e.start, _ = strconv.ParseInt(string(fields[19]), 10, 64)
	return e, true
}
