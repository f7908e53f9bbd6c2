//go:build linux

package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

func writeEnv(t *testing.T, path string, lines ...string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Three rolling reloads, by `ctl reload --wait`, SIGHUP and SIGUSR2, under
// 16 clients: every request answered, every worker replaced, the env file
// re-read each time, and the shared socket's O_NONBLOCK (set by the first
// worker) never cleared by the supervisor. The figures go to
// bench/RESULTS.md (go test ./cmd/spawnkit -run TestRollingReloadUnderLoad -v).
func TestRollingReloadUnderLoadLosesNoRequest(t *testing.T) {
	t.Parallel()
	need(t, "python3")
	rollingReload(t, "python", "./worker.py")
}

// The same with the Go worker (cluster.Serve), whose start is quick:
// the reload time per slot is spawnkit's own.
func TestRollingReloadUnderLoadLosesNoRequestGo(t *testing.T) {
	t.Parallel()
	rollingReload(t, "go", goworkerBin)
}

func rollingReload(t *testing.T, kind, program string) {
	env := filepath.Join(t.TempDir(), "env")
	writeEnv(t, env, "GEN=0")
	s := startSup(t, "-n", "2", "-l", "http=tcp://127.0.0.1:0", "--env-file", env, "--", program)
	first := s.waitReady(2)
	url := "http://" + s.addr("http") + "/"

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := load(ctx, url, 16)
	time.Sleep(time.Second)
	r.mark() // steady state before, reloads after

	t0 := time.Now()
	writeEnv(t, env, "GEN=1")
	if out, err := s.ctl("reload", "--wait"); err != nil || out != "reload done\n" {
		t.Fatalf("ctl reload --wait: %q, %v", out, err)
	}
	for i, sig := range []syscall.Signal{syscall.SIGHUP, syscall.SIGUSR2} {
		writeEnv(t, env, fmt.Sprintf("GEN=%d", i+2))
		s.cmd.Process.Signal(sig)
		s.waitLog(fmt.Sprintf("reload %d done", i+2), 1)
	}
	reloading := time.Since(t0)
	r.mark()
	time.Sleep(500 * time.Millisecond)
	cancel()
	r.wait()
	r.check(t)

	last := s.waitReady(2)
	for _, pid := range last {
		if slices.Contains(first, pid) {
			t.Errorf("worker %d of the first generation still serves: %v → %v", pid, first, last)
		}
		body, err := get(url)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(body, "3 ") || kind == "python" && !strings.HasSuffix(body, " http nonblock=1\n") {
			t.Errorf("after 3 reloads: %q; want generation 3 from a worker that found the socket non-blocking", body)
		}
	}
	if st := s.status(); st.Generation != 3 || st.Reloads != 3 {
		t.Errorf("status: generation %d, %d reloads; want 3 and 3", st.Generation, st.Reloads)
	}
	r.mu.Lock()
	for _, gen := range []string{"0", "3"} {
		if r.bodies[gen] == 0 {
			t.Errorf("no answer from generation %s: %v", gen, r.bodies)
		}
	}
	steady, during := r.latencies[:r.marks[0]], r.latencies[r.marks[0]:r.marks[1]]
	var perSlot []string
	for _, m := range regexp.MustCompile(`per slot: ([^)]*)\)`).FindAllStringSubmatch(s.err.String(), -1) {
		perSlot = append(perSlot, m[1])
	}
	t.Logf("16 clients, 2 %s workers, 3 rolling reloads in %v: %d requests ok, %d failed; reload time per slot: %s; p99 steady %v, during reloads %v",
		kind, reloading.Round(time.Millisecond), r.ok, len(r.failed), strings.Join(perSlot, " | "), p99(steady).Round(100*time.Microsecond), p99(during).Round(100*time.Microsecond))
	r.mu.Unlock()
}

// abortedReload checks that a reload to a worker of mode fails at slot 0
// with want, and that the old workers keep serving under load.
func abortedReload(t *testing.T, program, mode, readyTimeout, want string, then func(s *sup, env string)) {
	env := filepath.Join(t.TempDir(), "env")
	writeEnv(t, env, "GEN=0")
	s := startSup(t, "-n", "2", "-l", "http=tcp://127.0.0.1:0", "--env-file", env, "--ready-timeout", readyTimeout, "--stop-timeout", "5s", "--", program)
	first := s.waitReady(2)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := load(ctx, "http://"+s.addr("http")+"/", 16)

	writeEnv(t, env, "GEN=1", "WORKER_MODE="+mode)
	_, err := s.ctl("reload", "--wait")
	if err == nil || !strings.Contains(err.Error(), "aborted at slot 0") || !strings.Contains(err.Error(), want) {
		t.Errorf("reload to a %s worker: %v; want it aborted at slot 0: …%s", mode, err, want)
	}
	st := s.status()
	var pids []int
	for _, w := range st.Workers {
		if w.State == "ready" {
			pids = append(pids, w.Pid)
		}
	}
	if !slices.Equal(pids, first) || st.Generation != 0 {
		t.Errorf("after the aborted reload: ready workers %v, generation %d; want the old %v, 0", pids, st.Generation, first)
	}
	if then != nil {
		then(s, env)
	}
	cancel()
	r.wait()
	r.check(t)
}

// A replacement that exits before it is ready aborts the reload: the old
// workers keep serving, no request fails, and the next good reload goes
// through.
func TestReplacementThatExitsAbortsTheReloadAndKeepsTheOldWorkers(t *testing.T) {
	t.Parallel()
	need(t, "python3")
	abortedReload(t, "./worker.py", "crash", "60s", "exited before it was ready (exit status 3)", func(s *sup, env string) {
		writeEnv(t, env, "GEN=2")
		if _, err := s.ctl("reload", "--wait"); err != nil {
			t.Fatal(err)
		}
		if st := s.status(); st.Generation != 2 {
			t.Errorf("generation %d after the good reload; want 2", st.Generation)
		}
	})
}

// A replacement that never says READY=1 (it serves, though) aborts the
// reload after --ready-timeout and is stopped gracefully: no request fails.
// (The Go worker: its first start is well within 2s on a loaded machine.)
func TestReplacementNeverReadyAbortsTheReloadAndKeepsTheOldWorkers(t *testing.T) {
	abortedReload(t, goworkerBin, "never-ready", "2s", "was not ready within 2s", nil)
}

// Workers that crash every 40 requests are replaced with backoff while
// the connections wait in the socket's queue, which the supervisor keeps
// open: nothing is refused. The load runs until two crash restarts, and
// the replacements' first answers, are seen.
func TestCrashingWorkersAreReplacedWithoutLosingARequest(t *testing.T) {
	t.Parallel()
	need(t, "python3")
	s := startSup(t, "-n", "2", "-l", "http=tcp://127.0.0.1:0", "--crash-limit", "1000", "--restart-delay", "10ms", "--max-restart-delay", "100ms",
		"-e", "WORKER_MODE=crash-after", "-e", "CRASH_AFTER=40", "--", "./worker.py")
	first := s.waitReady(2)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := load(ctx, "http://"+s.addr("http")+"/", 16)
	s.waitLog("exited (exit status 3); restarting in", 2)
	// Served by a worker started after a crash.
	for deadline := time.Now().Add(waitLimit); ; time.Sleep(20 * time.Millisecond) {
		r.mu.Lock()
		n, replaced := len(r.pids), false
		for pid := range r.pids {
			replaced = replaced || !slices.Contains(first, pid)
		}
		r.mu.Unlock()
		if replaced {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no answer from a replacement within %v (%d pids answered)", waitLimit, n)
		}
	}
	cancel()
	r.wait()
	r.check(t)
}

// Every crash counts (--crash-window -1s): on a loaded machine three
// Python starts may take longer than any window.
func TestCrashLoopGivesTheSlotsUpAndExits1(t *testing.T) {
	t.Parallel()
	need(t, "python3")
	s := startSup(t, "-n", "2", "-l", "http=tcp://127.0.0.1:0", "--crash-limit", "3", "--crash-window", "-1s", "--restart-delay", "10ms", "-e", "WORKER_MODE=crash", "--", "./worker.py")
	select {
	case <-s.done:
	case <-time.After(waitLimit):
		t.Fatalf("still running %v into a crash loop", waitLimit)
	}
	if code := s.cmd.ProcessState.ExitCode(); code != 1 {
		t.Errorf("exit code %d; want 1", code)
	}
	for _, want := range []string{
		"slot 0 died 3 times in all: not restarting it",
		"slot 1 died 3 times in all: not restarting it",
		"spawnkit: ERROR: every worker slot was given up: cluster: worker crash loop",
	} {
		if !strings.Contains(s.err.String(), want) {
			t.Errorf("stderr lacks %q", want)
		}
	}
	if n := strings.Count(s.err.String(), "crashing on purpose"); n != 6 {
		t.Errorf("%d workers started; want 3 per slot", n)
	}
}

// A reload goes on to the next slot once the old worker is signalled, not
// once it has exited (so slow drains do not stall it), unless
// --max-draining old workers are still draining. The workers ignore
// SIGTERM, so an old one drains until --stop-timeout (60s: longer than any
// start on a loaded machine, where the point is that the reload does not
// wait for it; 1s where it must).
func TestReloadGoesOnOnceTheOldWorkerIsSignalledUpToMaxDraining(t *testing.T) {
	t.Parallel()
	need(t, "python3")
	for _, c := range []struct {
		maxDraining, stopTimeout string
		draining                 int // old workers still running when the reload returns
	}{{"0", "60s", 2}, {"1", "1s", 1}} {
		t.Run("max-draining="+c.maxDraining, func(t *testing.T) {
			t.Parallel()
			s := startSup(t, "-n", "2", "-l", "http=tcp://127.0.0.1:0", "--stop-timeout", c.stopTimeout, "--max-draining", c.maxDraining,
				"-e", "WORKER_MODE=ignore-term", "--", "./worker.py")
			old := s.waitReady(2)
			if _, err := s.ctl("reload", "--wait"); err != nil {
				t.Fatal(err)
			}
			st := s.status()
			var draining, now []int
			for _, w := range st.Workers {
				switch w.State {
				case "draining":
					draining = append(draining, w.Pid)
				case "ready":
					now = append(now, w.Pid)
				}
			}
			// With max-draining 1 the old worker of slot 1 may already have
			// been killed (1s) by the time status answers.
			if len(draining) != c.draining && (c.maxDraining == "0" || len(draining) > c.draining) || len(now) != 2 {
				t.Fatalf("after the reload: draining %v, ready %v; want %d of %v draining and 2 new ready", draining, now, c.draining, old)
			}
			log := s.err.String()
			killed := strings.Index(log, fmt.Sprintf("killing worker.py.0 pid %d and its processes: it did not stop within %s", old[0], c.stopTimeout))
			ready := strings.Index(log, fmt.Sprintf("worker.py.1 pid %d ready", now[1]))
			if c.maxDraining == "1" && (killed < 0 || killed > ready) {
				t.Errorf("slot 1 was replaced before slot 0's old worker ended (max-draining 1)")
			}
			if c.maxDraining == "0" {
				if killed >= 0 {
					t.Errorf("slot 0's old worker ended before the reload returned")
				}
				// Skip the 60s drain: the workers die with the supervisor.
				s.cmd.Process.Kill()
			}
		})
	}
}

// A reload resolves --cwd anew (a deploy switches the `current` symlink to
// a new release) and looks the program up again there; crash restarts and
// workers still running keep the release they started in.
func TestReloadFollowsTheSwitchedCurrentSymlink(t *testing.T) {
	t.Parallel()
	need(t, "python3")
	worker, err := filepath.Abs("testdata/worker.py")
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	for _, rel := range []string{"a", "b"} {
		dir := filepath.Join(root, "releases", rel)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		script := "#!/bin/sh\nGEN=" + rel + " exec " + worker + "\n"
		if err := os.WriteFile(filepath.Join(dir, "run.sh"), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	current := filepath.Join(root, "current")
	if err := os.Symlink("releases/a", current); err != nil {
		t.Fatal(err)
	}
	s := startSup(t, "-n", "1", "-l", "http=tcp://127.0.0.1:0", "--cwd", current, "--", "./run.sh")
	pid := s.waitReady(1)[0]
	url := "http://" + s.addr("http") + "/"
	if body, err := get(url); err != nil || !strings.HasPrefix(body, "a ") {
		t.Fatalf("before the switch: %q, %v; want release a", body, err)
	}
	// Switch the link atomically, as deploy tools do.
	tmp := filepath.Join(root, "current.new")
	if err := os.Symlink("releases/b", tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, current); err != nil {
		t.Fatal(err)
	}
	syscall.Kill(pid, syscall.SIGKILL) // a crash: its replacement keeps release a
	s.waitLog("restarting in", 1)
	for deadline := time.Now().Add(waitLimit); s.waitReady(1)[0] == pid; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the crashed worker was not replaced")
		}
	}
	if body, err := get(url); err != nil || !strings.HasPrefix(body, "a ") {
		t.Errorf("after a crash restart: %q, %v; want release a still", body, err)
	}
	if _, err := s.ctl("reload", "--wait"); err != nil {
		t.Fatal(err)
	}
	// The old worker may take one more connection before it sees SIGTERM.
	for deadline := time.Now().Add(waitLimit); ; time.Sleep(20 * time.Millisecond) {
		body, err := get(url)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(body, "b ") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the switch and a reload: %q; want release b", body)
		}
	}
}
