//go:build linux && !spawnkit_portable

package childproc

import (
	"os"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/spawnkit/spawnkit/internal/procfs"
)

// tree is the set of processes a child started: its process group, plus any
// descendant that left the group (setsid, setpgid), found by walking /proc.
// Descendants are held by pidfd once seen, so a later signal never reaches a
// process that merely reused a pid after the original one was gone.
type tree struct {
	proc *os.Process
	pgid int // 0 when the child shares the parent's process group

	mu   sync.Mutex
	fds  map[int]int // descendant pid → pidfd
	done bool
}

// holdDescendants opens a pidfd on every descendant not held yet.
func (t *tree) holdDescendants() {
	if t.fds == nil {
		t.fds = make(map[int]int)
	}
	for _, pid := range descendants(t.proc.Pid) {
		if _, ok := t.fds[pid]; ok {
			continue
		}
		if fd, err := unix.PidfdOpen(pid, 0); err == nil {
			t.fds[pid] = fd
		}
	}
}

// signalHeld signals every descendant held, through its pidfd, and lets go
// of the ones that are gone.
func (t *tree) signalHeld(sig syscall.Signal) {
	for pid, fd := range t.fds {
		if unix.PidfdSendSignal(fd, sig, nil, 0) == unix.ESRCH {
			unix.Close(fd)
			delete(t.fds, pid)
		}
	}
}

// heldRunning reports whether a descendant held still runs, and lets go of
// the ones that do not.
func (t *tree) heldRunning() bool {
	buf := make([]byte, 512)
	for pid, fd := range t.fds {
		if st, ok := readStat(pid, buf); ok && st.Running() {
			return true
		}
		unix.Close(fd)
		delete(t.fds, pid)
	}
	return false
}

// groupRunning reports whether a process of the child's group runs.
func (t *tree) groupRunning() bool {
	buf := make([]byte, 512)
	pids, _ := procfs.Pids()
	for _, pid := range pids {
		if st, ok := readStat(pid, buf); ok && st.Pgid == t.pgid && st.Running() {
			return true
		}
	}
	return false
}

// dropHeld closes the pidfds held.
func (t *tree) dropHeld() {
	for _, fd := range t.fds {
		unix.Close(fd)
	}
	t.fds = nil
}

// descendants returns the pids of every process below root, read from /proc.
func descendants(root int) []int {
	children := make(map[int][]int)
	buf := make([]byte, 512)
	pids, _ := procfs.Pids()
	for _, pid := range pids {
		if st, ok := readStat(pid, buf); ok {
			children[st.PPid] = append(children[st.PPid], pid)
		}
	}
	var out []int
	queue := []int{root}
	for len(queue) > 0 {
		pid := queue[0]
		queue = queue[1:]
		for _, c := range children[pid] {
			out = append(out, c)
			queue = append(queue, c)
		}
	}
	return out
}
