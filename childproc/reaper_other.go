//go:build !linux || spawnkit_portable

package childproc

// startReaper starts the goroutine that waits for the child (in a
// blocking wait) and does what follows its exit, whether or not Wait is
// called.
func (p *Process) startReaper() {
	p.reaper.Store(reapByGoroutine)
	go p.reap()
}

// exitWatcher is empty: other systems have no pidfd to watch.
type exitWatcher struct{}

// unwatch does nothing: startReaper never lets a Wait caller reap here.
func (p *Process) unwatch() {}

// takeWaitSlot reports false: the reap goroutine is the only reaper here.
func takeWaitSlot() bool { return false }

func releaseWaitSlot() {}
