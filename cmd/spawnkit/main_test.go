//go:build linux

package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/spawnkit/spawnkit/internal/testkit"
)

// bin is the spawnkit binary the tests run; goworkerBin the Go worker.
var bin, goworkerBin string

// waitLimit bounds the tests' waits on a condition (a worker ready, a
// line logged, a process gone): they return as soon as it holds, so the
// bound only decides when a test gives up, and it is long enough for a
// loaded machine running this package's tests in parallel.
const waitLimit = 2 * time.Minute

// parallel is how many tests run at once when -parallel is not given. The
// tests mostly wait (for Python to start, for drains and timeouts), so
// more of them at once than GOMAXPROCS (the default, 2 here) cut the
// package's wall time; -parallel on the command line wins.
const parallel = 6

func TestMain(m *testing.M) {
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if !set {
		flag.Set("test.parallel", strconv.Itoa(parallel))
	}
	dir, err := os.MkdirTemp("", "spawnkit-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin, goworkerBin = filepath.Join(dir, "spawnkit"), filepath.Join(dir, "goworker")
	for _, b := range [][2]string{{bin, "."}, {goworkerBin, "./testdata/goworker"}} {
		args := append(append([]string{"build"}, raceFlags...), "-o", b[0], b[1])
		if out, err := exec.Command("go", args...).CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "go build %s: %v\n%s", b[1], err, out)
			os.RemoveAll(dir)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}

func need(t *testing.T, program string) string {
	t.Helper()
	p, err := exec.LookPath(program)
	if err != nil {
		t.Skipf("%s is not installed: %v", program, err)
	}
	return p
}

// sup is a running `spawnkit run`.
type sup struct {
	t        *testing.T
	cmd      *exec.Cmd
	out, err *testkit.SyncBuffer
	control  string
	done     chan struct{}
	waitErr  error
	pids     map[int]bool // every worker pid seen in status
}

// startSup starts `spawnkit run --control … ARGS`, and makes sure at the
// end of the test that it and every worker it reported are gone.
func startSup(t *testing.T, args ...string) *sup {
	t.Helper()
	s := newSup(t, args...)
	s.start()
	return s
}

// startSupEnv is startSup with env added to the supervisor's environment.
func startSupEnv(t *testing.T, env []string, args ...string) *sup {
	t.Helper()
	s := newSup(t, args...)
	s.cmd.Env = append(os.Environ(), env...)
	s.start()
	return s
}

// newSup returns a sup whose s.cmd, not started yet, runs `spawnkit run
// --control CTL --ready-timeout WAITLIMIT args...` in testdata, its stdout
// and stderr captured. The default --ready-timeout of 30s is too short for
// a Python worker on a loaded machine (one took 27s to start under -race
// at load 25); a --ready-timeout in args wins, being later.
func newSup(t *testing.T, args ...string) *sup {
	s := &sup{t: t, out: &testkit.SyncBuffer{}, err: &testkit.SyncBuffer{}, done: make(chan struct{}), pids: map[int]bool{}}
	s.control = filepath.Join(t.TempDir(), "ctl.sock")
	s.cmd = exec.Command(bin, append([]string{"run", "--control", s.control, "--ready-timeout", waitLimit.String()}, args...)...)
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.err
	s.cmd.Dir = "testdata"
	return s
}

// start starts s.cmd. When the test ends the supervisor gets SIGTERM
// (SIGKILL 20s later, a failure) unless it has exited, and the test fails
// if a worker outlived it or the race detector spoke; the supervisor's
// output is logged when the test failed.
func (s *sup) start() {
	t := s.t
	t.Helper()
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		s.waitErr = s.cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() {
		select {
		case <-s.done:
		default:
			s.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-s.done:
			case <-time.After(waitLimit):
				s.cmd.Process.Kill()
				<-s.done
				t.Errorf("the supervisor did not stop within %v of SIGTERM", waitLimit)
			}
		}
		s.noOrphans()
		if strings.Contains(s.err.String(), "WARNING: DATA RACE") {
			t.Errorf("data race in the supervisor")
		}
		if t.Failed() {
			t.Logf("supervisor stdout:\n%s\nsupervisor stderr:\n%s", s.out, s.err)
		}
	})
}

// noOrphans fails the test when a worker the supervisor reported still
// runs once the supervisor is gone (a killed process takes a moment).
func (s *sup) noOrphans() {
	s.t.Helper()
	deadline := time.Now().Add(waitLimit)
	for pid := range s.pids {
		for testkit.Alive(pid) {
			if time.Now().After(deadline) {
				s.t.Errorf("worker %d still runs after the supervisor ended", pid)
				syscall.Kill(pid, syscall.SIGKILL)
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// waitLog waits until the supervisor's stderr holds substr n times.
func (s *sup) waitLog(substr string, n int) {
	s.t.Helper()
	deadline := time.Now().Add(waitLimit)
	for strings.Count(s.err.String(), substr) < n {
		select {
		case <-s.done:
			s.t.Fatalf("the supervisor exited (%v) before logging %q %d times", s.waitErr, substr, n)
		default:
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("no %d× %q in the supervisor's log within %v", n, substr, waitLimit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ctl runs `spawnkit ctl --control … ARGS` and returns its stdout.
func (s *sup) ctl(args ...string) (string, error) {
	cmd := exec.Command(bin, append([]string{"ctl", "--control", s.control}, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out), fmt.Errorf("spawnkit ctl %s: %w: %s", strings.Join(args, " "), err, stderr.String())
	}
	return string(out), nil
}

func (s *sup) status() status {
	s.t.Helper()
	st, err := s.tryStatus()
	if err != nil {
		s.t.Fatal(err)
	}
	return st
}

func (s *sup) tryStatus() (status, error) {
	var st status
	out, err := s.ctl("status", "--json")
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		return st, fmt.Errorf("status --json: %v\n%s", err, out)
	}
	for _, w := range st.Workers {
		if w.Pid != 0 {
			s.pids[w.Pid] = true
		}
	}
	return st, nil
}

// waitReady waits until the supervisor has n workers, all ready, and
// returns their pids by slot.
func (s *sup) waitReady(n int) []int {
	s.t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		st, err := s.tryStatus()
		if err != nil {
			select {
			case <-s.done:
				s.t.Fatalf("the supervisor exited: %v", s.waitErr)
			default:
			}
			if time.Now().After(deadline) {
				s.t.Fatal(err)
			}
			time.Sleep(50 * time.Millisecond)
			continue
		}
		var pids []int
		for _, w := range st.Workers {
			if w.State == "ready" {
				pids = append(pids, w.Pid)
			}
		}
		if len(pids) == n && len(st.Workers) == n {
			return pids
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("not %d ready workers within %v: %+v", n, waitLimit, st.Workers)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *sup) addr(name string) string {
	s.t.Helper()
	for _, l := range s.status().Listeners {
		if l.Name == name {
			return l.Addr
		}
	}
	s.t.Fatalf("no listener %q", name)
	return ""
}

// stop sends SIGTERM and returns the exit code.
func (s *sup) stop() int {
	s.t.Helper()
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(waitLimit):
		s.t.Fatalf("the supervisor did not stop within %v of SIGTERM", waitLimit)
	}
	return s.cmd.ProcessState.ExitCode()
}

// get fetches url once, on a new connection.
func get(url string) (string, error) {
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: waitLimit}
	resp, err := c.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return string(b), fmt.Errorf("status %d", resp.StatusCode)
	}
	return string(b), err
}

// loadResult is what clients saw during a load run.
type loadResult struct {
	mu        sync.Mutex
	ok        int
	failed    []string
	latencies []time.Duration
	bodies    map[string]int // first word of the body (the generation) → count
	pids      map[int]int    // second word of the body (the worker's pid) → count
	marks     []int          // len(latencies) at each mark
	done      chan struct{}  // closed when every client returned
}

// load runs clients GETting url on new connections until ctx ends.
func load(ctx context.Context, url string, clients int) *loadResult {
	r := &loadResult{bodies: map[string]int{}, pids: map[int]int{}, done: make(chan struct{})}
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tr := &http.Transport{DisableKeepAlives: true}
			defer tr.CloseIdleConnections()
			// A slow answer is not a lost request: on a loaded machine a
			// Python worker among 16 clients may take many seconds.
			c := &http.Client{Transport: tr, Timeout: waitLimit}
			for ctx.Err() == nil {
				t0 := time.Now()
				resp, err := c.Get(url)
				var body []byte
				if err == nil {
					body, err = io.ReadAll(resp.Body)
					resp.Body.Close()
					if err == nil && resp.StatusCode != 200 {
						err = fmt.Errorf("status %d", resp.StatusCode)
					}
				}
				d := time.Since(t0)
				r.mu.Lock()
				if err != nil {
					if len(r.failed) < 20 {
						r.failed = append(r.failed, err.Error())
					} else {
						r.failed = append(r.failed, "")
					}
				} else {
					r.ok++
					r.latencies = append(r.latencies, d)
					f := strings.Fields(string(body))
					if len(f) > 0 {
						r.bodies[f[0]]++
					}
					if len(f) > 1 {
						if pid, err := strconv.Atoi(f[1]); err == nil {
							r.pids[pid]++
						}
					}
				}
				r.mu.Unlock()
			}
		}()
	}
	go func() { wg.Wait(); close(r.done) }()
	return r
}

// wait waits for the clients to finish their last request.
func (r *loadResult) wait() { <-r.done }

// mark records a point in the request stream (for latency by phase).
func (r *loadResult) mark() {
	r.mu.Lock()
	r.marks = append(r.marks, len(r.latencies))
	r.mu.Unlock()
}

func p99(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[(len(s)*99)/100]
}

func (r *loadResult) check(t *testing.T) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.failed) > 0 {
		t.Errorf("%d of %d requests failed; the first: %q", len(r.failed), r.ok+len(r.failed), r.failed[:min(len(r.failed), 5)])
	}
	if r.ok == 0 {
		t.Errorf("no request succeeded")
	}
}

// pidOf returns the pid a worker's answer names.
func pidOf(t *testing.T, body string) int {
	t.Helper()
	f := strings.Fields(body)
	if len(f) < 2 {
		t.Fatalf("answer %q: want GEN PID …", body)
	}
	pid, err := strconv.Atoi(f[1])
	if err != nil {
		t.Fatalf("answer %q: %v", body, err)
	}
	return pid
}

// runBin runs the spawnkit binary to its end and returns its combined
// output and exit code.
func runBin(args ...string) (string, int) {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "XDG_RUNTIME_DIR="+os.TempDir())
	out, _ := cmd.CombinedOutput()
	return string(out), cmd.ProcessState.ExitCode()
}
