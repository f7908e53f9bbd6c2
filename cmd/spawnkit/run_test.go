//go:build linux

package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spawnkit/spawnkit/internal/testkit"
)

func TestRunPassesSocketsWithTheWorkersOwnListenPID(t *testing.T) {
	need(t, "python3")
	admin := filepath.Join(t.TempDir(), "admin.sock")
	s := startSup(t, "-n", "2", "-l", "http=tcp://127.0.0.1:0", "-l", "admin=unix://"+admin, "--", "./worker.py")
	pids := s.waitReady(2)
	addr := s.addr("http")

	// worker.py exits 2 unless LISTEN_PID is its own pid and
	// LISTEN_FDNAMES names LISTEN_FDS sockets: answering proves both.
	body, err := get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	if pid := pidOf(t, body); !strings.HasPrefix(body, "0 ") || !strings.Contains(body, " http nonblock=") || (pid != pids[0] && pid != pids[1]) {
		t.Errorf("answer on http: %q; want \"0 PID http nonblock=…\" from one of %v", body, pids)
	}
	c := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return net.Dial("unix", admin)
	}, DisableKeepAlives: true}}
	resp, err := c.Get("http://admin/")
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 100)
	n, _ := resp.Body.Read(b)
	resp.Body.Close()
	if got := string(b[:n]); !strings.Contains(got, " admin nonblock=") {
		t.Errorf("answer on the unix socket: %q; want it from the socket named admin", got)
	}

	// Logs: every line of a worker prefixed [name.slot pid].
	for slot, pid := range pids {
		want := fmt.Sprintf("[worker.py.%d %d] serving http:admin on fds 3..4\n", slot, pid)
		if !strings.Contains(s.out.String(), want) {
			t.Errorf("stdout lacks %q", want)
		}
		want = fmt.Sprintf("[worker.py.%d %d] a line on stderr\n", slot, pid)
		if !strings.Contains(s.err.String(), want) {
			t.Errorf("stderr lacks %q", want)
		}
	}

	if code := s.stop(); code != 0 {
		t.Errorf("exit code after SIGTERM: %d; want 0", code)
	}
	for slot, pid := range pids {
		if want := fmt.Sprintf("[worker.py.%d %d] drained, exiting\n", slot, pid); !strings.Contains(s.out.String(), want) {
			t.Errorf("stdout lacks %q: the worker did not drain on SIGTERM", want)
		}
		if testkit.Alive(pid) {
			t.Errorf("worker %d still runs after the supervisor exited", pid)
		}
	}
	for _, p := range []string{admin, s.control} {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("%s is left behind", p)
		}
	}
}

func TestStopKillsAWorkerThatIgnoresSIGTERMAfterStopTimeout(t *testing.T) {
	t.Parallel()
	need(t, "python3")
	s := startSup(t, "-n", "1", "-l", "http=tcp://127.0.0.1:0", "--stop-timeout", "300ms", "-e", "WORKER_MODE=ignore-term", "--", "./worker.py")
	pid := s.waitReady(1)[0]
	t0 := time.Now()
	if code := s.stop(); code != 0 {
		t.Errorf("exit code: %d; want 0", code)
	}
	if d := time.Since(t0); d < 300*time.Millisecond {
		t.Errorf("stopped in %v, before the 300ms stop timeout", d)
	}
	if !strings.Contains(s.out.String(), fmt.Sprintf("[worker.py.0 %d] ignoring SIGTERM", pid)) {
		t.Errorf("the worker did not get SIGTERM first")
	}
	if want := fmt.Sprintf("killing worker.py.0 pid %d and its processes: it did not stop within 300ms", pid); !strings.Contains(s.err.String(), want) {
		t.Errorf("stderr lacks %q", want)
	}
	if testkit.Alive(pid) {
		t.Errorf("worker %d survived", pid)
	}
}

// The workers run with SIGKILL as their parent-death signal (the shim
// execs from the thread that has it), so they die when the supervisor is
// killed outright.
func TestWorkersDieWithAKilledSupervisor(t *testing.T) {
	t.Parallel()
	need(t, "python3")
	s := startSup(t, "-n", "2", "-l", "http=tcp://127.0.0.1:0", "--", "./worker.py")
	pids := s.waitReady(2)
	for slot, pid := range pids {
		s.waitLogOut(fmt.Sprintf("[worker.py.%d %d] parent-death signal 9\n", slot, pid))
	}
	s.cmd.Process.Kill()
	<-s.done
	deadline := time.Now().Add(waitLimit)
	for _, pid := range pids {
		for testkit.Alive(pid) {
			if time.Now().After(deadline) {
				t.Fatalf("worker %d still runs %v after the supervisor was killed", pid, waitLimit)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

func TestRunRefusesAMissingProgram(t *testing.T) {
	t.Parallel()
	s := startSup(t, "-n", "1", "--", "./no-such-program")
	<-s.done
	if code := s.cmd.ProcessState.ExitCode(); code != 1 {
		t.Errorf("exit code %d; want 1", code)
	}
	if want := "/testdata/no-such-program: no such file or directory\n"; !strings.HasPrefix(s.err.String(), "spawnkit: ERROR: childproc: lookpath ") || !strings.HasSuffix(s.err.String(), want) {
		t.Errorf("stderr %q lacks %q", s.err, want)
	}
}

func TestSIGTERMDuringStartupStopsCleanly(t *testing.T) {
	t.Parallel()
	need(t, "python3")
	s := startSup(t, "-n", "2", "-l", "http=tcp://127.0.0.1:0", "--", "./worker.py")
	s.waitLog("listening on", 1)
	s.cmd.Process.Signal(syscall.SIGTERM)
	<-s.done
	if code := s.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("exit code %d; want 0", code)
	}
}

// A supervisor whose stdout reader went away keeps running (the lines are
// lost) and goes on reloading.
func TestSupervisorSurvivesABrokenStdout(t *testing.T) {
	t.Parallel()
	need(t, "python3")
	s := newSup(t, "-n", "1", "-l", "http=tcp://127.0.0.1:0", "--", "./worker.py")
	s.cmd.Stdout = nil
	stdout, err := s.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout.Close() // nobody reads the supervisor's stdout
	s.start()
	s.waitReady(1) // the worker printed to the broken stdout by now
	if _, err := s.ctl("reload", "--wait"); err != nil {
		t.Fatal(err)
	}
	if _, err := get("http://" + s.addr("http") + "/"); err != nil {
		t.Fatal(err)
	}
	// Caught, not ignored: an ignored signal would stay ignored in the
	// workers across exec.
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	bit := uint64(1) << (uint(syscall.SIGPIPE) - 1)
	for line := range strings.SplitSeq(string(b), "\n") {
		k, v, _ := strings.Cut(line, ":")
		mask, _ := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
		if k == "SigIgn" && mask&bit != 0 || k == "SigCgt" && mask&bit == 0 {
			t.Errorf("the supervisor's %s: %s; want SIGPIPE caught, not ignored", k, strings.TrimSpace(v))
		}
	}
}
