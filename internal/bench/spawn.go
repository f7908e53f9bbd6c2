package bench

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"sort"
	"sync"
	"time"

	"github.com/spawnkit/spawnkit/childproc"
)

// The implementations a Go scenario can be run with.
const (
	ImplSpawnkit = "spawnkit" // this module
	ImplOSExec   = "osexec"   // plain os/exec, written the way the os/exec docs suggest
	ImplSh       = "sh"       // the same work as one `sh -c LINE`, timed from Go
)

// TruePath is the program the spawn scenarios start.
const TruePath = "/bin/true"

// SpawnOnce starts /bin/true with impl and waits for it. With pipes, its
// stdin, stdout and stderr are pipes to the parent (stdin closed at once,
// the outputs read to EOF); without, all three are /dev/null. Both
// implementations get exactly the same stdio.
func SpawnOnce(ctx context.Context, impl string, pipes bool) error {
	switch impl {
	case ImplSpawnkit:
		return spawnkitTrue(ctx, pipes)
	case ImplOSExec:
		return osexecTrue(pipes)
	case ImplSpawnkitDetached:
		return spawnkitOptsTrue(ctx, detachedDevNull)
	case ImplSpawnkitCaller:
		return spawnkitOptsTrue(ctx, callerDevNull)
	case ImplOSExecSetsid:
		return osexecSetsidTrue()
	}
	return fmt.Errorf("bench: spawn: unknown implementation %q", impl)
}

var devNull = &childproc.Options{Stdin: childproc.Ignore, Stdout: childproc.Ignore, Stderr: childproc.Ignore}

func spawnkitTrue(ctx context.Context, pipes bool) error {
	opts := devNull
	if pipes {
		opts = nil // Pipe is the default for all three
	}
	p, err := childproc.Spawn(ctx, TruePath, nil, opts)
	if err != nil {
		return err
	}
	if pipes {
		p.Stdin.Close()
		if _, err := io.Copy(io.Discard, p.Stdout); err != nil {
			return err
		}
		if _, err := io.Copy(io.Discard, p.Stderr); err != nil {
			return err
		}
	}
	return p.Wait()
}

// ImplSpawnkitDetached is Spawn with Options.Detached (stdio /dev/null):
// no parent-death signal, so the child is started on the calling thread
// like os/exec does, not handed to the locked spawner thread. Diagnostic:
// spawnkit minus spawnkit-detached is what the spawner hand-off costs.
const ImplSpawnkitDetached = "spawnkit-detached"

// ImplOSExecSetsid is os/exec with SysProcAttr.Setsid (stdio /dev/null):
// the child in a new session, as Options.Detached places it. It is the
// anchor for spawnkit-detached: a new session costs the kernel more than a
// new process group (with CONFIG_SCHED_AUTOGROUP, setsid(2) also creates a
// scheduler group for the session), whoever starts the child.
const ImplOSExecSetsid = "osexec-setsid"

// ImplSpawnkitCaller is Spawn with Options.StartOnCallerThread (stdio
// /dev/null): the parent-death signal kept, the spawner hand-off skipped.
const ImplSpawnkitCaller = "spawnkit-caller"

var (
	detachedDevNull = &childproc.Options{Stdin: childproc.Ignore, Stdout: childproc.Ignore, Stderr: childproc.Ignore, Detached: true}
	callerDevNull   = &childproc.Options{Stdin: childproc.Ignore, Stdout: childproc.Ignore, Stderr: childproc.Ignore, StartOnCallerThread: true}
)

func spawnkitOptsTrue(ctx context.Context, opts *childproc.Options) error {
	p, err := childproc.Spawn(ctx, TruePath, nil, opts)
	if err != nil {
		return err
	}
	return p.Wait()
}

func osexecTrue(pipes bool) error {
	cmd := exec.Command(TruePath) // nil Stdin/Stdout/Stderr are /dev/null
	if !pipes {
		return cmd.Run()
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	stdin.Close()
	if _, err := io.Copy(io.Discard, stdout); err != nil {
		return err
	}
	if _, err := io.Copy(io.Discard, stderr); err != nil {
		return err
	}
	return cmd.Wait()
}

// SpawnMany starts /bin/true n times with impl, keeping inflight of them
// running at once (1 = one after the other), stdio to /dev/null.
func SpawnMany(ctx context.Context, impl string, n, inflight int) error {
	if inflight <= 1 {
		for i := 0; i < n; i++ {
			if err := SpawnOnce(ctx, impl, false); err != nil {
				return err
			}
		}
		return nil
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		next  = make(chan struct{})
	)
	for w := 0; w < inflight; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range next {
				if err := SpawnOnce(ctx, impl, false); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- struct{}{}
	}
	close(next)
	wg.Wait()
	return first
}

// EchoHi runs `echo hi` once with impl and checks the output: through the
// shell (Exec, or exec.Command("/bin/sh", "-c", ...).Output()) when shell
// is set, else /bin/echo directly (ExecFile, or exec.Command(...).Output()).
// ImplSpawnkitCaller (ExecFile with Options.StartOnCallerThread) is only
// for the direct form.
func EchoHi(ctx context.Context, impl string, shell bool) error {
	var out []byte
	var err error
	switch {
	case impl == ImplSpawnkit && shell:
		var r *childproc.Result
		if r, err = childproc.Exec(ctx, "echo hi", nil); err == nil {
			out = r.Stdout
		}
	case impl == ImplSpawnkit:
		var r *childproc.Result
		if r, err = childproc.ExecFile(ctx, "/bin/echo", []string{"hi"}, nil); err == nil {
			out = r.Stdout
		}
	case impl == ImplSpawnkitCaller && !shell:
		var r *childproc.Result
		if r, err = childproc.ExecFile(ctx, "/bin/echo", []string{"hi"}, &childproc.Options{StartOnCallerThread: true}); err == nil {
			out = r.Stdout
		}
	case impl == ImplOSExec && shell:
		out, err = exec.Command("/bin/sh", "-c", "echo hi").Output()
	case impl == ImplOSExec:
		out, err = exec.Command("/bin/echo", "hi").Output()
	default:
		return fmt.Errorf("bench: echo: unknown implementation %q", impl)
	}
	if err != nil {
		return err
	}
	if string(out) != "hi\n" {
		return fmt.Errorf("bench: echo hi printed %q", out)
	}
	return nil
}

// Latencies runs fn n times and returns each call's duration, sorted.
func Latencies(n int, fn func() error) ([]time.Duration, error) {
	ds := make([]time.Duration, 0, n)
	for i := 0; i < n; i++ {
		t0 := time.Now()
		if err := fn(); err != nil {
			return nil, err
		}
		ds = append(ds, time.Since(t0))
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds, nil
}

// Percentile returns the p-th percentile (0..100, nearest rank) of sorted ds.
func Percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	i := int(p/100*float64(len(ds))+0.5) - 1
	i = max(0, min(i, len(ds)-1))
	return ds[i]
}
