//go:build linux && !spawnkit_portable

package childproc

import (
	"os"
	"runtime"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Linux sends a child's parent-death signal when the *thread* that started
// it exits, not the process (prctl(2), go.dev/issue/27505), and the Go
// runtime ends a thread whose goroutine returns while locked to it
// (runtime.LockOSThread). So a child started from such a goroutine would be
// killed as soon as that goroutine returned. Children with a parent-death
// signal are therefore started from spawner goroutines locked to their
// threads for as long as any of those children is alive; they unlock and
// return a moment after all of them have been reaped. Up to GOMAXPROCS of
// them run, so that children started at once wait for their exec in
// parallel, as with os.StartProcess. Handing the start to them costs a
// sequential Spawn two thread wake-ups, about 10 futex calls (see
// bench/RESULTS.md).
//
// One thread needs no hand-off: the process's main thread, which the Go
// runtime never ends (a goroutine that returns locked to it wedges it
// instead, runtime.mexit), and which only goes away with the process. A
// caller that happens to run on it starts the child right there, locked to
// it for the duration of the start so that it cannot move meanwhile. How
// often that happens is up to the Go scheduler: often in a program whose
// goroutines are free to land there, never in one where a goroutine sits
// on it for good (os/signal's, once signal.Notify was called from main,
// usually does).

var spawner struct {
	mu      sync.Mutex
	live    int               // children started by the spawners and not yet reaped
	threads int               // spawner goroutines running
	idle    int               // of those, the ones waiting for a request
	reqs    chan spawnRequest // nil while no spawner runs
}

// spawnerLinger is how long a spawner stays after the last of its children
// was reaped, so that a program starting one child after another does not
// pay for a new locked thread each time. It is well within the time
// goleak waits for goroutines to end.
const spawnerLinger = 100 * time.Millisecond

// mainThread is the id of the process's main thread (the process id).
var mainThread = os.Getpid()

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

// startProcess is os.StartProcess, run on a spawner thread when the child
// has a parent-death signal. release must be called once the child has been
// reaped (it is nil when there is nothing to release).
func startProcess(path string, argv []string, attr *os.ProcAttr) (proc *os.Process, release func(), err error) {
	if attr.Sys == nil || attr.Sys.Pdeathsig == 0 {
		proc, err = os.StartProcess(path, argv, attr)
		return proc, nil, err
	}
	runtime.LockOSThread()
	if unix.Gettid() == mainThread {
		proc, err = os.StartProcess(path, argv, attr)
		runtime.UnlockOSThread()
		return proc, nil, err
	}
	runtime.UnlockOSThread()
	spawner.mu.Lock()
	spawner.live++
	if spawner.reqs == nil {
		spawner.reqs = make(chan spawnRequest)
	}
	if spawner.idle == 0 && spawner.threads < runtime.GOMAXPROCS(0) {
		spawner.threads++
		spawner.idle++
		go spawnLoop(spawner.reqs)
	}
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

// releaseSpawner records that a child of the spawner threads was reaped.
func releaseSpawner() {
	spawner.mu.Lock()
	spawner.live--
	spawner.mu.Unlock()
}

// spawnLoop serves start requests on its own locked thread, and returns
// once no child started by a spawner is alive and none was asked for
// during spawnerLinger.
func spawnLoop(reqs <-chan spawnRequest) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	idle := time.NewTimer(spawnerLinger)
	defer idle.Stop()
	for {
		select {
		case req := <-reqs:
			spawner.mu.Lock()
			spawner.idle--
			spawner.mu.Unlock()
			proc, err := os.StartProcess(req.path, req.argv, req.attr)
			req.done <- spawnResult{proc, err}
			spawner.mu.Lock()
			spawner.idle++
			spawner.mu.Unlock()
		case <-idle.C:
			spawner.mu.Lock()
			if spawner.live == 0 {
				spawner.threads--
				spawner.idle--
				if spawner.threads == 0 {
					spawner.reqs = nil
				}
				spawner.mu.Unlock()
				return
			}
			spawner.mu.Unlock()
		}
		idle.Reset(spawnerLinger)
	}
}
