//go:build linux && !spawnkit_portable

package childproc

import (
	"errors"
	"os"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
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

// signal sends sig to the child, its process group and every descendant,
// the ones seen by earlier calls included. Processes that are already gone
// are not an error; the error is the child's own signal error otherwise.
func (t *tree) signal(sig syscall.Signal) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done {
		return os.ErrProcessDone
	}
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
	err := t.proc.Signal(sig)
	if t.pgid > 0 {
		syscall.Kill(-t.pgid, sig)
	}
	for pid, fd := range t.fds {
		if unix.PidfdSendSignal(fd, sig, nil, 0) == unix.ESRCH {
			unix.Close(fd)
			delete(t.fds, pid)
		}
	}
	if errors.Is(err, os.ErrProcessDone) {
		err = nil
	}
	return err
}

// alive reports whether anything of the tree still runs, the child itself
// excepted (the caller knows about that from Wait). Zombies do not count:
// they wait for their new parent to reap them and hold nothing open.
func (t *tree) alive() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	buf := make([]byte, 512)
	for pid, fd := range t.fds {
		if st, ok := readStat(pid, buf); ok && st.running() {
			return true
		}
		unix.Close(fd)
		delete(t.fds, pid)
	}
	if t.pgid <= 0 || syscall.Kill(-t.pgid, 0) != nil {
		return false
	}
	pids, _ := procPids()
	for _, pid := range pids {
		if st, ok := readStat(pid, buf); ok && st.pgid == t.pgid && st.running() {
			return true
		}
	}
	return false
}

// release closes the pidfds held; signal does nothing after it.
func (t *tree) release() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, fd := range t.fds {
		unix.Close(fd)
	}
	t.fds = nil
	t.done = true
}

// descendants returns the pids of every process below root, read from /proc.
func descendants(root int) []int {
	children := make(map[int][]int)
	buf := make([]byte, 512)
	pids, _ := procPids()
	for _, pid := range pids {
		if st, ok := readStat(pid, buf); ok {
			children[st.ppid] = append(children[st.ppid], pid)
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
