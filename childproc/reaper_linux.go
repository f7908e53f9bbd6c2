//go:build linux && !spawnkit_portable

package childproc

import (
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// How a child is reaped on Linux (see reapWatching). Its exit is watched
// through a pidfd of our own in one epoll set that the Go netpoller
// watches for every child of the process, read by one goroutine
// (watchExits): while the child runs, no thread is blocked and no
// goroutine of its own exists. A Wait caller that comes before the exit
// (and finds fewer than GOMAXPROCS others doing so: see waitSlots) takes
// the pidfd out of the set and blocks in waitid on its own thread, as
// os/exec's Wait does, so that nothing wakes it but the kernel: handing
// the exit over from another goroutine cost a cross-thread wake-up per
// Spawn+Wait (bench/RESULTS.md). Exec and ExecFile, which wait at once,
// take their wait slot before the start and, with one, never put the
// child in the set: the watcher, parked in the netpoller with a read
// deadline, made the Go scheduler poll the network more often (3.3
// epoll_pwait per ExecFile, bench/RESULTS.md). When the child exits with
// nobody in Wait, the watcher starts a goroutine that reaps it. The pidfd
// comes from the clone that starts the child (CLONE_PIDFD, see
// clonePidfd), so it is the child's even if something else reaped it and
// its pid was reused before the watcher got to it: the exit event then
// comes at once (as for a child reaped elsewhere, see Process.Wait), never
// that of another process. Without a pidfd or an epoll set (a kernel before 5.3, or no
// descriptor left: EMFILE), a goroutine blocks in waitid for the child, as
// on other systems.
var exitWatch struct {
	mu     sync.Mutex
	ep     *os.File            // the epoll set; nil while no watcher runs
	epfd   int                 // its descriptor (ep.Fd would make it blocking)
	procs  map[uint64]*Process // the children in it, by epoll token
	next   uint64              // the next token
	active bool                // a child was added since the watcher last looked
}

// exitLinger is how long the watcher stays once no child is left in its
// set, so that a program starting one child after another does not start
// a new one each time. Like spawnerLinger, it is well within the time
// goleak waits for goroutines to end.
const exitLinger = 100 * time.Millisecond

// exitWatcher is a child's place in the epoll set.
type exitWatcher struct {
	token uint64
	fd    int // the pidfd
}

// pidfdWorks reports whether this kernel has pidfds: pidfd_open (Linux
// 5.3) implies CLONE_PIDFD (5.2). On an older one, clone would ignore the
// flag and leave no pidfd, which startReaper copes with too.
var pidfdWorks = sync.OnceValue(func() bool {
	fd, err := unix.PidfdOpen(os.Getpid(), 0)
	if err != nil {
		return false
	}
	unix.Close(fd)
	return true
})

// noPidfd makes clonePidfd ask for none, as on a kernel without pidfds
// (for tests of the goroutine reaper).
var noPidfd atomic.Bool

// clonePidfd asks the clone that will start the child for a pidfd
// (SysProcAttr.PidFD, CLONE_PIDFD) and returns where it will be: -1 until
// the child started, and after a start that failed. os.StartProcess keeps
// a duplicate of it for the os.Process (it asks for one of its own
// otherwise): the two share one open file description, which matters to
// epoll (see unwatch). It returns nil when it asked for none.
func clonePidfd(attr *syscall.SysProcAttr) *int {
	if noPidfd.Load() || !pidfdWorks() {
		return nil
	}
	fd := -1
	attr.PidFD = &fd
	return &fd
}

// testHookBeforeWatch, when set, is called by startReaper with the child
// before it is watched (for a test that reaps it elsewhere and reuses its
// pid meanwhile).
var testHookBeforeWatch func(*Process)

// startReaper arranges for the child to be reaped whether or not Wait is
// called: it puts pidfd, the child's pidfd from clonePidfd (nil or -1:
// none), in the watcher's epoll set, or, failing that, closes it and
// starts a goroutine that waits for the child.
func (p *Process) startReaper(pidfd *int) {
	if testHookBeforeWatch != nil {
		testHookBeforeWatch(p)
	}
	if pidfd != nil && *pidfd >= 0 {
		if watchExit(p, *pidfd) {
			return
		}
		unix.Close(*pidfd)
	}
	p.reaper.Store(reapByGoroutine)
	go p.reap()
}

// watchExit adds p's pidfd fd to the epoll set, starting the watcher if
// none runs, and reports whether it could.
func watchExit(p *Process, fd int) bool {
	w := &exitWatch
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ep == nil {
		ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
		if err != nil {
			return false
		}
		// Non-blocking, so that os.NewFile registers it with the netpoller.
		if err := unix.SetNonblock(ep, true); err != nil {
			unix.Close(ep)
			return false
		}
		f := os.NewFile(uintptr(ep), "exitwatch")
		rc, err := f.SyscallConn()
		if err != nil {
			f.Close()
			return false
		}
		w.ep, w.epfd = f, ep
		w.procs = make(map[uint64]*Process)
		go watchExits(f, rc)
	}
	w.next++
	// One-shot: an exit is reported once, even when the one who reaps
	// has not closed the pidfd yet.
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLONESHOT, Fd: int32(w.next), Pad: int32(w.next >> 32)}
	if err := unix.EpollCtl(w.epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
		return false
	}
	p.watcher = exitWatcher{token: w.next, fd: fd}
	w.procs[w.next] = p
	w.active = true
	return true
}

// unwatch takes p out of the epoll set and closes its pidfd. Only the one
// who reaps p calls it, once; fired says whether the watcher saw the exit.
//
// Closing the pidfd alone would not take it out of the set: epoll drops
// an item once every descriptor of its open file description is closed,
// and os.Process holds a duplicate until the child was reaped. Left in
// the set, it would wake the watcher when the child exits, for nothing,
// so a Wait caller takes it out first (EPOLL_CTL_DEL). After the watcher
// saw the exit it can stay: one-shot, it reports nothing more, and goes
// when os.Process closes its duplicate.
func (p *Process) unwatch(fired bool) {
	w := &exitWatch
	w.mu.Lock()
	if !fired {
		unix.EpollCtl(w.epfd, unix.EPOLL_CTL_DEL, p.watcher.fd, nil)
	}
	delete(w.procs, p.watcher.token)
	w.mu.Unlock()
	unix.Close(p.watcher.fd)
}

// watchExits reads the epoll set ep until, exitLinger after the last child
// left it, no child was added: for each child that exited with nobody in
// Wait, it starts a goroutine that reaps it. It closes ep when it returns.
func watchExits(ep *os.File, rc syscall.RawConn) {
	w := &exitWatch
	events := make([]unix.EpollEvent, 16)
	n := 0
	ready := func(fd uintptr) bool {
		var err error
		for n, err = unix.EpollWait(int(fd), events, 0); err == unix.EINTR; {
			n, err = unix.EpollWait(int(fd), events, 0)
		}
		// What is left past len(events) is read by the next call, before
		// waiting again.
		return n > 0
	}
	var deadline time.Time
	for {
		// Woken once per exit, at most: moving the deadline each time
		// would cost more than the wake-up.
		if now := time.Now(); deadline.Sub(now) < exitLinger/2 {
			deadline = now.Add(exitLinger)
			ep.SetReadDeadline(deadline)
		}
		err := rc.Read(ready)
		if err != nil {
			// The deadline: leave if no child is left nor was added.
			w.mu.Lock()
			if len(w.procs) == 0 && !w.active {
				w.ep, w.procs = nil, nil
				w.mu.Unlock()
				ep.Close()
				return
			}
			w.active = false
			w.mu.Unlock()
			deadline = time.Time{}
			continue
		}
		for _, ev := range events[:n] {
			token := uint64(uint32(ev.Fd)) | uint64(uint32(ev.Pad))<<32
			w.mu.Lock()
			p := w.procs[token]
			w.mu.Unlock()
			if p != nil && p.reaper.CompareAndSwap(reapWatching, reapByWatcher) {
				p.unwatch(true)
				go p.reap() // a zombie (or gone): waitid returns at once
			}
		}
	}
}

// waitSlots counts the Wait callers blocked in waitid for a child of
// their own (Process.Wait). Up to GOMAXPROCS of them may be; the others
// wait on the Process for the exit watcher to reap it. Many callers
// blocked in waitid at once cost more than being woken (each thread that
// comes back from the system call needs a P of its own, which the Go
// scheduler must find: with 16 Spawn+Wait in flight, parent CPU per spawn
// 1.14x os/exec's, against 0.96x with a goroutine reaping and waking the
// caller; bench/RESULTS.md), while one alone is the cheapest wait there is.
var waitSlots atomic.Int32

// takeWaitSlot reports whether a Wait caller may block in waitid; if so,
// it must call releaseWaitSlot once it returned.
func takeWaitSlot() bool {
	if n := waitSlots.Add(1); n == 1 || n <= int32(runtime.GOMAXPROCS(0)) {
		return true
	}
	waitSlots.Add(-1)
	return false
}

func releaseWaitSlot() { waitSlots.Add(-1) }
