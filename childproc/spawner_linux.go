package childproc

import (
	"os"
	"runtime"
	"sync"
)

// Linux sends a child's parent-death signal when the *thread* that started
// it exits, not the process (prctl(2), go.dev/issue/27505), and the Go
// runtime ends a thread whose goroutine returns while locked to it
// (runtime.LockOSThread). So a child started from such a goroutine would be
// killed as soon as that goroutine returned. Children with a parent-death
// signal are therefore started from one goroutine locked to its thread for
// as long as any of them is alive; it unlocks and returns once all of them
// have been reaped.

var spawner struct {
	mu   sync.Mutex
	live int               // children started by the thread and not yet reaped
	reqs chan spawnRequest // nil while no spawner goroutine runs
}

type spawnRequest struct {
	path string
	argv []string
	attr *os.ProcAttr
	done chan spawnResult
}

type spawnResult struct {
	proc *os.Process
	err  error
}

// startProcess is os.StartProcess, run on the spawner thread when the child
// has a parent-death signal. release must be called once the child has been
// reaped (it is nil when there is nothing to release).
func startProcess(path string, argv []string, attr *os.ProcAttr) (proc *os.Process, release func(), err error) {
	if attr.Sys == nil || attr.Sys.Pdeathsig == 0 {
		proc, err = os.StartProcess(path, argv, attr)
		return proc, nil, err
	}
	spawner.mu.Lock()
	if spawner.reqs == nil {
		spawner.reqs = make(chan spawnRequest)
		go spawnLoop(spawner.reqs)
	}
	spawner.live++
	reqs := spawner.reqs
	spawner.mu.Unlock()

	req := spawnRequest{path: path, argv: argv, attr: attr, done: make(chan spawnResult, 1)}
	reqs <- req
	res := <-req.done
	if res.err != nil {
		releaseSpawner()
		return nil, nil, res.err
	}
	return res.proc, releaseSpawner, nil
}

// releaseSpawner records that a child of the spawner thread is gone, and
// stops the spawner when it was the last one.
func releaseSpawner() {
	spawner.mu.Lock()
	defer spawner.mu.Unlock()
	if spawner.live--; spawner.live == 0 {
		close(spawner.reqs)
		spawner.reqs = nil
	}
}

func spawnLoop(reqs <-chan spawnRequest) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for req := range reqs {
		proc, err := os.StartProcess(req.path, req.argv, req.attr)
		req.done <- spawnResult{proc, err}
	}
}
