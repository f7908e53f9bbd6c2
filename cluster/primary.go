package cluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/spawnkit/spawnkit/childproc"
	"github.com/spawnkit/spawnkit/ipc"
)

// eventsKept is how many events the primary keeps while nobody has called
// Events yet.
const eventsKept = 1024

// Primary supervises the workers of a cluster. It is created by [Start] (or
// by [Run], which passes it to [Config].Primary). Its methods are safe for
// concurrent use.
type Primary struct {
	cfg    Config
	exe    string
	argv0  string
	events *queue[Event]
	socks  sockets

	mu      sync.Mutex
	slots   []*slot
	workers map[int]*child
	nextID  int
	closing bool
	err     error          // what Wait returns
	routers []net.Listener // Sticky: the primary's own listeners

	closingCtx    context.Context // cancelled when the shutdown begins
	cancelClosing context.CancelFunc

	reloadMu     sync.Mutex
	timerMu      sync.Mutex     // orders a restart timer's start after its variable is set
	wg           sync.WaitGroup // every goroutine of the workers and pending restarts
	shutdownOnce sync.Once
	done         chan struct{} // closed when everything has ended
}

// slot is one of the Config.Workers places; it holds one worker at a time
// (two during a reload).
type slot struct {
	index     int
	current   *child
	backoff   Backoff // deaths within CrashWindow
	gaveUp    bool
	reloading bool
	timer     *time.Timer // pending restart
}

// child is the primary's view of one worker process.
type child struct {
	info    WorkerInfo
	slot    *slot
	proc    *childproc.Process
	ch      *ipc.Channel
	kill    context.CancelFunc // SIGKILL the worker's whole tree
	started time.Time

	online     chan struct{} // closed on opOnline
	ready      chan struct{} // closed when it counts as up
	procDone   chan struct{} // closed when the process was reaped
	readerDone chan struct{} // closed when the channel reached EOF
	exited     chan struct{} // closed after EventExit was emitted

	sendMu sync.Mutex // orders routed connections before opStop (Sticky)

	mu           sync.Mutex
	sockets      map[int]bool // the sockets it listens on (by socket.id)
	isOnline     bool
	isReady      bool
	lateForReady bool // ReadyTimeout ended first: it is killed, never counted as up
	stopping     bool
	killReason   error
	lastPong     time.Time
}

// Start starts a cluster as config says (nil: all defaults; Start copies
// it, see [Config]) and returns at once, before the workers are ready
// (watch Events for [EventReady]). A negative Workers is an error, and
// nothing starts. It must run in the
// primary: in a worker process it returns an error. Config.Worker and
// Config.Primary are not used by Start (workers run Config.Worker through
// [Run]).
//
// Start fails, and leaves nothing running, when the executable cannot be
// found or a worker cannot be started. Once it returns, the cluster runs
// until Shutdown is called, ctx ends (which shuts it down gracefully), or
// every slot has been given up as a crash loop.
func Start(ctx context.Context, config *Config) (*Primary, error) {
	if IsWorker() {
		return nil, errors.New("cluster: Start called in a worker process (use Run, which runs Config.Worker there)")
	}
	if err := context.Cause(ctx); err != nil {
		return nil, fmt.Errorf("cluster: start: %w", err)
	}
	cfg, err := withDefaults(config)
	if err != nil {
		return nil, err
	}
	if cfg.Sticky && cfg.ReusePort {
		return nil, errors.New("cluster: start: Sticky and ReusePort cannot be combined")
	}
	p := &Primary{
		cfg:     cfg,
		exe:     cfg.Executable,
		argv0:   cfg.Executable,
		events:  newQueue[Event](eventsKept),
		workers: make(map[int]*child),
		done:    make(chan struct{}),
	}
	p.socks.reusePort = cfg.ReusePort
	p.closingCtx, p.cancelClosing = context.WithCancel(context.WithoutCancel(ctx))
	if p.exe == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("cluster: start: %w", err)
		}
		p.exe, p.argv0 = exe, os.Args[0]
	}
	p.socks.adopt(systemdSockets())

	p.mu.Lock()
	for i := 0; i < cfg.Workers; i++ {
		s := &slot{index: i, backoff: Backoff{Delay: cfg.RestartDelay, MaxDelay: cfg.MaxRestartDelay, Limit: cfg.CrashLimit, Window: cfg.CrashWindow}}
		p.slots = append(p.slots, s)
		w, err := p.spawn(s, true)
		if err != nil {
			p.mu.Unlock()
			p.beginShutdown(nil)
			<-p.done
			return nil, err
		}
		p.logStarted(w, "start")
	}
	p.mu.Unlock()

	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		select {
		case <-ctx.Done():
			p.beginShutdown(nil)
		case <-p.closingCtx.Done():
		}
	}()
	return p, nil
}

// spawn starts a worker in slot s; as current it becomes the slot's
// worker at once, otherwise (a reload's replacement) the caller promotes
// it when it is ready. p.mu must be held.
func (p *Primary) spawn(s *slot, current bool) (*child, error) {
	if p.closing {
		return nil, ErrClosed
	}
	p.nextID++
	id := p.nextID
	parentEnd, childEnd, err := ipc.Pair()
	if err != nil {
		return nil, fmt.Errorf("cluster: start worker %d: %w", id, err)
	}
	env := append(slices.Clone(p.cfg.ExtraEnv), workerEnv+"="+strconv.Itoa(id)+":"+strconv.Itoa(s.index))
	env = append(env, ipc.ChildEnv(ipc.ChildFD)...) // childEnd is ExtraFiles[0]: descriptor 3
	kctx, kill := context.WithCancel(context.Background())
	proc, err := childproc.Spawn(kctx, p.exe, p.cfg.Args, &childproc.Options{
		ExtraEnv:   env,
		Argv0:      p.argv0,
		Stdin:      childproc.Ignore, // own process group: a terminal's ^C reaches the primary only
		Stdout:     childproc.Inherit,
		Stderr:     childproc.Inherit,
		ExtraFiles: []*os.File{childEnd},
		KillSignal: syscall.SIGKILL,
	})
	childEnd.Close()
	if err != nil {
		kill()
		parentEnd.Close()
		return nil, fmt.Errorf("cluster: start worker %d: %w", id, err)
	}
	now := time.Now()
	w := &child{
		info:       WorkerInfo{ID: id, Slot: s.index, Pid: proc.Pid},
		slot:       s,
		proc:       proc,
		ch:         parentEnd,
		kill:       kill,
		started:    now,
		online:     make(chan struct{}),
		ready:      make(chan struct{}),
		procDone:   make(chan struct{}),
		readerDone: make(chan struct{}),
		exited:     make(chan struct{}),
	}
	p.workers[id] = w
	if current {
		s.current = w
	}
	p.emit(Event{Kind: EventFork, Worker: w.info})
	p.wg.Add(3)
	go p.read(w)
	go p.reap(w)
	go p.watchdog(w)
	return w, nil
}

func (p *Primary) emit(ev Event) {
	ev.Time = time.Now()
	p.events.push(ev)
}

// Events returns the channel of everything that happens to the workers,
// in order. Until Events is first called only the last 1024 events are
// kept; from then on every event is kept until read, so keep reading.
// The channel is closed after the last event, once the cluster has shut
// down.
func (p *Primary) Events() <-chan Event { return p.events.channel() }

// Workers returns the running workers, by ID, including one being started
// or stopped.
func (p *Primary) Workers() []WorkerInfo {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]WorkerInfo, 0, len(p.workers))
	for _, w := range p.workers {
		out = append(out, w.info)
	}
	slices.SortFunc(out, func(a, b WorkerInfo) int { return a.ID - b.ID })
	return out
}

// Addrs returns the addresses of the listening sockets the primary holds:
// those workers asked for so far, and those inherited from systemd. With
// ReusePort they are the addresses the workers bind.
func (p *Primary) Addrs() []net.Addr { return p.socks.addrs() }

// Send sends v as one message to the worker with that ID, where
// [Worker.Messages] delivers it, encoded by [ipc.Marshal] (an [ipc.Message] or
// json.RawMessage is taken as it is, arrives compacted, and must be valid
// JSON). It returns [ErrNoWorker]
// when no running worker has that ID, and an error when the worker exited
// before the message was written. It blocks while the worker's socket
// buffer is full (the worker does not read).
func (p *Primary) Send(id int, v any) error {
	p.mu.Lock()
	w := p.workers[id]
	p.mu.Unlock()
	if w == nil {
		return fmt.Errorf("cluster: send to worker %d: %w", id, ErrNoWorker)
	}
	data, err := ipc.Marshal(v)
	if err != nil {
		return fmt.Errorf("cluster: send to worker %d: %w", id, err)
	}
	if err := w.ch.Send(envelope{Op: opMessage, Data: data}); err != nil {
		return fmt.Errorf("cluster: send to %v: %w", w.info, err)
	}
	return nil
}

// Broadcast sends v to every running worker that is not stopping,
// including workers still starting (they read it once they run). A worker
// that exits meanwhile is skipped; other failures are joined in the
// error. v is encoded once, as for Send.
func (p *Primary) Broadcast(v any) error {
	data, err := ipc.Marshal(v)
	if err != nil {
		return fmt.Errorf("cluster: broadcast: %w", err)
	}
	p.mu.Lock()
	var ws []*child
	for _, w := range p.workers {
		w.mu.Lock()
		if !w.stopping {
			ws = append(ws, w)
		}
		w.mu.Unlock()
	}
	p.mu.Unlock()
	var errs []error
	for _, w := range ws {
		if err := w.ch.Send(envelope{Op: opMessage, Data: data}); err != nil {
			select {
			case <-w.procDone:
				continue
			default:
			}
			errs = append(errs, fmt.Errorf("cluster: broadcast to %v: %w", w.info, err))
		}
	}
	return errors.Join(errs...)
}

// Wait waits until the cluster has shut down and every worker is gone. It
// returns nil after Shutdown or the end of [Start]'s ctx, and an error
// matching [ErrCrashLoop] when the cluster stopped because every slot had
// been given up.
func (p *Primary) Wait() error {
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}
