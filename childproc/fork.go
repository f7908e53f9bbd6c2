package childproc

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/spawnkit/spawnkit/ipc"
)

// roleEnv names the role a forked child runs; Init reads and removes it.
const roleEnv = "SPAWNKIT_FORK_ROLE"

// ErrNoInit is matched (errors.Is) by the error of [Fork] in a program that
// did not call [Init]: Fork runs main again in the child, where only Init
// turns it into the role, so without it every child would run main and
// fork again, without end. Fork refuses in the parent when Init was never
// called, and in a forked child whose main skipped Init, so at most two
// copies of main ever run.
var ErrNoInit = errors.New("childproc: call childproc.Init first thing in main (Fork runs main again in the child, where Init runs the role)")

// initCalled records that Init ran in this process.
var initCalled atomic.Bool

// roles is the table of Register; like http.DefaultServeMux it is global
// because the child side must find its code before main does anything else.
var roles = struct {
	sync.Mutex
	m map[string]func(ctx context.Context, parent *ipc.Channel) error
}{m: make(map[string]func(context.Context, *ipc.Channel) error)}

// Register makes fn the code a child forked with this role runs (see [Fork]
// and [Init]). Call it from an init function or at the top of main, before
// Init. It panics if role is empty, fn is nil, or role is already taken.
func Register(role string, fn func(ctx context.Context, parent *ipc.Channel) error) {
	if role == "" || fn == nil {
		panic("childproc: Register with an empty role or a nil function")
	}
	roles.Lock()
	defer roles.Unlock()
	if _, dup := roles.m[role]; dup {
		panic("childproc: Register called twice for role " + role)
	}
	roles.m[role] = fn
}

// Init must be called first in main (or TestMain). In a process started by
// [Fork] it runs the registered role's function with the channel to the
// parent and exits: status 0 when the function returns nil, 1 when it
// returns an error (printed to stderr), 2 when the role is not registered
// or the channel is missing. In any other process it returns false at once.
//
// The function's ctx is cancelled when the child receives SIGTERM or
// SIGINT; once the function returns after that, the child dies of that same
// signal, so the parent still sees the signal in its exit status. The
// function's arguments are in os.Args[1:].
func Init() bool {
	initCalled.Store(true)
	role, ok := os.LookupEnv(roleEnv)
	if !ok {
		return false
	}
	os.Unsetenv(roleEnv)
	os.Exit(runRole(role))
	return true
}

func runRole(role string) int {
	roles.Lock()
	fn := roles.m[role]
	roles.Unlock()
	if fn == nil {
		fmt.Fprintf(os.Stderr, "childproc: forked child %s: role %q is not registered (call childproc.Register before childproc.Init)\n", os.Args[0], role)
		return 2
	}
	parent, err := ipc.FromParent()
	if err != nil {
		fmt.Fprintf(os.Stderr, "childproc: forked child %s: role %q: %v\n", os.Args[0], role, err)
		return 2
	}
	defer parent.Close()

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(sigs)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var got os.Signal
	stopped := make(chan struct{})
	watcherDone := make(chan struct{})
	go func() {
		defer close(watcherDone)
		select {
		case got = <-sigs:
			cancel()
		case <-stopped:
		}
	}()

	err = fn(ctx, parent)
	close(stopped)
	<-watcherDone
	if sig, ok := got.(syscall.Signal); ok {
		parent.Close()
		signal.Reset(sig)
		raise(sig)
		select {} // the signal ends the process
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "childproc: role %q: %v\n", role, err)
		return 1
	}
	return 0
}

// Fork starts the running executable again (os.Executable) with args, in
// the given role, with an IPC channel open: the child's main must call [Init],
// which runs the function [Register] gave for role. It works from test
// binaries too, when TestMain calls Init first. In a program that did not
// call Init, Fork starts nothing and returns an error matching [ErrNoInit].
//
// [Options] apply as for [Spawn], with IPC always on, Shell ignored, and stdio
// left at their zero value inherited from the parent, as Node's fork() does
// (set [Pipe] explicitly to read them).
func Fork(ctx context.Context, role string, args []string, opts *Options) (*Process, error) {
	if parentRole, ok := os.LookupEnv(roleEnv); ok {
		// Init removes the variable: this is a forked child that went on
		// with main instead of running its role.
		return nil, fmt.Errorf("childproc: fork %s: this process was forked for role %q and did not run it: %w", role, parentRole, ErrNoInit)
	}
	if !initCalled.Load() {
		return nil, fmt.Errorf("childproc: fork %s: Init was not called: %w", role, ErrNoInit)
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("childproc: fork %s: %w", role, err)
	}
	o := Options{}
	if opts != nil {
		o = *opts
	}
	o.IPC = true
	o.Shell = ""
	o.ExtraEnv = append(append([]string(nil), o.ExtraEnv...), roleEnv+"="+role)
	for _, std := range []*Stdio{&o.Stdin, &o.Stdout, &o.Stderr} {
		if std.kind == stdioDefault {
			*std = Inherit
		}
	}
	if o.Argv0 == "" {
		o.Argv0 = os.Args[0]
	}
	return start(ctx, exe, args, &o, nil)
}
