//go:build unix

package childproc_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/spawnkit/spawnkit/childproc"
	"github.com/spawnkit/spawnkit/internal/testkit"
)

// stressCycles is how many starts TestStressMixedOutcomes makes: 500 by
// default, 100 with -short, 10,000 with SPAWNKIT_STRESS=1.
func stressCycles() int {
	switch {
	case os.Getenv(testkit.StressEnv) != "":
		return 10000
	case testing.Short():
		return 100
	}
	return 500
}

// stressOp is one kind of start with its expected outcome; it returns an
// error describing any difference.
type stressOp struct {
	name string
	run  func(ctx context.Context) error
}

func expectExit(err error, code int, sig syscall.Signal, killed, timedOut bool) error {
	var ee *childproc.ExitError
	if !errors.As(err, &ee) {
		return fmt.Errorf("want *ExitError, got %v", err)
	}
	if ee.ExitCode != code || ee.Signal != sig || ee.Killed != killed || ee.TimedOut != timedOut {
		return fmt.Errorf("got code=%d signal=%v killed=%v timedOut=%v, want %d %v %v %v (%v)",
			ee.ExitCode, ee.Signal, ee.Killed, ee.TimedOut, code, sig, killed, timedOut, err)
	}
	return nil
}

func checkEvents(p *childproc.Process, want ...string) error {
	var got []string
	timeout := time.After(30 * time.Second)
	for {
		select {
		case ev, ok := <-p.Events():
			if !ok {
				if fmt.Sprint(got) != fmt.Sprint(want) {
					return fmt.Errorf("events %v, want %v", got, want)
				}
				return nil
			}
			if ev.Kind == childproc.EventMessage {
				got = append(got, "message")
				continue
			}
			got = append(got, ev.String())
		case <-timeout:
			return fmt.Errorf("events not closed after 30s: %v", got)
		}
	}
}

var stressOps = []stressOp{
	{"spawn success", func(ctx context.Context) error {
		p, err := childproc.Spawn(ctx, "sh", []string{"-c", "echo out; echo err >&2"}, nil)
		if err != nil {
			return err
		}
		p.Stdin.Close()
		var out, errOut []byte
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { defer wg.Done(); errOut, _ = io.ReadAll(p.Stderr) }()
		out, _ = io.ReadAll(p.Stdout)
		wg.Wait()
		if err := p.Wait(); err != nil {
			return err
		}
		if string(out) != "out\n" || string(errOut) != "err\n" {
			return fmt.Errorf("output %q %q", out, errOut)
		}
		return checkEvents(p, "spawn", "exit(code=0)", "close(code=0)")
	}},
	{"exec non-zero exit", func(ctx context.Context) error {
		res, err := childproc.ExecFile(ctx, "sh", []string{"-c", "echo out; exit 3"}, nil)
		if err := expectExit(err, 3, 0, false, false); err != nil {
			return err
		}
		if string(res.Stdout) != "out\n" {
			return fmt.Errorf("stdout %q", res.Stdout)
		}
		return nil
	}},
	{"spawn signal", func(ctx context.Context) error {
		p, err := childproc.Spawn(ctx, "sh", []string{"-c", "kill -TERM $$"}, &childproc.Options{Stdin: childproc.Ignore, Stdout: childproc.Ignore, Stderr: childproc.Ignore})
		if err != nil {
			return err
		}
		if err := expectExit(p.Wait(), -1, syscall.SIGTERM, false, false); err != nil {
			return err
		}
		return checkEvents(p, "spawn", "exit(signal=terminated)", "close(signal=terminated)")
	}},
	{"exec timeout", func(ctx context.Context) error {
		_, err := childproc.Exec(ctx, "sleep 10", &childproc.Options{Timeout: 10 * time.Millisecond, KillDelay: 2 * time.Second})
		return expectExit(err, -1, syscall.SIGTERM, true, true)
	}},
	{"spawn cancel", func(ctx context.Context) error {
		ctx, cancel := context.WithCancel(ctx)
		p, err := childproc.Spawn(ctx, "sleep", []string{"10"}, &childproc.Options{Stdin: childproc.Ignore, Stdout: childproc.Ignore, Stderr: childproc.Ignore})
		if err != nil {
			cancel()
			return err
		}
		cancel()
		err = p.Wait()
		if !errors.Is(err, context.Canceled) {
			return fmt.Errorf("want context.Canceled, got %v", err)
		}
		return expectExit(err, -1, syscall.SIGTERM, true, false)
	}},
	{"missing program", func(ctx context.Context) error {
		_, err := childproc.ExecFile(ctx, "no-such-program-spawnkit-stress", nil, nil)
		if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("want fs.ErrNotExist, got %v", err)
		}
		return nil
	}},
	{"exec input", func(ctx context.Context) error {
		res, err := childproc.Exec(ctx, "cat", &childproc.Options{Input: strings.NewReader("hello")})
		if err != nil {
			return err
		}
		if string(res.Stdout) != "hello" {
			return fmt.Errorf("stdout %q", res.Stdout)
		}
		return nil
	}},
	{"exec max buffer", func(ctx context.Context) error {
		res, err := childproc.ExecFile(ctx, "yes", nil, &childproc.Options{MaxBuffer: 100})
		if !errors.Is(err, childproc.ErrMaxBuffer) {
			return fmt.Errorf("want ErrMaxBuffer, got %v", err)
		}
		if len(res.Stdout) != 100 {
			return fmt.Errorf("kept %d bytes", len(res.Stdout))
		}
		return nil
	}},
	{"spawn writer and reader", func(ctx context.Context) error {
		var out bytes.Buffer
		p, err := childproc.Spawn(ctx, "tr", []string{"a-z", "A-Z"}, &childproc.Options{
			Stdin: childproc.Reader(strings.NewReader("abc")), Stdout: childproc.Writer(&out), Stderr: childproc.Ignore,
		})
		if err != nil {
			return err
		}
		if err := p.Wait(); err != nil {
			return err
		}
		if out.String() != "ABC" {
			return fmt.Errorf("stdout %q", out.String())
		}
		return checkEvents(p, "spawn", "exit(code=0)", "close(code=0)")
	}},
	{"exec tree timeout", func(ctx context.Context) error {
		_, err := childproc.Exec(ctx, "sleep 10 & sleep 10 & wait", &childproc.Options{Timeout: 10 * time.Millisecond, KillDelay: 2 * time.Second})
		return expectExit(err, -1, syscall.SIGTERM, true, true)
	}},
}

// Forks are slower (they start this test binary), so they come less often.
var stressForkOps = []stressOp{
	{"fork messages", func(ctx context.Context) error {
		p, err := childproc.Fork(ctx, "count", []string{"x"}, nil)
		if err != nil {
			return err
		}
		if err := p.Wait(); err != nil {
			return err
		}
		var kinds []string
		for ev := range p.Events() {
			kinds = append(kinds, ev.Kind.String())
		}
		if n := strings.Count(strings.Join(kinds, " "), "message"); n != 4 || kinds[0] != "spawn" || kinds[len(kinds)-1] != "close" {
			return fmt.Errorf("events %v", kinds)
		}
		return nil
	}},
	{"fork echo and disconnect", func(ctx context.Context) error {
		p, err := childproc.Fork(ctx, "echo", nil, nil)
		if err != nil {
			return err
		}
		if err := p.Send(map[string]int{"n": 1}); err != nil {
			return err
		}
		ev := <-p.Events() // spawn
		ev = <-p.Events()
		if string(ev.Message) != `{"echo":{"n":1}}` {
			return fmt.Errorf("got %v %s", ev, ev.Message)
		}
		if err := p.Disconnect(); err != nil {
			return err
		}
		if err := p.Wait(); err != nil {
			return err
		}
		for range p.Events() {
		}
		return nil
	}},
	{"fork failing role", func(ctx context.Context) error {
		var stderr testkit.SyncBuffer
		p, err := childproc.Fork(ctx, "fail", nil, &childproc.Options{Stderr: childproc.Writer(&stderr)})
		if err != nil {
			return err
		}
		if err := expectExit(p.Wait(), 1, 0, false, false); err != nil {
			return err
		}
		for range p.Events() {
		}
		return nil
	}},
	{"fork cancelled", func(ctx context.Context) error {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		var stderr testkit.SyncBuffer
		p, err := childproc.Fork(ctx, "linger", nil, &childproc.Options{Stderr: childproc.Writer(&stderr)})
		if err != nil {
			return err
		}
		<-p.Events() // spawn
		<-p.Events() // "waiting"
		cancel()
		if err := expectExit(p.Wait(), -1, syscall.SIGTERM, true, false); err != nil {
			return err
		}
		for range p.Events() {
		}
		return nil
	}},
}

func TestStressMixedOutcomes(t *testing.T) {
	n := stressCycles()
	const workers = 4
	ctx := context.Background()

	// Warm up: the runtime and the package open some descriptors and
	// start some goroutines lazily, once.
	for _, op := range append(append([]stressOp(nil), stressOps...), stressForkOps...) {
		if err := op.run(ctx); err != nil {
			t.Fatalf("warm-up %s: %v", op.name, err)
		}
	}
	// Nothing is left behind: no child (zombie or not), no descriptor,
	// no goroutine.
	testkit.NoLeaks(t)

	start := time.Now()
	var next atomic.Int64
	var failures atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n || failures.Load() > 10 {
					return
				}
				op := stressOps[i%len(stressOps)]
				if i%25 == 24 {
					op = stressForkOps[(i/25)%len(stressForkOps)]
				}
				if err := op.run(ctx); err != nil {
					failures.Add(1)
					t.Errorf("cycle %d (%s): %v", i, op.name, err)
				}
			}
		}()
	}
	wg.Wait()
	t.Logf("%d starts in %v", n, time.Since(start).Round(time.Millisecond))
}

func TestStressConcurrentCallsOnOneProcess(t *testing.T) {
	// Every method of one Process called from many goroutines at once,
	// while it runs and while it ends: no race, no panic, no hang, and
	// exactly one Disconnect succeeds.
	for round := range 10 {
		var stderr testkit.SyncBuffer
		p, err := childproc.Fork(context.Background(), "echo", nil, &childproc.Options{Stdin: childproc.Ignore, Stdout: childproc.Ignore, Stderr: childproc.Writer(&stderr)})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var disconnects atomic.Int64
		for g := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 20 {
					switch (g + i) % 6 {
					case 0:
						p.Send(map[string]int{"g": g, "i": i})
					case 1:
						p.Connected()
						p.ExitCode()
					case 2:
						p.Signal(syscall.SIGCONT) // harmless while it runs, ErrProcessDone after
					case 3:
						if i > 10 && p.Disconnect() == nil {
							disconnects.Add(1)
						}
					case 4:
						if i > 15 {
							p.Wait()
						}
					case 5:
						_ = p.Pid
					}
				}
			}()
		}
		events := make(chan []string, 1)
		go func() {
			var kinds []string
			for ev := range p.Events() {
				kinds = append(kinds, ev.Kind.String())
			}
			events <- kinds
		}()
		wg.Wait()
		if err := p.Disconnect(); err == nil {
			disconnects.Add(1)
		}
		done := make(chan error, 1)
		go func() { done <- p.Wait() }()
		select {
		case err := <-done:
			// The echo role fails (status 1) when the parent disconnects
			// while it is sending an answer.
			var ee *childproc.ExitError
			if err != nil && !(errors.As(err, &ee) && ee.ExitCode == 1 && strings.Contains(stderr.String(), "send")) {
				t.Errorf("round %d: Wait: %v (%s)", round, err, stderr.String())
			}
		case <-time.After(30 * time.Second):
			p.Kill()
			t.Fatalf("round %d: Wait did not return", round)
		}
		kinds := <-events
		if kinds[0] != "spawn" || kinds[len(kinds)-1] != "close" {
			t.Errorf("round %d: events %v", round, kinds)
		}
		if n := disconnects.Load(); n != 1 {
			t.Errorf("round %d: %d Disconnect calls succeeded", round, n)
		}
	}
}
