// Package pool runs tasks in a fixed set of forked worker processes, so that
// CPU-bound work leaves the calling process (an HTTP server, say) responsive:
// the Go shape of the "offload compute to a forked child" pattern of Node.js's
// child_process.fork, with the bookkeeping a pool needs (a bounded queue,
// timeouts, replacement of crashed workers, graceful shutdown).
//
// A program registers a task handler under a role with [Register] and calls
// [childproc.Init] first thing in main; [New] then forks the program K times in
// that role, and Submit sends a task (any JSON value) to a free worker and
// returns the handler's result as raw JSON:
//
//	func init() {
//		pool.Register("sum", func(ctx context.Context, task ipc.Message) (any, error) {
//			var n int
//			if err := task.Decode(&n); err != nil {
//				return nil, err
//			}
//			sum := 0
//			for i := 0; i < n; i++ {
//				sum += i
//			}
//			return sum, nil
//		})
//	}
//
//	func main() {
//		if childproc.Init() {
//			return
//		}
//		ctx := context.Background()
//		p, err := pool.New(ctx, "sum", &pool.Options{Workers: 4})
//		...
//		res, err := p.Submit(ctx, 1_000_000)
//		...
//		p.Close(ctx)
//	}
//
// Each worker runs one task at a time. Tasks and results travel over the
// childproc IPC channel (Node's JSON wire format) wrapped in a small envelope
// that carries a task id.
//
// Options follow the rule of every spawnkit package: they are passed by
// pointer, nil means all defaults, and New copies what it needs (the slices
// of Options.Child included) and neither modifies nor keeps the caller's
// struct, so changing it after New returns has no effect on the pool. A zero
// duration or limit is the documented default, a negative one means "no
// limit" where that has a meaning and is an error naming the field where it
// has not.
package pool

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spawnkit/spawnkit/childproc"
	"github.com/spawnkit/spawnkit/ipc"
)

// Options configure a [Pool]; [New] takes them by pointer, nil meaning all
// defaults (one worker per CPU, no queue beyond the workers themselves, no
// timeout, no retry), copies them and never modifies or keeps them; a zero
// field is its default, and a negative one means "no limit" or, where that
// has no meaning, is an error from New naming the field.
type Options struct {
	// Workers is the number of worker processes; 0 means runtime.NumCPU().
	// A negative Workers is an error from New.
	Workers int

	// Queue is how many submitted tasks may wait for a free worker. When
	// every worker is busy and Queue tasks are waiting, Submit blocks until
	// one is taken (or its ctx ends). 0 means Submit waits until a worker
	// takes its task. A negative Queue is an error from New: an unbounded
	// queue would hold any number of tasks in memory, and Submit blocking
	// is how the pool pushes back on its callers.
	Queue int

	// TaskTimeout bounds how long one task may run in a worker, counted
	// from when the worker receives it (time in the queue is not counted).
	// A worker running a task past it is killed with SIGKILL and replaced,
	// and the task fails with ErrTaskTimeout (or is retried, see Retry).
	// 0 (the default) and a negative value mean no limit: a task runs
	// until its handler returns.
	TaskTimeout time.Duration

	// Retry runs a task a second time, on a new worker, when its worker
	// crashed or timed out the first time. A task whose handler returned an
	// error is not retried, nor is one whose caller gave up (Submit's ctx
	// ended). Use it only for tasks that are safe to run twice.
	Retry bool

	// Child configures the worker processes (environment, directory,
	// stdio, …) as for childproc.Fork; nil means the defaults (stdio
	// inherited from this process). New copies it, its Env, ExtraEnv and
	// ExtraFiles slices included: the files themselves, and a Writer or
	// File stdio, are used as they are for every worker the pool starts. A Pipe stdio is an error from New,
	// since the pool would never read it: use Inherit, Ignore,
	// childproc.File or childproc.Writer. Child.Timeout, if set, limits the
	// life of each worker process; the pool sees the kill as a crash.
	Child *childproc.Options

	// Logger, when not nil, receives a record for every worker process the
	// pool starts and every one that dies unasked (nil = silent), each
	// with the attributes role, slot (0 to Workers-1) and pid:
	//
	//   - "worker started" (Info), with why: "start" for the first worker
	//     of a slot, "restart" for one that replaces a worker that died;
	//   - "worker crashed" (Warn), with code (exit status) or signal (its
	//     name, "SIGKILL"), and err, the task's *WorkerError, when it died
	//     running a task (ErrWorkerCrashed, or ErrTaskTimeout: killed by
	//     the pool);
	//   - "worker start failed" (Warn), with err and no pid.
	//
	// Workers stopped by Close, or killed because the pool's ctx or Close's
	// ctx ended, are not logged. To log each worker process as a child
	// too, set Child.Logger.
	Logger *slog.Logger
}

// Stats is a snapshot of a [Pool]'s state, see [Pool.Stats].
type Stats struct {
	Pids    []int // process ids of the live workers
	Busy    int   // tasks being run by a worker
	Queued  int   // tasks waiting in the queue for a free worker
	Waiting int   // Submit calls blocked because the queue is full
}

// Pool is a set of forked worker processes running one registered role.
// Its methods are safe for concurrent use.
type Pool struct {
	role  string
	opts  Options
	child childproc.Options
	ctx   context.Context // the ctx given to New

	queue   chan *task
	closing chan struct{} // closed when Submit stops accepting tasks
	abort   chan struct{} // closed when the pool gives up on its tasks
	abortE  error         // why; set before abort is closed
	done    chan struct{} // closed when every supervisor has ended

	mu          sync.Mutex
	closed      bool // no more tasks are accepted
	closeCalled bool
	stopOnce    sync.Once
	abortOnce   sync.Once
	senders     sync.WaitGroup // Submit calls that may still send on queue
	supervisors sync.WaitGroup

	nextID  atomic.Uint64
	busy    atomic.Int64
	waiting atomic.Int64

	pidMu sync.Mutex
	pids  []int  // by slot; 0 when the slot has no worker
	ran   []bool // by slot: a worker was ready there before
}

// task is one Submit call.
type task struct {
	ctx     context.Context
	payload ipc.Message

	once   sync.Once
	done   chan struct{}
	result ipc.Message
	err    error
}

// finish records the outcome; only the first call counts.
func (t *task) finish(result ipc.Message, err error) {
	t.once.Do(func() {
		t.result, t.err = result, err
		close(t.done)
	})
}

func (t *task) finished() bool {
	select {
	case <-t.done:
		return true
	default:
		return false
	}
}

// New forks options.Workers copies of the running program in role
// (registered with [Register]; the program's main must call
// [childproc.Init] first) and returns once every one of them is ready to
// take tasks. A nil options is all defaults; New copies options and never
// modifies or keeps it, and a negative Workers or Queue is an error naming
// the field, with no worker started. If one of them
// cannot start, or ends before it is ready (an unregistered role ends it with
// status 2), New stops the others and returns an error naming it. A role
// registered with [childproc.Register] instead of Register never reports
// ready: New then waits until ctx ends. When ctx ends before every worker
// is ready, the error matches context.Cause(ctx).
//
// ctx bounds the life of the pool: when it ends, the workers are killed,
// tasks not finished fail with an error matching [ErrClosed] that carries
// context.Cause(ctx), and Submit returns such an error. Close must still be
// called to release the pool's resources.
func New(ctx context.Context, role string, options *Options) (*Pool, error) {
	var opts Options
	if options != nil {
		opts = *options
	}
	switch {
	case opts.Workers < 0:
		return nil, fmt.Errorf("pool: Options.Workers is %d: must be >= 0", opts.Workers)
	case opts.Queue < 0:
		return nil, fmt.Errorf("pool: Options.Queue is %d: must be >= 0", opts.Queue)
	}
	if opts.TaskTimeout < 0 {
		opts.TaskTimeout = 0
	}
	if c := opts.Child; c != nil {
		for _, s := range []struct {
			name string
			std  childproc.Stdio
		}{{"Stdin", c.Stdin}, {"Stdout", c.Stdout}, {"Stderr", c.Stderr}} {
			if s.std == childproc.Pipe {
				return nil, fmt.Errorf("pool: Options.Child.%s is Pipe, which the pool would never read or write (use Inherit, Ignore, childproc.File or childproc.Writer)", s.name)
			}
		}
	}
	if opts.Workers == 0 {
		opts.Workers = runtime.NumCPU()
	}
	p := &Pool{
		role:    role,
		opts:    opts,
		ctx:     ctx,
		queue:   make(chan *task, opts.Queue),
		closing: make(chan struct{}),
		abort:   make(chan struct{}),
		done:    make(chan struct{}),
		pids:    make([]int, opts.Workers),
		ran:     make([]bool, opts.Workers),
	}
	if c := opts.Child; c != nil {
		p.child = *c
		p.child.Env = slices.Clone(c.Env)
		p.child.ExtraEnv = slices.Clone(c.ExtraEnv)
		p.child.ExtraFiles = slices.Clone(c.ExtraFiles)
		p.opts.Child = nil // p.child is the copy used
	}

	workers := make([]*worker, opts.Workers)
	errs := make([]error, opts.Workers)
	var started sync.WaitGroup
	for i := range workers {
		started.Go(func() { workers[i], errs[i] = p.startWorker(i) })
	}
	started.Wait()
	if err := errors.Join(errs...); err != nil {
		for i, w := range workers {
			p.retire(i, w)
		}
		return nil, err
	}

	for i, w := range workers {
		p.supervisors.Add(1)
		go p.supervise(i, w)
	}
	go func() {
		p.supervisors.Wait()
		close(p.done)
	}()
	go func() {
		select {
		case <-ctx.Done():
			p.abortWith(fmt.Errorf("%w: %w", ErrClosed, context.Cause(ctx)))
			p.stopAccepting()
		case <-p.done:
		}
	}()
	return p, nil
}

// Submit sends task, encoded by [ipc.Marshal] (an [ipc.Message] or
// json.RawMessage is taken as it is and arrives compacted), to a free
// worker and waits for the handler's result, which it returns as raw JSON.
//
// When every worker is busy the task waits in the queue; when the queue is
// full as well, Submit blocks until there is room. If ctx ends first, Submit
// returns ctx.Err(): a task still in the queue is then dropped, and a task
// already running has its handler's ctx cancelled and its result discarded.
// Its worker is kept, and takes no other task until the handler returns (or
// TaskTimeout kills it): a handler that ignores ctx keeps its worker busy.
//
// The error is a *[TaskError] when the handler returned an error, a
// *[WorkerError] ([ErrWorkerCrashed], [ErrTaskTimeout]) when the worker died or
// was killed while running the task, an error matching [ErrClosed] when the
// pool was closed before the task was accepted or abandoned it (see Close),
// an error matching [ipc.ErrTooLarge] when the encoded task is over the IPC
// channel's size limit (found once the task is encoded, before it waits
// for a worker or for room in the queue; a result over it is a
// *TaskError), an error from
// starting a worker when none could be started, or an encoding error when
// task cannot be encoded as JSON or nests arrays and objects deeper than
// 9,999 levels (the worker decodes it with encoding/json, which refuses
// more than 10,000 with the pool's envelope around it; a handler's result
// that deep is a *TaskError).
func (p *Pool) Submit(ctx context.Context, task any) (ipc.Message, error) {
	payload, err := encodeValue(task)
	if err != nil {
		return nil, fmt.Errorf("pool: encode task: %w", err)
	}
	// Refused before any other work: no second pass over it, no wait for
	// room in the queue or for a worker.
	if err := checkSize("task", payload); err != nil {
		return nil, err
	}
	if err := checkNesting(payload); err != nil {
		return nil, fmt.Errorf("pool: encode task: %w", err)
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, p.closedErr()
	}
	p.senders.Add(1)
	p.mu.Unlock()

	t := newTask(ctx, payload)
	err = p.enqueue(ctx, t)
	p.senders.Done()
	if err != nil {
		return nil, err
	}
	select {
	case <-t.done:
	case <-ctx.Done():
		t.finish(nil, ctx.Err())
	}
	return t.result, t.err
}

func newTask(ctx context.Context, payload ipc.Message) *task {
	return &task{ctx: ctx, payload: payload, done: make(chan struct{})}
}

// enqueue puts t in the queue, blocking while it is full.
func (p *Pool) enqueue(ctx context.Context, t *task) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case p.queue <- t:
		return nil
	default:
	}
	p.waiting.Add(1)
	defer p.waiting.Add(-1)
	select {
	case p.queue <- t:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-p.closing:
		return p.closedErr()
	}
}

// closedErr is ErrClosed, with the reason when the ctx given to New ended.
func (p *Pool) closedErr() error {
	if p.ctx.Err() != nil {
		return fmt.Errorf("%w: %w", ErrClosed, context.Cause(p.ctx))
	}
	return ErrClosed
}

// Close stops the pool gracefully: Submit returns [ErrClosed] from then on
// (calls blocked on a full queue included), every task already accepted,
// running or queued, runs to completion, and then every worker is told to
// stop (its IPC channel is closed) and waited for. Close returns nil once
// all of that is done. A task that never ends (no TaskTimeout, a handler
// that ignores its ctx) makes Close wait until ctx ends.
//
// If ctx ends first, the workers are killed with SIGKILL, the tasks not
// finished fail with an error matching ErrClosed, and Close returns
// ctx.Err() once the workers are gone. Either way no worker process is left
// behind, running or zombie. A second Close returns ErrClosed.
func (p *Pool) Close(ctx context.Context) error {
	p.mu.Lock()
	if p.closeCalled {
		p.mu.Unlock()
		return ErrClosed
	}
	p.closeCalled = true
	p.mu.Unlock()

	p.stopAccepting()
	select {
	case <-p.done:
		return nil
	case <-ctx.Done():
	}
	p.abortWith(fmt.Errorf("%w before the task finished: %w", ErrClosed, context.Cause(ctx)))
	<-p.done
	return ctx.Err()
}

// Stats returns a snapshot of the pool's workers and tasks.
func (p *Pool) Stats() Stats {
	p.pidMu.Lock()
	var pids []int
	for _, pid := range p.pids {
		if pid != 0 {
			pids = append(pids, pid)
		}
	}
	p.pidMu.Unlock()
	return Stats{
		Pids:    pids,
		Busy:    int(p.busy.Load()),
		Queued:  len(p.queue),
		Waiting: int(p.waiting.Load()),
	}
}

// stopAccepting makes Submit refuse new tasks, waits for the Submit calls
// that could still enqueue, and closes the queue, so that the supervisors
// end once it is empty.
func (p *Pool) stopAccepting() {
	p.stopOnce.Do(func() {
		p.mu.Lock()
		p.closed = true
		close(p.closing)
		p.mu.Unlock()
		p.senders.Wait()
		close(p.queue)
	})
}

// abortWith makes the supervisors kill their workers and fail every task
// left with err.
func (p *Pool) abortWith(err error) {
	p.abortOnce.Do(func() {
		p.abortE = err
		close(p.abort)
	})
}

func (p *Pool) aborted() bool {
	select {
	case <-p.abort:
		return true
	default:
		return false
	}
}

// ending reports whether the pool gives up on its tasks: it was aborted,
// or the ctx given to New ended and the abort is on its way. From the
// moment that ctx ends, childproc kills the workers (they were forked with
// a ctx derived from it), so a worker seen dying then did not crash.
func (p *Pool) ending() bool {
	return p.aborted() || p.ctx.Err() != nil
}

// endErr is the error of the tasks the pool gives up on; see ending.
func (p *Pool) endErr() error {
	if p.aborted() {
		return p.abortE
	}
	return p.closedErr()
}

func (p *Pool) setPid(slot, pid int) {
	p.pidMu.Lock()
	p.pids[slot] = pid
	p.pidMu.Unlock()
}

// worker is one forked worker process.
type worker struct {
	proc   *childproc.Process
	events <-chan childproc.Event
	cancel context.CancelFunc // ends the ctx the worker was forked with
}

// kill ends the worker at once: SIGKILL to it and everything it started,
// then its ctx is cancelled so its watcher stops as well.
func (w *worker) kill() {
	w.proc.Kill()
	w.cancel()
}

// ended reports, without blocking, whether w's process is known to have
// ended: its exit, the end of its channel or its last event is among the
// events delivered so far. The other events of an idle worker are dropped.
func (w *worker) ended() bool {
	for {
		select {
		case ev, ok := <-w.events:
			if !ok || ev.Kind == childproc.EventExit || ev.Kind == childproc.EventDisconnect || ev.Kind == childproc.EventClose {
				return true
			}
		default:
			return false
		}
	}
}

// supervise runs the tasks of one worker slot until the queue is closed and
// empty, replacing the worker whenever it dies.
func (p *Pool) supervise(slot int, w *worker) {
	defer p.supervisors.Done()
	abort := p.abort
	for {
		var events <-chan childproc.Event
		if w != nil {
			events = w.events
		}
		select {
		case t, ok := <-p.queue:
			if !ok {
				p.retire(slot, w)
				return
			}
			w = p.runTask(slot, w, t)
		case ev, ok := <-events:
			if ok && ev.Kind != childproc.EventClose {
				continue
			}
			// The worker died while idle: replace it now, or when the
			// next task comes if it cannot start.
			p.reap(slot, w)
			if p.ending() {
				w = nil // killed with the pool, not crashed
				continue
			}
			p.logCrashed(slot, w, nil)
			w, _ = p.startWorker(slot)
		case <-abort:
			abort = nil
			if w != nil {
				w.kill()
				p.reap(slot, w)
				w = nil
			}
		}
	}
}

// runTask runs t on w (or on a new worker when w is nil or dies), finishes
// t and returns the worker to use next, nil if there is none.
func (p *Pool) runTask(slot int, w *worker, t *task) *worker {
	if t.finished() {
		return w // the caller gave up while the task was queued
	}
	attempts := 1
	if p.opts.Retry {
		attempts = 2
	}
	resent := false
	for attempt := 1; ; {
		if p.ending() {
			t.finish(nil, p.endErr())
			return w
		}
		if w != nil && w.ended() {
			// It died while idle and the supervisor has not seen it yet:
			// never hand it the task.
			w.kill()
			p.reap(slot, w)
			if !p.ending() {
				p.logCrashed(slot, w, nil)
			}
			w = nil
		}
		if w == nil {
			var err error
			if w, err = p.startWorker(slot); err != nil {
				if p.ending() {
					// The Fork failed because the pool's ctx ended.
					err = p.endErr()
				}
				t.finish(nil, err)
				return nil
			}
		}
		res, st, err := p.exec(slot, w, t)
		switch st {
		case alive:
			t.finish(res, err)
			return w
		case unsent:
			// The worker was gone before it got the task (it died while
			// idle and its end was not seen yet): use a new one.
			w.kill()
			p.reap(slot, w)
			if !p.ending() {
				p.logCrashed(slot, w, nil)
			}
			w = nil
			if resent {
				t.finish(nil, err)
				return nil
			}
			resent = true
			continue
		}
		// The worker died running the task; exec has reaped it.
		w = nil
		var we *WorkerError
		if errors.As(err, &we) {
			we.Attempt = attempt
			if attempt < attempts && !t.finished() && !p.aborted() {
				attempt++
				continue
			}
		}
		t.finish(nil, err)
		if !p.ending() {
			w, _ = p.startWorker(slot)
		}
		return w
	}
}

type execState int

const (
	alive  execState = iota // the worker answered (result or handler error) and lives on
	unsent                  // the task could not be sent
	dead                    // the worker ended while running the task
)

// exec sends t to w and waits for its answer, its death, its timeout or the
// pool's abort.
func (p *Pool) exec(slot int, w *worker, t *task) (ipc.Message, execState, error) {
	id := p.nextID.Add(1)
	// Busy before the send: the worker may start the task before Send returns.
	p.busy.Add(1)
	defer p.busy.Add(-1)
	var deadline time.Time
	var deadlineNs int64
	if p.opts.TaskTimeout > 0 {
		deadline = time.Now().Add(p.opts.TaskTimeout)
		deadlineNs = deadline.UnixNano()
	}
	if err := w.proc.Send(taskMessage(id, t.payload, deadlineNs)); err != nil {
		if errors.Is(err, ipc.ErrTooLarge) {
			return nil, alive, fmt.Errorf("pool: send task: %w", err)
		}
		return nil, unsent, fmt.Errorf("pool: send task to worker pid %d (role %s): %w", w.proc.Pid, p.role, err)
	}

	var timeout <-chan time.Time
	if !deadline.IsZero() {
		tm := time.NewTimer(time.Until(deadline))
		defer tm.Stop()
		timeout = tm.C
	}
	callerGone, abort := t.ctx.Done(), p.abort
	var killedFor error // ErrTaskTimeout or the abort error
	started := false    // the worker said it took the task
	for dying := false; !dying; {
		select {
		case ev, ok := <-w.events:
			if !ok || ev.Kind == childproc.EventClose {
				dying = true
				continue
			}
			if ev.Kind != childproc.EventMessage || killedFor != nil {
				continue
			}
			var r reply
			if ev.Message.Decode(&r) != nil || r.ID != id {
				continue
			}
			if r.Started {
				started = true
				continue
			}
			if r.Error != nil {
				return nil, alive, &TaskError{Role: p.role, Pid: w.proc.Pid, Message: *r.Error}
			}
			return r.Result, alive, nil
		case <-timeout:
			timeout = nil
			if killedFor == nil {
				killedFor = ErrTaskTimeout
				w.kill()
			}
		case <-callerGone:
			callerGone = nil
			t.finish(nil, t.ctx.Err())
			w.proc.Send(request{ID: id, Cancel: true}) // an error means it died: seen above
		case <-abort:
			abort = nil
			if killedFor == nil {
				killedFor = p.abortE
				w.kill()
			}
		}
	}
	p.reap(slot, w)
	if killedFor == nil && p.ctx.Err() != nil {
		// Killed because the pool's ctx ended, before the abort reached
		// this loop: not a crash.
		killedFor = p.endErr()
	}
	switch {
	case killedFor == nil && !started && !t.finished():
		// The worker died before it took the task (it was dying while
		// idle when the task was sent): the task never ran.
		return nil, unsent, fmt.Errorf("pool: worker pid %d (role %s) died before it took the task", w.proc.Pid, p.role)
	case killedFor == nil || killedFor == ErrTaskTimeout:
		if killedFor == nil {
			killedFor = ErrWorkerCrashed
		}
		st, _ := w.proc.ExitStatus() // reap waited for it
		we := &WorkerError{
			Role: p.role, Pid: w.proc.Pid, ExitCode: st.Code, Signal: st.Signal,
			Timeout: p.opts.TaskTimeout, Err: killedFor,
		}
		p.logCrashed(slot, w, we)
		return nil, dead, we
	default:
		return nil, dead, killedFor
	}
}

// startWorker forks a worker for slot and waits until it is ready. If the
// pool aborts meanwhile, the worker is killed and the abort error returned.
func (p *Pool) startWorker(slot int) (*worker, error) {
	if p.aborted() {
		return nil, p.abortE
	}
	wctx, cancel := context.WithCancel(p.ctx)
	proc, err := childproc.Fork(wctx, p.role, nil, &p.child)
	if err != nil {
		cancel()
		err = fmt.Errorf("pool: start worker (role %s): %w", p.role, err)
		p.logStartFailed(slot, err)
		return nil, err
	}
	w := &worker{proc: proc, events: proc.Events(), cancel: cancel}
	p.setPid(slot, proc.Pid)
	abort := p.abort
	for {
		select {
		case ev, ok := <-w.events:
			if ok && ev.Kind == childproc.EventMessage {
				var r reply
				if ev.Message.Decode(&r) == nil && r.Ready {
					p.pidMu.Lock()
					why := "start"
					if p.ran[slot] {
						why = "restart"
					}
					p.ran[slot] = true
					p.pidMu.Unlock()
					p.logStarted(slot, proc.Pid, why)
					return w, nil
				}
				continue
			}
			if ok && ev.Kind != childproc.EventClose {
				continue
			}
			p.reap(slot, w)
			if p.aborted() {
				return nil, p.abortE
			}
			if err := context.Cause(p.ctx); err != nil {
				return nil, fmt.Errorf("pool: worker pid %d (role %s) ended before it was ready: %w", proc.Pid, p.role, err)
			}
			st, _ := proc.ExitStatus() // reap waited for it
			err := fmt.Errorf("pool: worker pid %d (role %s) ended before it was ready: %v", proc.Pid, p.role, st)
			p.logStartFailed(slot, err)
			return nil, err
		case <-abort:
			abort = nil
			w.kill()
		}
	}
}

// reap reads w's events to the end and waits for it, so that
// w.proc.ExitStatus tells how it ended: call it only once w has ended or has
// been killed.
func (p *Pool) reap(slot int, w *worker) {
	for range w.events {
	}
	w.cancel()
	w.proc.Wait()
	p.setPid(slot, 0)
}

// retire stops an idle worker gracefully: its channel is closed, which ends
// the worker's loop, and it is waited for; if the pool aborts meanwhile it
// is killed.
func (p *Pool) retire(slot int, w *worker) {
	if w == nil {
		return
	}
	w.proc.Disconnect()
	abort := p.abort
	for {
		select {
		case _, ok := <-w.events:
			if !ok {
				w.cancel()
				w.proc.Wait()
				p.setPid(slot, 0)
				return
			}
		case <-abort:
			abort = nil
			w.kill()
		}
	}
}
