//go:build linux

package main

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// readyVia starts one worker of program with args and checks that it
// serves with its own pid and became ready the way how says.
func readyVia(t *testing.T, how string, args ...string) (*sup, int) {
	t.Helper()
	s := startSup(t, append([]string{"-n", "1", "-l", "http=tcp://127.0.0.1:0", "--ready-timeout", "20s"}, args...)...)
	pid := s.waitReady(1)[0]
	body, err := get("http://" + s.addr("http") + "/")
	if err != nil {
		t.Fatal(err)
	}
	if got := pidOf(t, body); got != pid {
		t.Errorf("answered by pid %d; want the worker %d", got, pid)
	}
	if want := fmt.Sprintf("pid %d ready in ", pid); !strings.Contains(s.err.String(), want) || !strings.Contains(s.err.String(), "("+how+")") {
		t.Errorf("stderr lacks %q … (%s)", want, how)
	}
	return s, pid
}

func TestReadyByNotifySocketPython(t *testing.T) {
	t.Parallel()
	need(t, "python3")
	s, _ := readyVia(t, "READY=1", "--", "./worker.py")
	if st := s.status(); st.Workers[0].Status != "serving" {
		t.Errorf("STATUS= not reported: %+v", st.Workers[0])
	}
}

func TestReadyByNotifyFDNode(t *testing.T) {
	t.Parallel()
	need(t, "node")
	s, _ := readyVia(t, "READY=1", "--", "node", "worker.js")
	if st := s.status(); st.Workers[0].Status != "node serving" {
		t.Errorf("STATUS= on NOTIFY_FD not reported: %+v", st.Workers[0])
	}
	if code := s.stop(); code != 0 {
		t.Errorf("exit code %d", code)
	}
}

func TestReadyByNodeIPCProcessSend(t *testing.T) {
	t.Parallel()
	need(t, "node")
	s, _ := readyVia(t, "READY=1", "--ipc", "-e", "READY_VIA=ipc", "--", "node", "worker.js")
	if code := s.stop(); code != 0 {
		t.Errorf("exit code %d", code)
	}
}

func TestReadyByNotifySocketGo(t *testing.T) {
	t.Parallel()
	s, pid := readyVia(t, "READY=1", "--", goworkerBin)
	if code := s.stop(); code != 0 {
		t.Errorf("exit code %d", code)
	}
	if !strings.Contains(s.err.String(), fmt.Sprintf("[goworker.0 %d]", pid)) && strings.Contains(s.err.String(), "goworker: ") {
		t.Errorf("the Go worker complained")
	}
}

// systemd-notify --ready sends READY=1, then BARRIER=1 with a pipe's write
// end, and waits (5 s) until the manager closes it: the barrier must be
// answered at once.
func TestReadyBySystemdNotifyWithBarrier(t *testing.T) {
	need(t, "python3")
	need(t, "systemd-notify")
	s, pid := readyVia(t, "READY=1", "--", "./worker.sh")
	m := regexp.MustCompile(`\[worker\.sh\.0 (\d+)\] systemd-notify took (\d+) ms`).FindStringSubmatch(s.out.String())
	if m == nil {
		t.Fatalf("no systemd-notify timing in stdout")
	}
	if m[1] != strconv.Itoa(pid) {
		t.Errorf("the shell's pid %s is not the worker's %d (exec keeps it)", m[1], pid)
	}
	t.Logf("systemd-notify --ready took %s ms", m[2])
	if ms, _ := strconv.Atoi(m[2]); ms >= 4000 {
		t.Errorf("systemd-notify --ready took %d ms: the BARRIER=1 was not answered", ms)
	}
}

func TestReadyAfterFallbackForAProgramThatNeverNotifies(t *testing.T) {
	t.Parallel()
	need(t, "python3")
	t0 := time.Now()
	readyVia(t, "--ready-after 300ms", "--ready-after", "300ms", "-e", "WORKER_MODE=never-ready", "--", "./worker.py")
	if d := time.Since(t0); d < 300*time.Millisecond {
		t.Errorf("ready after %v, before --ready-after", d)
	}
}
