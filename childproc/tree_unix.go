//go:build unix && (!linux || spawnkit_portable)

package childproc

import (
	"errors"
	"os"
	"sync"
	"syscall"
)

// tree is the set of processes a child started: its process group, plus any
// descendant that left the group (setsid, setpgid), found in the OS's
// process table (procTable). This is the implementation for systems
// without pidfds (darwin, the BSDs, and Linux under the spawnkit_portable
// build tag). A descendant is remembered with its start time once seen;
// before each signal it is looked up again, and a pid now held by a
// process that started at another time (the pid was reused) is forgotten,
// not signalled. What remains is the moment between that lookup and
// kill(2), which a pidfd would close.
type tree struct {
	proc *os.Process
	pgid int // 0 when the child shares the parent's process group

	mu   sync.Mutex
	seen map[int]int64 // descendant pid → its start time when first seen
	done bool
}

// holdDescendants remembers every descendant not seen yet, with its start
// time. Without the process table, it remembers nothing new.
func (t *tree) holdDescendants() {
	if t.seen == nil {
		t.seen = make(map[int]int64)
	}
	table, err := procTable()
	if err != nil {
		return
	}
	roots := []int{t.proc.Pid}
	for pid := range t.seen {
		roots = append(roots, pid)
	}
	for _, e := range descendants(table, roots) {
		if _, ok := t.seen[e.pid]; !ok {
			t.seen[e.pid] = e.start
		}
	}
}

// signalHeld signals every descendant remembered that still runs under its
// pid, and forgets the others.
func (t *tree) signalHeld(sig syscall.Signal) {
	for pid, start := range t.seen {
		if e, ok := procLookup(pid); !ok || e.start != start || e.zombie {
			delete(t.seen, pid) // gone, or the pid now names another process
			continue
		}
		if syscall.Kill(pid, sig) == syscall.ESRCH {
			delete(t.seen, pid)
		}
	}
}

// heldRunning reports whether a descendant remembered still runs, and
// forgets the ones that do not.
func (t *tree) heldRunning() bool {
	for pid, start := range t.seen {
		if e, ok := procLookup(pid); ok && e.start == start && !e.zombie {
			return true
		}
		delete(t.seen, pid)
	}
	return false
}

// groupRunning reports whether a process of the child's group runs;
// without the process table, it assumes one does (the group exists).
func (t *tree) groupRunning() bool {
	table, err := procTable()
	if err != nil {
		return true
	}
	for _, e := range table {
		if e.pgid == t.pgid && !e.zombie {
			return true
		}
	}
	return false
}

// dropHeld forgets the descendants remembered.
func (t *tree) dropHeld() { t.seen = nil }

// procEntry is what tree needs of one process in the OS's process table.
type procEntry struct {
	pid, ppid, pgid int
	start           int64 // when it started, in the OS's unit; compared for equality only
	zombie          bool  // exited (or exiting) and not yet reaped
}

// descendants returns the processes below the roots in table, roots excluded.
func descendants(table []procEntry, roots []int) []procEntry {
	children := make(map[int][]int, len(table))
	byPid := make(map[int]procEntry, len(table))
	for _, e := range table {
		children[e.ppid] = append(children[e.ppid], e.pid)
		byPid[e.pid] = e
	}
	visited := make(map[int]bool)
	for _, r := range roots {
		visited[r] = true
	}
	var out []procEntry
	queue := append([]int(nil), roots...)
	for len(queue) > 0 {
		pid := queue[0]
		queue = queue[1:]
		for _, c := range children[pid] {
			if visited[c] {
				continue
			}
			visited[c] = true
			out = append(out, byPid[c])
			queue = append(queue, c)
		}
	}
	return out
}

// errProcTable is returned by procTable when the OS's process table cannot
// be read, or when what it returns for this very process does not match
// getpid, getppid and getpgrp (a kernel whose layout differs from the one
// this package was written for): descendants that left the child's
// process group are then not found, and only the group is signalled.
var errProcTable = errors.New("childproc: process table unavailable")

// procTable returns every process of the system, after a one-time check
// that the table reads this process correctly.
func procTable() ([]procEntry, error) {
	if !procTableWorks() {
		return nil, errProcTable
	}
	return readProcTable()
}

// procLookup returns the entry of pid; ok is false when there is none.
func procLookup(pid int) (e procEntry, ok bool) {
	if !procTableWorks() {
		return e, false
	}
	return lookupProc(pid)
}

var procTableWorks = sync.OnceValue(func() bool {
	self, ok := lookupProc(os.Getpid())
	if !ok || self.pid != os.Getpid() || self.ppid != os.Getppid() || self.pgid != syscall.Getpgrp() || self.zombie {
		return false
	}
	table, err := readProcTable()
	if err != nil {
		return false
	}
	for _, e := range table {
		if e == self {
			return true
		}
	}
	return false
})
