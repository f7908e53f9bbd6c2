package childproc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spawnkit/spawnkit/internal/iox"
	"github.com/spawnkit/spawnkit/ipc"
)

// Process is a running (or finished) child started by [Spawn] or [Fork].
//
// Its methods are safe for concurrent use. Wait, ExitCode and Events may be
// used in any combination: Wait never depends on Events being read.
//
// A Process that becomes unreachable is cleaned up once the child has been
// reaped (it stays reachable until then): its output pipes that were
// neither read to EOF nor closed are closed, and if Events was never
// called its undelivered events are dropped, so nothing of it is left. A
// pipe given to the caller keeps its Process reachable while the caller
// holds it, so a stream being read is never closed under the reader.
type Process struct {
	Pid    int
	Stdin  io.WriteCloser // the child's stdin when it is Pipe (or the PTY); nil otherwise
	Stdout io.ReadCloser  // the child's stdout when it is Pipe (or the PTY); nil otherwise
	Stderr io.ReadCloser  // the child's stderr when it is Pipe; nil otherwise

	command    string   // see String
	path       string   // the file executed; see Path
	args       []string // the argv the child got; see Args
	started    time.Time
	duration   time.Duration // set before exited is closed
	proc       *os.Process
	release    func() // called once the child is reaped; may be nil
	tree       tree
	killSignal syscall.Signal
	killDelay  time.Duration
	timeout    time.Duration
	ctxDone    <-chan struct{}

	reaper  atomic.Int32  // who reaps the child: reapWatching, reapByWaiter, …
	watcher exitWatcher   // where its exit is watched, with reapWatching
	waiter  bool          // Exec: its caller holds a wait slot and reaps it (reapByWaiter from the start)
	exited  chan struct{} // closed once the child is reaped
	state   *os.ProcessState
	waitErr error
	drained chan struct{} // closed once the library's own stream copies ended

	owned        ownedCopies // copies into Writer stdio and Exec buffers
	ownedFiles   []*os.File  // their read ends, closed KillDelay after exit if still open
	stdinToClose io.Closer   // the parent's end of a stdin pipe, closed after exit
	feedPipe     *os.File    // the parent's end of a Reader stdin pipe, closed once the outputs are drained

	sh *shared // what outlives the reaping; never refers back to the Process

	mu        sync.Mutex
	killed    bool
	timedOut  bool
	cause     error
	reaped    bool          // the child was waited for; see terminate
	treeDone  chan struct{} // closed once a kill of the tree is complete
	unrefOnce sync.Once
	unref     chan struct{}

	channel *ipcState // nil without IPC

	log procLog // Options.Logger and what its "exit" record needs
}

// Events returns the channel of everything that happens to the child:
// [EventSpawn] first, [EventClose] last, then the channel is closed. Nothing
// the library does waits for it to be read: events that find the channel
// full are queued, in order, so it may be read late, or not at all.
//
// IPC messages are the exception that pushes back: while the child runs,
// the channel is not read further once a message waits for room, so the
// child's sends block once the socket is full, never the parent's calls.
// Once [Process.Wait] has been called, the pushing back stops (up to 64 MiB
// of queued messages), so a child that sends everything before it exits
// does exit while its parent waits. Once the child has exited, what is
// left on the channel is read without waiting. Messages that arrive after the ctx given to [Spawn] ended or
// after Disconnect are dropped unless they fit in the channel at once.
//
// Once Events has been called, the caller may hold the channel without the
// [Process], so events are kept for it until the channel is read to the end.
func (p *Process) Events() <-chan Event {
	p.sh.events.taken.Store(true)
	return p.sh.events.ch
}

// Wait waits for the child to exit and for the copies into [Writer] stdio to
// finish (at most KillDelay after the exit, in case a grandchild holds an
// output open; a Writer whose Write blocks holds Wait up until it returns). After a kill by Timeout, ctx or MaxBuffer it also waits
// until nothing of the child's tree runs any more (SIGKILL after
// KillDelay), so no process, goroutine or fd of it outlives Wait. It returns nil when the child exited with status 0 and was
// not killed by us, and an *[ExitError] otherwise. Wait may be called any
// number of times from any goroutine; it never reads Events, and a child
// blocked sending IPC messages nobody reads is read on (up to 64 MiB
// queued), so Wait returns once it exits.
//
// If something else in this process takes the child's status first (a
// wait4 or waitid of its own for any child, or SIGCHLD set to SIG_IGN, on
// which the kernel reaps every child itself; os/signal's Reset does not
// undo signal.Ignore(syscall.SIGCHLD)), the status is lost: Wait returns
// an error matching syscall.ECHILD that is not an *[ExitError], ExitCode
// is -1, ExitStatus reports code -1 and no signal, and EventExit and
// EventClose come with code -1, at once, even if another process took the
// child's pid meanwhile (on Linux the child is watched through a pidfd
// from its clone, never by pid).
func (p *Process) Wait() error {
	p.sh.events.markWaited()
	if p.reaper.Load() == reapWatching && takeWaitSlot() {
		if p.reaper.CompareAndSwap(reapWatching, reapByWaiter) {
			// The child has not been seen to exit, and only the exit
			// watcher watches it: wait for it on this goroutine, in
			// waitid, as os/exec does, rather than be woken by another
			// goroutine once it was reaped (see startReaper).
			p.unwatch(false)
			p.afterExit(p.proc.Wait())
		}
		releaseWaitSlot()
	}
	<-p.exited
	<-p.drained
	return p.result()
}

// result is what Wait returns; call it only after exited.
func (p *Process) result() error {
	if p.waitErr != nil {
		return fmt.Errorf("childproc: wait %s: %w", p.command, p.waitErr)
	}
	if err := p.exitError(); err != nil {
		return err
	}
	return nil
}

// exitError returns the *ExitError describing how the child ended, or nil
// when it exited with status 0 and no signal. That holds even when a kill
// of ours raced its exit (the signal reached a zombie, or the child handled
// it and exited 0), as with Node's exec; only a MaxBuffer overflow is an
// error whatever the status, since the output was cut. Call it only after
// exited.
func (p *Process) exitError() *ExitError {
	p.mu.Lock()
	killed, timedOut, cause := p.killed, p.timedOut, p.cause
	p.mu.Unlock()
	st := StatusOf(p.state)
	if st.Success() && !(killed && errors.Is(cause, ErrMaxBuffer)) {
		return nil
	}
	return &ExitError{
		Command:  p.command,
		ExitCode: st.Code,
		Signal:   st.Signal,
		Killed:   killed,
		TimedOut: timedOut,
		Duration: p.duration,
		timeout:  p.timeout,
		cause:    cause,
	}
}

// ExitCode returns the child's exit code: -1 while it runs and when a
// signal ended it (Node's exitCode; [ExitStatus] tells the two apart).
func (p *Process) ExitCode() int {
	st, _ := p.ExitStatus()
	return st.Code
}

// ExitStatus returns how the child ended (Node's exitCode and signalCode)
// and true once it has been reaped; while it runs it returns Code -1, no
// Signal and false. A child that exited by itself has Signal 0.
func (p *Process) ExitStatus() (ExitStatus, bool) {
	select {
	case <-p.exited:
		return StatusOf(p.state), true
	default:
		return ExitStatus{Code: -1}, false
	}
}

// Args returns the argument list the child was started with, argv[0]
// included ([Options].Argv0 when set), as Node's spawnargs: with
// Options.Shell it is the shell, "-c" and the command line. The caller may
// modify the returned slice.
func (p *Process) Args() []string { return append([]string(nil), p.args...) }

// Path returns the file that was executed: the program as found in PATH
// (see [LookPath]), or the name as given when it holds a slash; with
// [Options].Shell, the shell. Node's spawnfile is the name before the PATH
// lookup; the name is Args()[0] unless Argv0 replaced it.
func (p *Process) Path() string { return p.path }

// String returns the command line as a shell would run it, the form every
// error of the [Process] names: the name and arguments given to [Spawn] quoted
// with [shell.Join] (so "sh -c 'echo done; exit 3'" pastes back into a
// shell), or, with [Options].Shell, the command line given to the shell as it
// is. Argv0 does not change it.
func (p *Process) String() string { return p.command }

// Signal sends sig to the child itself (not to what it started), as
// os.Process.Signal does; signal 0 only checks that the child is still
// there. A child that was already reaped is an error wrapping
// os.ErrProcessDone, and the signal reaches nothing (never a process that
// reused the pid). Any other failure is returned and reported as an
// [EventError] too. A child ended by a signal sent this way is not Killed in
// its [ExitError]: the caller knows why it ended.
func (p *Process) Signal(sig syscall.Signal) error {
	err := p.proc.Signal(sig)
	if err == nil {
		return nil
	}
	err = fmt.Errorf("childproc: signal %s (pid %d) with %v: %w", p.command, p.Pid, sig, err)
	if !errors.Is(err, os.ErrProcessDone) {
		p.emit(Event{Kind: EventError, Err: err})
	}
	return err
}

// Kill sends SIGKILL to the child and to its whole tree: its process
// group and every descendant that left it (as a Timeout or ctx kill does,
// without the KillSignal step). It returns once the signal was sent, not
// once the processes are gone; Wait waits for the child. Killing a child
// that was already reaped is an error wrapping os.ErrProcessDone and
// signals nothing. As with Signal, the [ExitError] of a child ended this way
// is not Killed.
func (p *Process) Kill() error {
	p.mu.Lock()
	reaped := p.reaped
	p.mu.Unlock()
	var err error
	if reaped {
		err = os.ErrProcessDone
	} else {
		err = p.tree.signal(syscall.SIGKILL)
	}
	if err == nil {
		return nil
	}
	err = fmt.Errorf("childproc: kill %s (pid %d): %w", p.command, p.Pid, err)
	if !errors.Is(err, os.ErrProcessDone) {
		p.emit(Event{Kind: EventError, Err: err})
	}
	return err
}

// Unref stops tracking the child: the end of the ctx given to [Spawn] no
// longer kills it, so a Detached child outlives the parent. A child that is
// not Detached still receives SIGKILL when the parent process dies. Timeout
// still applies. Unref may be called more than once.
func (p *Process) Unref() {
	p.unrefOnce.Do(func() { close(p.unref) })
}

// terminate kills the whole tree with KillSignal, then with SIGKILL after
// KillDelay if anything of it still runs. Only the first call counts. Once
// the child has been reaped, only a MaxBuffer overflow (whose output a
// grandchild may still be writing) kills: a ctx or Timeout that ends just
// after the child exited by itself does not turn its exit into a kill.
func (p *Process) terminate(cause error, timedOut bool) {
	p.mu.Lock()
	if p.killed || p.reaped && !errors.Is(cause, ErrMaxBuffer) {
		p.mu.Unlock()
		return
	}
	p.killed, p.timedOut, p.cause = true, timedOut, cause
	p.mu.Unlock()
	if err := p.tree.signal(p.killSignal); err != nil {
		p.emit(Event{Kind: EventError, Err: fmt.Errorf("childproc: kill %s (pid %d): %w", p.command, p.Pid, err)})
	}
	if sigCont != 0 && p.killSignal != syscall.SIGKILL && p.killSignal != sigCont {
		// A stopped process (SIGSTOP, Ctrl-Z) keeps KillSignal pending
		// until it is continued, as systemd does it.
		p.tree.signal(sigCont)
	}
	if p.killDelay < 0 {
		p.tree.release()
		close(p.treeDone)
		return
	}
	go p.escalate()
}

// escalate sends SIGKILL to the tree once KillDelay has passed, unless the
// child and everything it started ended before that.
func (p *Process) escalate() {
	defer close(p.treeDone)
	defer p.tree.release()
	deadline := time.NewTimer(p.killDelay)
	defer deadline.Stop()
	select {
	case <-p.exited:
	case <-deadline.C:
		p.killTree()
		return
	}
	poll := time.NewTicker(10 * time.Millisecond)
	defer poll.Stop()
	for p.tree.alive() {
		select {
		case <-deadline.C:
			p.killTree()
			return
		case <-poll.C:
		}
	}
}

// killTree sends SIGKILL to the tree and waits, a second at most, until
// none of it runs any more: a killed process takes a moment to die.
func (p *Process) killTree() {
	p.tree.signal(syscall.SIGKILL)
	for range 100 {
		if !p.tree.alive() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// watch kills the tree when ctx ends (until Unref) or Timeout fires.
func (p *Process) watch(ctx context.Context) {
	var timeout <-chan time.Time
	if p.timeout > 0 {
		t := time.NewTimer(p.timeout)
		defer t.Stop()
		timeout = t.C
	}
	done, unref := ctx.Done(), p.unref
	for {
		select {
		case <-p.exited:
			return
		case <-unref:
			done, unref = nil, nil
			if timeout == nil {
				return
			}
		case <-done:
			select {
			case <-p.unref: // Unref came first; the select just saw both
				done, unref = nil, nil
				continue
			default:
			}
			p.terminate(context.Cause(ctx), false)
			return
		case <-timeout:
			p.terminate(context.DeadlineExceeded, true)
			return
		}
	}
}

// Who reaps a child (Process.reaper). Exactly one goroutine calls
// proc.Wait and then afterExit: the reap goroutine (reapByGoroutine: where
// the exit cannot be watched without a blocked thread), or, while the
// exit watcher watches (reapWatching, Linux: see startReaper), whichever
// comes first of a goroutine the watcher starts once the child has exited
// (reapByWatcher) and a Wait caller that got a wait slot (reapByWaiter),
// which then blocks in waitid itself. Exec and ExecFile take their slot
// before the start (Process.waiter): then the child is reapByWaiter from
// the start, and the exit watcher never watches it.
const (
	reapWatching int32 = iota
	reapByWaiter
	reapByWatcher
	reapByGoroutine
)

// reap waits for the child and does what follows its exit (afterExit).
func (p *Process) reap() { p.afterExit(p.proc.Wait()) }

// afterExit is called once, with the result of proc.Wait: it delivers
// EventExit, waits for the library's own streams, and hands the rest to
// finish, which refers to the shared state only: from then on no goroutine
// of the library keeps the Process reachable.
func (p *Process) afterExit(state *os.ProcessState, err error) {
	p.state, p.waitErr = state, err
	p.duration = time.Since(p.started)
	p.mu.Lock()
	p.reaped = true
	p.mu.Unlock()
	if p.release != nil {
		p.release()
	}
	close(p.exited)
	if p.stdinToClose != nil {
		p.stdinToClose.Close()
	}
	for _, e := range p.sh.streams {
		e.childExited()
	}
	st := StatusOf(p.state)
	code, sig := st.Code, st.Signal
	p.emit(Event{Kind: EventExit, ExitCode: code, Signal: sig})

	p.drainOwned()
	if p.feedPipe != nil {
		// A grandchild may hold stdin without reading it: stop feeding,
		// so the Reader is not read on after Wait returns.
		p.feedPipe.Close()
	}
	p.mu.Lock()
	killed := p.killed
	p.mu.Unlock()
	if killed {
		<-p.treeDone // nothing of the tree runs once Wait returns
	}
	p.logExited()
	close(p.drained)
	last := Event{Kind: EventClose, ExitCode: code, Signal: sig}
	if len(p.sh.streams) == 0 && p.sh.channel == nil {
		p.sh.events.close(last) // nothing to wait for: no goroutine needed
		return
	}
	go p.sh.finish(last)
}

// shared is the part of a Process that its last goroutines need after the
// child was reaped. It never refers to the Process, so a Process nobody
// holds can be collected, and its cleanup (abandon) can run.
type shared struct {
	events      *eventQueue
	callerReads sync.WaitGroup // Pipe streams handed to the caller: EOF or Close
	streams     []*pipeEnd     // those streams; set before the child starts
	channel     *ipcState      // nil without IPC
	killDelay   time.Duration
}

// finish delivers EventClose once the caller's streams and the IPC channel
// are done, and closes the Events channel.
func (sh *shared) finish(last Event) {
	sh.callerReads.Wait()
	if sh.channel != nil {
		sh.channel.waitClosed(sh.killDelay)
	}
	sh.events.close(last)
}

// abandon runs once the Process is unreachable (runtime.AddCleanup): the
// caller can no longer read its pipes, so they are closed, and unless the
// caller took the Events channel nobody can read it either.
func (sh *shared) abandon() {
	for _, e := range sh.streams {
		e.Close()
	}
	if sh.channel != nil && sh.channel.direct {
		// Nobody can call Recv any more.
		sh.channel.ch.Close()
		sh.channel.endDirect()
	}
	if !sh.events.taken.Load() {
		sh.events.drop()
	}
}

// drainOwned waits for the library's own copies to reach EOF, closing their
// pipes KillDelay after the exit if a grandchild still holds them open.
func (p *Process) drainOwned() {
	if len(p.ownedFiles) == 0 {
		return
	}
	iox.WaitOrClose(p.owned.done, p.killDelay, func() {
		for _, f := range p.ownedFiles {
			f.Close()
		}
	})
}

// ownedCopies counts the library's own stream copies of a Process. They
// are all added before the first one starts.
type ownedCopies struct {
	left atomic.Int32
	done chan struct{} // closed when the last copy ended; nil without copies
}

// add counts one more copy; call it before any copy starts.
func (c *ownedCopies) add() {
	if c.done == nil {
		c.done = make(chan struct{})
	}
	c.left.Add(1)
}

// finished records that a copy ended.
func (c *ownedCopies) finished() {
	if c.left.Add(-1) == 0 {
		close(c.done)
	}
}

// emit delivers ev after the events before it, without blocking.
func (p *Process) emit(ev Event) { p.sh.events.push(ev) }

// ipcState is a Process's message channel; see ipc.go.
type ipcState struct {
	ch   *ipc.Channel
	done chan struct{} // closed when the reader stopped
	mu   sync.Mutex
	gone bool // disconnected, from either side
	stop chan struct{}

	events  *eventQueue // where EventDisconnect goes
	direct  bool        // Options.IPCRecv: Process.Recv reads, no readMessages
	recvMu  sync.Mutex  // serializes Recv
	recvErr error       // direct: the error that ended Recv, repeated
	ended   sync.Once   // direct: the end was handled (endDirect)
}

func (s *ipcState) waitClosed(delay time.Duration) {
	iox.WaitOrClose(s.done, delay, func() {
		s.ch.Close()
		if s.direct {
			s.endDirect()
		}
	})
}
