//go:build !linux || spawnkit_portable

package childproc

import "syscall"

// clonePidfd asks for no pidfd: only Linux has them.
func clonePidfd(*syscall.SysProcAttr) *int { return nil }

// startReaper starts the goroutine that waits for the child (in a
// blocking wait) and does what follows its exit, whether or not Wait is
// called.
func (p *Process) startReaper(*int) {
	p.reaper.Store(reapByGoroutine)
	go p.reap()
}

// exitWatcher is empty: other systems have no pidfd to watch.
type exitWatcher struct{}

// unwatch only clears p.watcher, which nothing sets here: startReaper
// never lets a Wait caller reap.
func (p *Process) unwatch(bool) { p.watcher = exitWatcher{} }

// takeWaitSlot reports false: the reap goroutine is the only reaper here.
func takeWaitSlot() bool { return false }

func releaseWaitSlot() {}
