package cluster

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"slices"
	"time"
)

// Defaults for the zero fields of [Config].
const (
	DefaultShutdownTimeout   = 30 * time.Second
	DefaultReadyTimeout      = 30 * time.Second
	DefaultHeartbeatInterval = time.Second
	DefaultHeartbeatTimeout  = 10 * time.Second
	DefaultRestartDelay      = 100 * time.Millisecond
	DefaultMaxRestartDelay   = 10 * time.Second
	DefaultCrashLimit        = 5
	DefaultCrashWindow       = 30 * time.Second
)

// Config describes a cluster. [Run] and [Start] take it by pointer, copy it
// (its slices included) and never modify or keep it; a zero field is its
// default, and a negative duration or limit means "no limit / off" (each
// field says what exactly) or, for Workers, is an error naming the field.
// Only Worker is required, by Run: a nil *Config is all defaults for Start
// and an error for Run.
type Config struct {
	// Workers is the number of worker processes; 0 means runtime.NumCPU().
	// A negative Workers is an error from Run and Start.
	Workers int

	// Worker is the code every worker process runs (Run calls it in
	// workers, never in the primary). Its ctx is cancelled when the primary
	// asks the worker to stop (Shutdown, Reload), when the worker receives
	// SIGTERM or SIGINT, or when the channel to the primary closes; it
	// should then stop accepting, finish what it started, and return.
	// Returning nil (or ctx's error after a stop) makes Run return nil.
	Worker func(ctx context.Context, w *Worker) error

	// Primary, if set, runs in the primary next to the supervisor once the
	// workers are started, typically to read Primary.Events and Broadcast
	// shared state. Its ctx is cancelled when the cluster begins to shut
	// down; Run waits for it to return before returning itself, so a loop
	// over Primary.Events may run until that channel closes. Returning nil
	// leaves the cluster running; an error shuts the cluster down and is
	// returned by Run.
	Primary func(ctx context.Context, p *Primary) error

	// Executable is the program workers run; "" means the running
	// executable (os.Executable, resolved once at Start). The path is
	// opened anew for every worker started, so after a new binary was
	// installed at that path (renamed over the old one) Reload and crash
	// restarts run the new binary.
	Executable string
	// Args are the workers' arguments; nil means os.Args[1:], so workers
	// see the same flags as the primary. Use an empty non-nil slice for
	// none.
	Args []string
	// ExtraEnv holds "K=V" pairs added to the workers' environment, on top
	// of the primary's (as childproc.Options.ExtraEnv: a later entry wins
	// over an earlier one of the same key).
	ExtraEnv []string

	// ReusePort makes each worker bind its own socket with SO_REUSEPORT
	// (Linux balances connections over them by hash) instead of sharing
	// the one socket the primary opened. The primary still resolves port 0
	// once, so every worker binds the same port. Only TCP supports it.
	// A stopping worker's socket is closed with the connections still
	// queued on it, which the kernel resets unless the sysctl
	// net.ipv4.tcp_migrate_req is 1: rolling restarts are only
	// connection-loss free in the default, shared-socket mode.
	ReusePort bool

	// Sticky makes the primary accept every connection itself and pass it
	// to the worker of slot hash(client IP) % Workers, so that one client
	// always reaches the same worker while that slot has one (the next slot
	// with a ready worker otherwise, e.g. while it restarts). It costs one
	// descriptor pass per connection, and a slow worker delays the
	// connections queued behind its own. Unix-socket clients have no IP
	// and all go to one worker. Sticky cannot be combined with ReusePort.
	Sticky bool

	// ManualReady makes a worker count as up only when it calls
	// Worker.Ready; otherwise its first successful Listen does.
	ManualReady bool

	// ReadyTimeout bounds the time from starting a worker to its being
	// ready; a worker that is late is killed (SIGKILL) and counts as a
	// crash. In Sticky mode it is also how long a connection waits for a
	// ready worker before it is closed. Default DefaultReadyTimeout; a
	// negative ReadyTimeout is no limit: a worker is never killed for being
	// late, and a Sticky connection waits until a worker is ready or the
	// cluster shuts down.
	ReadyTimeout time.Duration

	// ShutdownTimeout bounds the time a worker asked to stop has to drain
	// and exit before it is killed with SIGKILL. Default
	// DefaultShutdownTimeout; a negative ShutdownTimeout is no limit: a
	// stopping worker is waited for until it exits (a ctx given to
	// Shutdown that ends still kills it).
	ShutdownTimeout time.Duration

	// HeartbeatInterval is how often the primary pings each worker once it
	// is online; a worker that leaves pings unanswered for
	// HeartbeatTimeout is killed with SIGKILL and replaced. Defaults
	// DefaultHeartbeatInterval and DefaultHeartbeatTimeout; a negative
	// HeartbeatInterval or HeartbeatTimeout turns heartbeats off (no ping
	// is sent, no worker is killed as unresponsive). Pings are answered by
	// the package's own goroutine in the worker, so a busy handler does not
	// miss them; a stopped, deadlocked-at-the-runtime or swapping process
	// does.
	HeartbeatInterval time.Duration
	HeartbeatTimeout  time.Duration

	// RestartDelay is the wait before replacing a worker that died; it
	// doubles for every other death of that slot within CrashWindow, up to
	// MaxRestartDelay. Defaults DefaultRestartDelay and
	// DefaultMaxRestartDelay. A negative RestartDelay replaces a dead
	// worker at once, every time; a negative MaxRestartDelay puts no cap on
	// the doubling (see [Backoff]).
	RestartDelay    time.Duration
	MaxRestartDelay time.Duration

	// CrashLimit deaths of one slot's workers within CrashWindow make the
	// primary stop restarting that slot: it emits EventCrashLoop and logs
	// the fact on Logger. Reload tries such a slot again. When every slot
	// has been given up, the cluster shuts down and Wait (and Run) return
	// an error matching ErrCrashLoop. Defaults DefaultCrashLimit and
	// DefaultCrashWindow. A negative CrashLimit never gives a slot up (its
	// workers are restarted for ever, with the backoff delay); a negative
	// CrashWindow never forgets a death, so the limit counts every death
	// of the slot since Start (or its last successful reload).
	CrashLimit  int
	CrashWindow time.Duration

	// Logger receives a record for each worker started, exited, crashed,
	// killed or restarted, and for each reload. Workers are named by the
	// attributes worker (WorkerInfo.ID), slot and pid:
	//
	//   - "worker started" (Info), with why: "start" (Start), "restart"
	//     (replacing a worker that died) or "reload" (Reload's replacement);
	//   - "worker exited" (Info) for a worker asked to stop, "worker
	//     crashed" (Warn) for one that was not, with code (exit status) or
	//     signal (its name, "SIGKILL"), and reason when the primary killed it
	//     (ErrNotReady, ErrUnresponsive, ErrDrainTimeout);
	//   - "worker killed" (Warn), with reason and after (how long the
	//     primary waited: ReadyTimeout, HeartbeatTimeout or the drain time;
	//     left out when the ctx given to Shutdown ended);
	//   - "worker restart failed" (Error), with slot and err;
	//   - "slot given up" (Error), with slot, deaths, window and err (the
	//     crash-loop error, EventCrashLoop's);
	//   - "reload started" (Info) with workers, "reload done" (Info) with
	//     duration, "reload failed" (Error) with duration and err (not for
	//     a reload that a shutdown ended);
	//   - under Run: "reload already running" (Warn) for a SIGUSR2 during a
	//     reload, "killing the workers" (Warn) with signal for a second
	//     SIGTERM or SIGINT.
	//
	// nil means the records at Warn and above go to slog.Default() (as of
	// Start), so the ones that must not go unnoticed still reach stderr.
	Logger *slog.Logger
}

// withDefaults returns a copy of *cfg (of the zero Config when cfg is nil),
// its slices copied too, with its zero fields filled in; negative durations
// and limits stay negative ("off"), except a negative Workers, which is an
// error.
func withDefaults(cfg *Config) (Config, error) {
	var c Config
	if cfg != nil {
		c = *cfg
	}
	if c.Workers < 0 {
		return c, fmt.Errorf("cluster: Config.Workers is %d: must be >= 0", c.Workers)
	}
	if c.Workers == 0 {
		c.Workers = runtime.NumCPU()
	}
	if c.Args == nil {
		c.Args = os.Args[1:]
	}
	c.Args = slices.Clone(c.Args)
	c.ExtraEnv = slices.Clone(c.ExtraEnv)
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.ReadyTimeout, DefaultReadyTimeout)
	def(&c.ShutdownTimeout, DefaultShutdownTimeout)
	def(&c.HeartbeatInterval, DefaultHeartbeatInterval)
	def(&c.HeartbeatTimeout, DefaultHeartbeatTimeout)
	def(&c.RestartDelay, DefaultRestartDelay)
	def(&c.MaxRestartDelay, DefaultMaxRestartDelay)
	def(&c.CrashWindow, DefaultCrashWindow)
	if c.CrashLimit == 0 {
		c.CrashLimit = DefaultCrashLimit
	}
	if c.HeartbeatInterval < 0 || c.HeartbeatTimeout < 0 {
		c.HeartbeatInterval, c.HeartbeatTimeout = -1, -1 // off
	}
	if c.Logger == nil {
		c.Logger = slog.New(minLevel{slog.Default().Handler(), slog.LevelWarn})
	}
	return c, nil
}
