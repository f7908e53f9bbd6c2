//go:build unix

package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spawnkit/spawnkit/cluster"
)

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// parseRun parses `spawnkit run` arguments.
func parseRun(args []string) (*config, error) {
	fs := flag.NewFlagSet("spawnkit run", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: spawnkit run [flags] -- PROGRAM [ARGS...]\n\nflags:\n")
		fs.PrintDefaults()
	}
	c := &config{}
	var listens, env listFlag
	fs.IntVar(&c.workers, "n", runtime.NumCPU(), "number of workers")
	fs.Var(&listens, "l", "a socket to pass, `NAME=URL` with URL tcp://HOST:PORT or unix:///PATH (repeatable; fd 3, 4, … in this order)")
	fs.StringVar(&c.name, "name", "", "name in logs and of the control socket (default: the program's base name)")
	fs.StringVar(&c.cwd, "cwd", "", "the workers' working directory, symlinks resolved anew at each reload (default: the current one)")
	fs.StringVar(&c.envFile, "env-file", "", "KEY=VALUE lines added to the workers' environment, read anew at each reload")
	fs.Var(&env, "e", "`KEY=VALUE` added to the workers' environment (repeatable)")
	fs.DurationVar(&c.readyAfter, "ready-after", 0, "count a worker that sent no READY=1 as ready this long after it started (0: wait for READY=1)")
	fs.DurationVar(&c.readyTimeout, "ready-timeout", 30*time.Second, "a worker not ready within this is stopped (a crash; a reload aborts)")
	fs.DurationVar(&c.stopTimeout, "stop-timeout", 10*time.Second, "SIGKILL a stopping worker's whole tree after this")
	fs.DurationVar(&c.watchdog, "watchdog", 0, "WATCHDOG_USEC: a ready worker that sends no WATCHDOG=1 for this long is killed and replaced (0: off)")
	fs.IntVar(&c.maxDraining, "max-draining", 0, "a reload waits while this many replaced workers are still draining (0: as many as workers)")
	fs.BoolVar(&c.ipc, "ipc", false, "open a Node IPC channel (NODE_CHANNEL_FD) to each worker; process.send('ready') is READY=1")
	fs.StringVar(&c.control, "control", "", "the control socket (default: $XDG_RUNTIME_DIR/spawnkit/NAME.sock, or under $TMPDIR)")
	fs.DurationVar(&c.backoff.Delay, "restart-delay", cluster.DefaultRestartDelay, "wait before replacing a crashed worker; doubles with each crash within --crash-window (negative: none)")
	fs.DurationVar(&c.backoff.MaxDelay, "max-restart-delay", cluster.DefaultMaxRestartDelay, "the longest wait before replacing a crashed worker (negative: no cap)")
	fs.IntVar(&c.backoff.Limit, "crash-limit", cluster.DefaultCrashLimit, "give a slot up after this many crashes within --crash-window (negative: never)")
	fs.DurationVar(&c.backoff.Window, "crash-window", cluster.DefaultCrashWindow, "see --crash-limit (negative: crashes are never forgotten)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	rest := fs.Args()
	if len(rest) == 0 {
		fs.Usage()
		return nil, errors.New("no program to run")
	}
	c.program, c.args = rest[0], rest[1:]
	c.listens, c.env = listens, env
	if c.workers < 1 {
		return nil, fmt.Errorf("-n %d: want at least 1 worker", c.workers)
	}
	for _, kv := range c.env {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			return nil, fmt.Errorf("-e %s: want KEY=VALUE", kv)
		}
	}
	if c.name == "" {
		c.name = filepath.Base(c.program)
	}
	if c.readyTimeout <= 0 || c.stopTimeout <= 0 {
		return nil, errors.New("--ready-timeout and --stop-timeout must be positive")
	}
	return c, nil
}

// runCommand is `spawnkit run`; it returns the exit code: 0 after a stop
// by signal, 1 when the workers could not be started or every slot was
// given up, 2 for a usage error.
func runCommand(args []string) int {
	cfg, err := parseRun(args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(os.Stderr, "spawnkit: %v\n", err)
		return 2
	}
	// Signals first: a SIGTERM during startup stops cleanly.
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGUSR2)
	defer signal.Stop(sigs)
	// A log reader that went away must not take the workers down with the
	// supervisor: with SIGPIPE caught, a write to a broken stdout or stderr
	// fails (the line is lost) instead of killing the process. Caught, not
	// ignored, so that the workers start with the default disposition.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)

	s := &supervisor{
		cfg:       *cfg,
		out:       &sink{w: os.Stdout},
		errs:      &sink{w: os.Stderr},
		workers:   make(map[int]*worker),
		stopCh:    make(chan struct{}),
		changed:   make(chan struct{}),
		ownNotify: os.Getenv("NOTIFY_SOCKET"),
	}
	if err := s.setup(); err != nil {
		s.logf("ERROR: %v", err)
		s.cleanup()
		return 1
	}
	defer s.cleanup()
	stopWatchdog := s.ownWatchdog()
	defer stopWatchdog()

	s.mu.Lock()
	for i := range s.cfg.workers {
		s.slots = append(s.slots, &slot{index: i, spec: s.spec, backoff: s.cfg.backoff})
	}
	slots := append([]*slot(nil), s.slots...)
	s.mu.Unlock()
	for _, sl := range slots {
		go s.fill(sl, 0)
	}
	go s.announceReady(slots)

	for {
		select {
		case sig := <-sigs:
			switch sig {
			case syscall.SIGHUP, syscall.SIGUSR2:
				go s.reload()
				continue
			}
			s.logf("%v: stopping the workers", sig)
			s.shutdown()
		case <-s.stopCh:
			s.shutdown()
		}
		break
	}
	s.mu.Lock()
	failed := s.failed
	s.mu.Unlock()
	if failed != nil {
		s.logf("ERROR: %v", failed)
		return 1
	}
	return 0
}

// setup binds the sockets, opens the control socket and reads the first
// spec.
func (s *supervisor) setup() error {
	var err error
	if s.self, err = os.Executable(); err != nil {
		return err
	}
	adopted := adoptActivated()
	s.baseEnv = cleanEnv(os.Environ())
	s.ownNotify = notifySocketOf(s.ownNotify)
	used := make(map[*listener]bool)
	for _, v := range s.cfg.listens {
		name, network, address, err := parseListen(v)
		if err != nil {
			return err
		}
		var l *listener
		for _, a := range adopted {
			if a.name == name && !used[a] {
				l = a
				break
			}
		}
		if l == nil {
			if l, err = bind(name, network, address); err != nil {
				return err
			}
			s.logf("%s: listening on %s %s", name, l.network, l.addr)
		} else {
			s.logf("%s: adopted %s %s from LISTEN_FDS", name, l.network, l.addr)
		}
		used[l] = true
		s.listeners = append(s.listeners, l)
	}
	for _, a := range adopted {
		if !used[a] {
			s.logf("%s: adopted %s %s from LISTEN_FDS", a.name, a.network, a.addr)
			s.listeners = append(s.listeners, a)
		}
	}
	if s.notifyDir, err = os.MkdirTemp("", "spawnkit-"); err != nil {
		return err
	}
	if s.spec, err = s.cfg.loadSpec(0, s.baseEnv); err != nil {
		return err
	}
	return s.listenControl()
}

// notifySocketOf returns the supervisor's NOTIFY_SOCKET, and removes it
// from the environment.
func notifySocketOf(v string) string {
	os.Unsetenv("NOTIFY_SOCKET")
	return v
}

func (s *supervisor) cleanup() {
	for _, l := range s.listeners {
		l.close()
	}
	if s.notifyDir != "" {
		os.RemoveAll(s.notifyDir)
	}
	s.closeControl()
}

// announceReady sends READY=1 on the supervisor's own NOTIFY_SOCKET once
// every first worker is ready (or its slot was given up).
func (s *supervisor) announceReady(slots []*slot) {
	var stopping bool
	var ready int
	if !s.await(func() bool {
		pending := 0
		ready = 0
		for _, sl := range slots {
			switch {
			case sl.gaveUp:
			case sl.cur == nil || !sl.cur.isReadyNow():
				pending++
			default:
				ready++
			}
		}
		stopping = s.stopping
		return stopping || pending == 0
	}) || stopping || ready == 0 { // not when every slot was given up
		return
	}
	s.logf("%d workers ready", ready)
	sdNotify(s.ownNotify, "READY=1\nMAINPID="+strconv.Itoa(os.Getpid()))
}

func (w *worker) isReadyNow() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.isReady
}

// ownWatchdog sends WATCHDOG=1 to systemd at half the supervisor's own
// WATCHDOG_USEC, when systemd set one for this process.
func (s *supervisor) ownWatchdog() (stop func()) {
	usec, err := strconv.ParseInt(os.Getenv("WATCHDOG_USEC"), 10, 64)
	pid := os.Getenv("WATCHDOG_PID")
	if err != nil || usec <= 0 || s.ownNotify == "" || pid != "" && pid != strconv.Itoa(os.Getpid()) {
		return func() {}
	}
	t := time.NewTicker(time.Duration(usec) * time.Microsecond / 2)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-t.C:
				sdNotify(s.ownNotify, "WATCHDOG=1")
			case <-done:
				return
			}
		}
	}()
	return func() { t.Stop(); close(done) }
}
