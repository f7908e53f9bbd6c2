// Package testkit holds what spawnkit's tests share: the registry of
// helper programs the test binaries run as children ([RegisterHelper],
// [HelperEnvFor], [Main], with os/exec's check that no helper is left
// unused), [NoLeaks], /proc readers (which processes run, which children of
// the test process are zombies, which descriptors it has open) and a
// buffer safe to read while a child writes it. It is Linux-only, like the
// tests that use it.
package testkit

import (
	"bytes"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/spawnkit/spawnkit/internal/procfs"
)

// Proc is what the tests need of /proc/PID/stat.
type Proc struct {
	Pid, PPid, Pgid, Sid int
	State                byte // R, S, D, Z, T, …
}

// Zombie reports whether the process has exited and waits to be reaped.
func (p Proc) Zombie() bool { return !(procfs.Stat{State: p.State}).Running() }

// Stat reads /proc/PID/stat; ok is false once pid is gone.
func Stat(pid int) (p Proc, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return p, false
	}
	st, ok := procfs.ParseStat(b)
	if !ok {
		return p, false
	}
	return Proc{Pid: pid, PPid: st.PPid, Pgid: st.Pgid, Sid: st.Sid, State: st.State}, true
}

// All returns every process in /proc.
func All() []Proc {
	pids, _ := procfs.Pids()
	var out []Proc
	for _, pid := range pids {
		if p, ok := Stat(pid); ok {
			out = append(out, p)
		}
	}
	return out
}

// Exists reports whether pid has a /proc entry, running or zombie.
func Exists(pid int) bool {
	_, ok := Stat(pid)
	return ok
}

// Alive reports whether pid exists and is not a zombie.
func Alive(pid int) bool {
	p, ok := Stat(pid)
	return ok && !p.Zombie()
}

// Children returns the pids of the test process's live children.
func Children() []int {
	return pids(func(p Proc) bool { return p.PPid == os.Getpid() && !p.Zombie() })
}

// Zombies returns the pids of the test process's children that exited and
// were not reaped.
func Zombies() []int {
	return pids(func(p Proc) bool { return p.PPid == os.Getpid() && p.Zombie() })
}

// WithArg returns the pids of the live processes that have arg as one of
// their argv words (a unique `sleep 7.123` argument finds a test's sleeps).
func WithArg(arg string) []int {
	return pids(func(p Proc) bool {
		if p.Zombie() {
			return false
		}
		cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(p.Pid) + "/cmdline")
		return err == nil && slices.ContainsFunc(bytes.Split(cmdline, []byte{0}), func(w []byte) bool { return string(w) == arg })
	})
}

// Argv returns the pids of the live processes whose argv is exactly argv.
func Argv(argv ...string) []int {
	want := []byte{}
	for _, a := range argv {
		want = append(append(want, a...), 0)
	}
	return pids(func(p Proc) bool {
		cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(p.Pid) + "/cmdline")
		return err == nil && !p.Zombie() && bytes.Equal(cmdline, want)
	})
}

// OpenFDs lists the test process's open descriptors as "N target" lines.
func OpenFDs() []string {
	entries, _ := os.ReadDir("/proc/self/fd")
	var out []string
	for _, e := range entries {
		target, err := os.Readlink("/proc/self/fd/" + e.Name())
		if err == nil {
			out = append(out, e.Name()+" "+target)
		}
	}
	return out
}

func pids(keep func(Proc) bool) []int {
	var out []int
	for _, p := range All() {
		if keep(p) {
			out = append(out, p.Pid)
		}
	}
	return out
}

// PeakRSS returns this process's peak resident set size in bytes (VmHWM
// in /proc/self/status), or 0 when it cannot be read.
func PeakRSS() int64 {
	n, _ := procfs.SelfStatusSize("VmHWM")
	return n
}

// ThreadsInSyscall counts the threads of this process blocked in system
// call nr (their /proc/self/task/*/syscall); a thread that ends while it
// is read is not counted.
func ThreadsInSyscall(t testing.TB, nr int) int {
	t.Helper()
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, task := range tasks {
		b, err := os.ReadFile("/proc/self/task/" + task.Name() + "/syscall")
		if err != nil {
			continue // the thread ended
		}
		if got, _, _ := strings.Cut(string(b), " "); got == strconv.Itoa(nr) {
			n++
		}
	}
	return n
}
