// Package procfs reads what spawnkit needs of Linux's /proc: the list of
// processes and the fields of /proc/PID/stat. childproc's process tree and
// the tests' process checks (internal/testkit) both read /proc through it.
package procfs

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Stat is what spawnkit reads of /proc/PID/stat.
type Stat struct {
	State     byte // R, S, D, Z, T, X, …
	PPid      int
	Pgid, Sid int
	Start     int64 // starttime, in clock ticks after boot; valid when HasStart
	HasStart  bool
}

// Running reports whether the process has not exited: a zombie (Z) or a
// dead process (X) does not run.
func (s Stat) Running() bool { return s.State != 'Z' && s.State != 'X' }

// ParseStat parses the text of /proc/PID/stat: "pid (comm) state ppid pgrp
// session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime
// cutime cstime priority nice num_threads itrealvalue starttime ...", where
// comm may hold spaces and parentheses. ok is false when b does not have
// that shape up to the session; Start is set (HasStart) when b reaches it.
func ParseStat(b []byte) (st Stat, ok bool) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return st, false
	}
	f := bytes.Fields(b[i+1:])
	if len(f) < 4 || len(f[0]) != 1 {
		return st, false
	}
	st.State = f[0][0]
	st.PPid, _ = strconv.Atoi(string(f[1]))
	st.Pgid, _ = strconv.Atoi(string(f[2]))
	st.Sid, _ = strconv.Atoi(string(f[3]))
	if len(f) >= 20 {
		st.Start, _ = strconv.ParseInt(string(f[19]), 10, 64)
		st.HasStart = true
	}
	return st, true
}

// Pids lists the pids in /proc, in no particular order. The error is the
// one of opening or reading /proc (where there is none, it matches
// fs.ErrNotExist).
func Pids() ([]int, error) {
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

// SelfStatus returns the value of a field of /proc/self/status ("Threads",
// "VmHWM", …) with the spaces around it trimmed ("12", "1234 kB"). A
// missing field is an error.
func SelfStatus(field string) (string, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "", err
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return strings.TrimSpace(v), nil
		}
	}
	return "", fmt.Errorf("procfs: no %s in /proc/self/status", field)
}

// SelfStatusCount returns a count field of /proc/self/status ("Threads",
// "FDSize", …). A field that is missing or not a number is an error.
func SelfStatusCount(field string) (int64, error) {
	v, err := SelfStatus(field)
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("procfs: /proc/self/status: %s is %q, not a number", field, v)
	}
	return n, nil
}

// SelfStatusSize returns a size field of /proc/self/status ("VmRSS",
// "VmHWM", …) in bytes. A field that is missing or not a size in kB is an
// error.
func SelfStatusSize(field string) (int64, error) {
	v, err := SelfStatus(field)
	if err != nil {
		return 0, err
	}
	n, ok := strings.CutSuffix(v, " kB")
	kb, err := strconv.ParseInt(n, 10, 64)
	if !ok || err != nil {
		return 0, fmt.Errorf("procfs: /proc/self/status: %s is %q, not a size in kB", field, v)
	}
	return kb << 10, nil
}
