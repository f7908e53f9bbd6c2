//go:build linux

package childproc_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/spawnkit/spawnkit/childproc"
	"github.com/spawnkit/spawnkit/internal/testkit"
)

// The promises of the exit watcher, stressed: each child is reaped once
// whoever comes first (a Wait caller or the watcher), its status and its
// event order are right whether Wait is called before, at or after the
// exit, from many goroutines or never, and nothing is left behind (no
// zombie, descriptor, goroutine) nor costs a thread while it runs.

var silent = childproc.Options{Stdin: childproc.Ignore, Stdout: childproc.Ignore, Stderr: childproc.Ignore}

// checkExit reports how err differs from the end of a child that exited
// with code (0: nil).
func checkExit(err error, code int) error {
	if code == 0 {
		return err
	}
	return expectExit(err, code, 0, false, false)
}

// TestStressSpawnWaitLeavesNothing: Spawn+Wait over and over leaves no
// descriptor, goroutine, zombie or thread behind (1000 by default, 10,000
// with SPAWNKIT_STRESS=1).
func TestStressSpawnWaitLeavesNothing(t *testing.T) {
	ctx := context.Background()
	// Warm up: the threads a Spawn+Wait needs are started once.
	for range 20 {
		warm, err := childproc.Spawn(ctx, "true", nil, &silent)
		if err != nil {
			t.Fatal(err)
		}
		if err := warm.Wait(); err != nil {
			t.Fatal(err)
		}
	}
	testkit.NoLeaks(t)
	threads := testkit.Threads(t)
	n := testkit.Iterations(1000, 10)
	for i := range n {
		code := i % 3
		p, err := childproc.Spawn(ctx, "sh", []string{"-c", "exit " + strconv.Itoa(code)}, &silent)
		if err != nil {
			t.Fatalf("spawn %d: %v", i, err)
		}
		if err := checkExit(p.Wait(), code); err != nil {
			t.Fatalf("child %d: %v", i, err)
		}
	}
	// One child at a time: the threads Spawn and Wait use are reused.
	if grew := testkit.Threads(t) - threads; grew > runtime.GOMAXPROCS(0)+4 {
		t.Errorf("%d Spawn+Wait in a row added %d threads", n, grew)
	}
	t.Logf("%d Spawn+Wait", n)
}

// TestStressChildrenInFlightCostNoThread: 200 children running at once,
// nobody in Wait, cost no thread each; once they are signalled they are
// all reaped, with their events in order.
func TestStressChildrenInFlightCostNoThread(t *testing.T) {
	skipUnlessLinux(t, "running children cost no thread (one exit watcher reads their pidfds)")
	testkit.NoLeaks(t)
	marker := strayMarker(t)
	threads := testkit.Threads(t)
	const n = 200
	procs := make([]*childproc.Process, n)
	for i := range procs {
		p, err := childproc.Spawn(context.Background(), "sleep", []string{marker}, &silent)
		if err != nil {
			t.Fatalf("spawn %d: %v", i, err)
		}
		procs[i] = p
	}
	if grew := testkit.Threads(t) - threads; grew > runtime.GOMAXPROCS(0)+8 {
		t.Errorf("%d running children added %d threads", n, grew)
	}
	for _, p := range procs {
		if err := p.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
	}
	for i, p := range procs {
		if got := fmt.Sprint(kinds(collect(t, p))); got != "[spawn exit(signal=terminated) close(signal=terminated)]" {
			t.Errorf("child %d: events %s", i, got)
		}
	}
	waitGone(t, marker)
}

// TestStressWaitersRaceTheExitWatcher: 200 children in flight exit at
// scattered moments, each with 0 to 4 goroutines calling Wait at random
// times before or after the exit, its Events read or not; every Wait
// returns the child's own status, every child read has its events in
// order, and every child is reaped, Waited or not. The same with
// GOMAXPROCS=1.
func TestStressWaitersRaceTheExitWatcher(t *testing.T) {
	for _, procs := range []int{0, 1} {
		t.Run("GOMAXPROCS="+strconv.Itoa(procs), func(t *testing.T) {
			if procs > 0 {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			}
			stressWaiters(t, testkit.Iterations(200, 10))
		})
	}
}

func stressWaiters(t *testing.T, n int) {
	testkit.NoLeaks(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range n {
		code := i % 4
		// Exits spread over ~20 ms, so that many come while the
		// watcher is busy with others.
		script := "exit " + strconv.Itoa(code)
		if d := i % 5; d > 0 {
			script = "sleep 0.00" + strconv.Itoa(2*d) + "; " + script
		}
		p, err := childproc.Spawn(ctx, "sh", []string{"-c", script}, &silent)
		if err != nil {
			t.Fatalf("spawn %d: %v", i, err)
		}
		waiters := i % 5
		for w := range waiters {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if w > 0 {
					time.Sleep(time.Duration(rand.IntN(30)) * time.Millisecond)
				}
				if err := checkExit(p.Wait(), code); err != nil {
					t.Errorf("child %d waiter %d: %v", i, w, err)
				}
			}()
		}
		if i%3 == 0 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				want := fmt.Sprintf("[spawn exit(code=%d) close(code=%d)]", code, code)
				if got := fmt.Sprint(kinds(collect(t, p))); got != want {
					t.Errorf("child %d: events %s, want %s", i, got, want)
				}
			}()
		}
	}
	testkit.WaitOrFail(t, &wg, time.Minute, "Wait callers and event readers of %d children", n)
}

// TestStressCancelAtRandomMoments: a ctx cancelled at a random moment
// around the start kills the child (Wait: Killed, matching
// context.Canceled) or makes Spawn fail with ctx's error; nothing is left
// running, and a Wait racing the kill reaps once.
func TestStressCancelAtRandomMoments(t *testing.T) {
	testkit.NoLeaks(t)
	marker := strayMarker(t)
	n := testkit.Iterations(200, 10)
	var wg sync.WaitGroup
	var killed, refused int
	var mu sync.Mutex
	for i := range n {
		ctx, cancel := context.WithCancel(context.Background())
		delay := time.Duration(rand.IntN(2000)) * time.Microsecond
		if i%4 == 0 {
			cancel() // before the start
		} else {
			time.AfterFunc(delay, cancel)
		}
		p, err := childproc.Spawn(ctx, "sleep", []string{marker}, &silent)
		if err != nil {
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("spawn %d: %v", i, err)
			}
			mu.Lock()
			refused++
			mu.Unlock()
			cancel()
			continue
		}
		for range 1 + i%2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer cancel()
				err := p.Wait()
				if !errors.Is(err, context.Canceled) {
					t.Errorf("child %d: Wait: %v, want context.Canceled", i, err)
					return
				}
				if err := expectExit(err, -1, syscall.SIGTERM, true, false); err != nil {
					t.Errorf("child %d: %v", i, err)
				}
				mu.Lock()
				killed++
				mu.Unlock()
			}()
		}
	}
	testkit.WaitOrFail(t, &wg, time.Minute, "Waits of %d cancelled children", n)
	waitGone(t, marker)
	t.Logf("%d starts: %d Waits saw the kill, %d starts refused", n, killed, refused)
}

// TestStressWaitAfterKillSignalAndUnref: Wait after Kill, after Signal,
// after Unref (Detached or not), and on PTY children: each returns the
// child's status once it is reaped, and nothing is left.
func TestStressWaitAfterKillSignalAndUnref(t *testing.T) {
	testkit.NoLeaks(t)
	marker := strayMarker(t)
	n := testkit.Iterations(60, 10)
	var wg sync.WaitGroup
	for i := range n {
		o := silent
		switch i % 3 {
		case 1:
			o.Detached = true
		case 2:
			o = childproc.Options{PTY: true}
		}
		p, err := childproc.Spawn(context.Background(), "sleep", []string{marker}, &o)
		if err != nil {
			t.Fatalf("spawn %d: %v", i, err)
		}
		if i%2 == 1 {
			p.Unref()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if o.PTY {
				go func() {
					// Keep the terminal drained; EOF or EIO at the end.
					buf := make([]byte, 512)
					for {
						if _, err := p.Stdout.Read(buf); err != nil {
							return
						}
					}
				}()
			}
			sig := syscall.SIGKILL
			if i%4 < 2 {
				if err := p.Kill(); err != nil {
					t.Errorf("child %d: Kill: %v", i, err)
				}
			} else {
				sig = syscall.SIGTERM
				if err := p.Signal(sig); err != nil {
					t.Errorf("child %d: Signal: %v", i, err)
				}
			}
			for range 2 {
				if err := expectExit(p.Wait(), -1, sig, false, false); err != nil {
					t.Errorf("child %d: %v", i, err)
				}
			}
			if err := p.Kill(); !errors.Is(err, os.ErrProcessDone) {
				t.Errorf("child %d: Kill after Wait: %v", i, err)
			}
			if o.PTY {
				p.Stdin.Close()
			}
		}()
	}
	testkit.WaitOrFail(t, &wg, time.Minute, "Waits of %d killed children", n)
	waitGone(t, marker)
}

// TestStressForkChildrenWaitedAtOnce: forked children (this test binary,
// with an IPC channel) in flight, each with 0 to 3 goroutines in Wait at
// once and its Events read or not: every Wait returns nil, every child
// read has its 4 messages in order, its disconnect and one exit between
// spawn and close, and nothing is left
// (24 by default, 240 with SPAWNKIT_STRESS=1).
func TestStressForkChildrenWaitedAtOnce(t *testing.T) {
	testkit.NoLeaks(t)
	n := testkit.Iterations(24, 10)
	var wg sync.WaitGroup
	for i := range n {
		p, err := childproc.Fork(context.Background(), "count", []string{"x"}, &silent)
		if err != nil {
			t.Fatalf("fork %d: %v", i, err)
		}
		for range i % 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := p.Wait(); err != nil {
					t.Errorf("child %d: %v", i, err)
				}
			}()
		}
		if i%2 == 0 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// Exit may come anywhere between spawn and close
				// (Node's order); the rest is fixed.
				got := kinds(collect(t, p))
				rest := slices.DeleteFunc(slices.Clone(got), func(k string) bool { return k == "exit(code=0)" })
				want := `[spawn message({"counter":1}) message({"counter":2}) message({"counter":3}) message(["x"]) disconnect close(code=0)]`
				if fmt.Sprint(rest) != want || len(got) != len(rest)+1 || got[len(got)-1] != "close(code=0)" {
					t.Errorf("child %d: events %v", i, got)
				}
			}()
		}
	}
	testkit.WaitOrFail(t, &wg, time.Minute, "Waits and event readers of %d forked children", n)
}
