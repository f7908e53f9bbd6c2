//go:build linux

package main

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spawnkit/spawnkit/internal/testkit"
)

// scale 4 then scale 1, restart 0 and signal USR1, under 16 clients: no
// request fails, and the status table says what runs.
func TestScaleRestartAndSignalUnderLoad(t *testing.T) {
	t.Parallel()
	need(t, "python3")
	s := startSup(t, "-n", "2", "-l", "http=tcp://127.0.0.1:0", "--", "./worker.py")
	s.waitReady(2)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := load(ctx, "http://"+s.addr("http")+"/", 16)

	if out, err := s.ctl("scale", "4"); err != nil || out != "4 workers\n" {
		t.Fatalf("scale 4: %q, %v", out, err)
	}
	four := s.waitReady(4)
	if out, err := s.ctl("scale", "1"); err != nil || out != "1 workers\n" {
		t.Fatalf("scale 1: %q, %v", out, err)
	}
	one := s.waitReady(1)
	if one[0] != four[0] {
		t.Errorf("scale 1 kept pid %d; want slot 0's %d", one[0], four[0])
	}
	for _, pid := range four[1:] {
		for deadline := time.Now().Add(waitLimit); testkit.Alive(pid); {
			if time.Now().After(deadline) {
				t.Fatalf("worker %d of a removed slot still runs", pid)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if out, err := s.ctl("restart", "0"); err != nil || out != "slot 0 restarted\n" {
		t.Fatalf("restart 0: %q, %v", out, err)
	}
	restarted := s.waitReady(1)
	if restarted[0] == one[0] {
		t.Errorf("restart 0 kept pid %d", one[0])
	}
	if _, err := s.ctl("restart", "5"); err == nil || !strings.Contains(err.Error(), "no slot 5 (slots are 0 to 0)") {
		t.Errorf("restart 5: %v; want no slot 5", err)
	}
	if out, err := s.ctl("signal", "USR1"); err != nil || out != "SIGUSR1 sent to 1 workers\n" {
		t.Errorf("signal USR1: %q, %v", out, err)
	}
	s.waitLogOut(fmt.Sprintf("[worker.py.0 %d] got SIGUSR1", restarted[0]))
	cancel()
	r.wait()
	r.check(t)

	table, err := s.ctl("status")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(table), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "worker.py: supervisor pid ") || !strings.HasPrefix(strings.TrimSpace(lines[1]), "http: tcp 127.0.0.1:") ||
		strings.Join(strings.Fields(lines[2]), " ") != "SLOT PID STATE GEN UPTIME RESTARTS STATUS" ||
		!strings.HasPrefix(strings.Join(strings.Fields(lines[3]), " "), fmt.Sprintf("0 %d ready 0 ", restarted[0])) {
		t.Errorf("status table:\n%s", table)
	}
}

// waitLogOut waits until the supervisor's stdout holds substr.
func (s *sup) waitLogOut(substr string) {
	s.t.Helper()
	for deadline := time.Now().Add(waitLimit); !strings.Contains(s.out.String(), substr); {
		if time.Now().After(deadline) {
			s.t.Fatalf("stdout lacks %q after %v", substr, waitLimit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A worker that stops petting the watchdog (it hangs, holding no request)
// has its tree killed and is replaced; under 16 clients nothing fails.
func TestHungWorkerMissingTheWatchdogIsKilledAndReplaced(t *testing.T) {
	t.Parallel()
	need(t, "python3")
	once := filepath.Join(t.TempDir(), "hung")
	s := startSup(t, "-n", "2", "-l", "http=tcp://127.0.0.1:0", "--watchdog", "2s",
		"-e", "WORKER_MODE=hang", "-e", "HANG_AFTER=0.5", "-e", "HANG_ONCE="+once, "-e", "HANG_SLOT=0", "--", "./worker.py")
	// Slot 0's worker hangs half a second after it is ready, whether or
	// not slot 1's is (under load slot 1's was ready only after slot 0's
	// replacement): the log says which pids to expect.
	s.waitReady(2)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := load(ctx, "http://"+s.addr("http")+"/", 16)
	s.waitLog("sent no WATCHDOG=1 for 2s", 1)
	s.waitLog("restarting in", 1)
	hung := logPid(t, s, `killing worker\.py\.0 pid (\d+) and its processes`)
	slot1 := logPid(t, s, `worker\.py\.1 pid (\d+) ready`)
	var now []int
	for deadline := time.Now().Add(waitLimit); ; time.Sleep(50 * time.Millisecond) {
		now = s.waitReady(2)
		if now[0] != hung {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the hung worker was not replaced")
		}
	}
	cancel()
	r.wait()
	r.check(t)
	if now[1] != slot1 {
		t.Errorf("workers %v; want slot 1's still %d: only slot 0's replaced", now, slot1)
	}
	if n := strings.Count(s.err.String(), "and its processes: it sent no WATCHDOG=1"); n != 1 {
		t.Errorf("%d watchdog kills; want 1", n)
	}
	if want := fmt.Sprintf("killing worker.py.0 pid %d and its processes: it sent no WATCHDOG=1 for 2s", hung); !strings.Contains(s.err.String(), want) {
		t.Errorf("stderr lacks %q", want)
	}
	if testkit.Alive(hung) {
		t.Errorf("the hung worker %d still runs", hung)
	}
}

func TestCtlReportsUsageAndConnectionErrors(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"ctl", "--control", "/nonexistent/x.sock", "status"}, 1, "spawnkit ctl: dial unix /nonexistent/x.sock: connect: no such file or directory"},
		{[]string{"ctl", "--control", "x", "scale", "many"}, 2, `spawnkit ctl scale: strconv.Atoi: parsing "many": invalid syntax`},
		{[]string{"ctl", "--control", "x", "signal", "NOPE"}, 2, `spawnkit ctl signal: unknown signal "NOPE"`},
		{[]string{"ctl", "--control", "x", "frobnicate"}, 2, "usage:"},
		{[]string{"run", "-n", "0", "--", "true"}, 2, "spawnkit: -n 0: want at least 1 worker"},
		{[]string{"run", "-l", "http=udp://:53", "--", "true"}, 1, `spawnkit: ERROR: -l udp://:53: unsupported scheme "udp" (want tcp, tcp4, tcp6 or unix)`},
	} {
		out, code := runBin(c.args...)
		if code != c.code || !strings.Contains(out, c.want) {
			t.Errorf("spawnkit %s: exit %d, %q; want exit %d and %q", strings.Join(c.args, " "), code, out, c.code, c.want)
		}
	}
}

// logPid returns the pid that the first match of pattern in the
// supervisor's log captures, waiting for one to be logged.
func logPid(t *testing.T, s *sup, pattern string) int {
	t.Helper()
	re := regexp.MustCompile(pattern)
	for deadline := time.Now().Add(waitLimit); ; time.Sleep(20 * time.Millisecond) {
		if m := re.FindStringSubmatch(s.err.String()); m != nil {
			pid, err := strconv.Atoi(m[1])
			if err != nil {
				t.Fatal(err)
			}
			return pid
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q in the supervisor's log within %v", pattern, waitLimit)
		}
	}
}
