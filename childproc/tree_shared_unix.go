//go:build unix

package childproc

import (
	"errors"
	"os"
	"syscall"
)

// The two trees (tree_linux.go, which holds descendants by pidfd, and
// tree_unix.go, which remembers them with their start time from the
// process table) differ only in how they find, hold and check descendants:
// holdDescendants, signalHeld, heldRunning, groupRunning and dropHeld. What
// they do with the child and its process group is here, once.

// signal sends sig to the child, its process group and every descendant,
// the ones seen by earlier calls included. Descendants are found and held
// before anything is signalled, so that one the signal ends cannot be
// missed or mistaken for another process. Processes that are already gone
// are not an error; the error is the child's own signal error otherwise,
// and os.ErrProcessDone after release.
func (t *tree) signal(sig syscall.Signal) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done {
		return os.ErrProcessDone
	}
	t.holdDescendants()
	err := t.proc.Signal(sig)
	if t.pgid > 0 {
		syscall.Kill(-t.pgid, sig)
	}
	t.signalHeld(sig)
	if errors.Is(err, os.ErrProcessDone) {
		return nil
	}
	return err
}

// alive reports whether anything of the tree still runs, the child itself
// excepted (the caller knows about that from Wait). Zombies do not count:
// they wait for their new parent to reap them and hold nothing open.
func (t *tree) alive() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.heldRunning() {
		return true
	}
	if t.pgid <= 0 || syscall.Kill(-t.pgid, 0) != nil {
		return false // no group, or nothing left in it
	}
	return t.groupRunning()
}

// release lets go of the descendants held; signal does nothing after it.
func (t *tree) release() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.dropHeld()
	t.done = true
}
