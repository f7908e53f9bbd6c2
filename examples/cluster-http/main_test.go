//go:build unix

package main_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/spawnkit/spawnkit/internal/load"
	"github.com/spawnkit/spawnkit/internal/testkit"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// server is a running cluster-http.
type server struct {
	t      *testing.T
	cmd    *exec.Cmd
	stdout testkit.SyncBuffer
	stderr testkit.SyncBuffer
	waited chan struct{}
	err    error
}

func startServer(t *testing.T, cmd *exec.Cmd) *server {
	t.Helper()
	s := &server{t: t, cmd: cmd, waited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = &s.stdout, &s.stderr
	require.NoError(t, cmd.Start())
	go func() {
		s.err = cmd.Wait()
		close(s.waited)
	}()
	t.Cleanup(func() {
		select {
		case <-s.waited:
		default:
			cmd.Process.Kill()
			<-s.waited
		}
	})
	return s
}

// waitOutput waits until stdout matches re, and returns the submatches.
func (s *server) waitOutput(re string, within time.Duration) []string {
	s.t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if m := rx.FindStringSubmatch(s.stdout.String()); m != nil {
			return m
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.t.Fatalf("no %q in stdout within %v:\n%s\nstderr:\n%s", re, within, s.stdout.String(), s.stderr.String())
	return nil
}

// count returns how many times re matches stdout.
func (s *server) count(re string) int {
	return len(regexp.MustCompile(re).FindAllString(s.stdout.String(), -1))
}

// waitExit waits for the program to exit and returns its exit code.
func (s *server) waitExit(within time.Duration) int {
	s.t.Helper()
	select {
	case <-s.waited:
	case <-time.After(within):
		s.t.Fatalf("did not exit within %v; stdout:\n%s", within, s.stdout.String())
	}
	return s.cmd.ProcessState.ExitCode()
}

// get fetches url n times and returns the worker pids that answered.
func get(t *testing.T, url string, n int) map[int]int {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
	pids := map[int]int{}
	rx := regexp.MustCompile(`^Handled by worker (\d+) \(users: (-?\d+)\)\n$`)
	for range n {
		resp, err := client.Get(url)
		require.NoError(t, err)
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		require.Equal(t, 200, resp.StatusCode)
		m := rx.FindStringSubmatch(string(body))
		require.NotNil(t, m, "body %q", body)
		pid, _ := strconv.Atoi(m[1])
		pids[pid]++
	}
	return pids
}

// workerPids returns the pids of the workers the primary reported ready
// and that have not exited.
func workerPids(stdout string) map[int]bool {
	out := map[int]bool{}
	for _, m := range regexp.MustCompile(`(ready|exit) worker \d+ \(slot \d+, pid (\d+)\)`).FindAllStringSubmatch(stdout, -1) {
		pid, _ := strconv.Atoi(m[2])
		out[pid] = m[1] == "ready"
	}
	for pid, alive := range out {
		if !alive {
			delete(out, pid)
		}
	}
	return out
}

func TestServeReloadOnSIGUSR2AndDrainOnSIGTERM(t *testing.T) {
	s := startServer(t, exec.Command(testkit.BuildMain(t, "."), "-workers", "2", "-addr", "127.0.0.1:0", "-broadcast", "50ms"))
	url := s.waitOutput(`listening on (http://\S+)`, 60*time.Second)[1]
	s.waitOutput(`(?s)ready worker.*ready worker`, 60*time.Second)
	before := workerPids(s.stdout.String())
	require.Len(t, before, 2)
	for pid := range get(t, url, 20) {
		assert.True(t, before[pid], "pid %d is not a worker: %v", pid, before)
	}
	// The users count reaches the workers.
	s.waitOutput(`primary \d+: fork`, time.Second)
	time.Sleep(200 * time.Millisecond)
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Get(url)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.NotContains(t, string(body), "users: -1")

	// A rolling restart under load: no request fails.
	ctx, stopLoad := context.WithCancel(context.Background())
	loaded := make(chan load.Result, 1)
	go func() {
		res, err := load.Run(ctx, load.Config{URL: url, Concurrency: 4})
		assert.NoError(t, err)
		loaded <- res
	}()
	time.Sleep(200 * time.Millisecond)
	require.NoError(t, s.cmd.Process.Signal(syscall.SIGUSR2))
	s.waitOutput(`(?s)(exit worker \d+ \(slot \d+, pid \d+\) code=0 stopped.*){2}`, 60*time.Second)
	time.Sleep(200 * time.Millisecond)
	stopLoad()
	res := <-loaded
	t.Logf("during SIGUSR2: %v", res)
	assert.Zero(t, res.Failed, "%v", res.Errors)
	assert.Greater(t, res.OK, 10)
	after := workerPids(s.stdout.String())
	require.Len(t, after, 2, s.stdout.String())
	for pid := range before {
		assert.False(t, after[pid], "old worker %d still listed", pid)
	}
	for pid := range get(t, url, 20) {
		assert.True(t, after[pid], "pid %d is not a new worker: %v", pid, after)
	}

	require.NoError(t, s.cmd.Process.Signal(syscall.SIGTERM))
	assert.Equal(t, 0, s.waitExit(60*time.Second), "stderr: %s", s.stderr.String())
	assert.Contains(t, s.stdout.String(), "all workers stopped, exiting")
	assert.Equal(t, 4, s.count(`code=0 stopped`), s.stdout.String())
	assert.Empty(t, s.stderr.String())
}

func TestCrashingWorkersAreReplaced(t *testing.T) {
	s := startServer(t, exec.Command(testkit.BuildMain(t, "."), "-workers", "2", "-addr", "127.0.0.1:0", "-crash"))
	url := s.waitOutput(`listening on (http://\S+)`, 60*time.Second)[1]
	s.waitOutput(`exit worker \d+ \(slot \d+, pid \d+\) code=1`, 60*time.Second)
	s.waitOutput(`fork worker 3 `, 60*time.Second)
	// The service answers (retrying: a worker may die under a request).
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
	ok := false
	for i := 0; i < 50 && !ok; i++ {
		if resp, err := client.Get(url); err == nil {
			ok = resp.StatusCode == 200
			resp.Body.Close()
		}
	}
	assert.True(t, ok)
	assert.Contains(t, s.stderr.String(), "dying at random")
	require.NoError(t, s.cmd.Process.Signal(syscall.SIGINT))
	assert.Equal(t, 0, s.waitExit(60*time.Second))
}

func TestSystemdSocketActivation(t *testing.T) {
	// Play systemd: open the socket, pass it as fd 3 with LISTEN_FDS=1 and
	// LISTEN_PID set to the pid the program will have (sh execs it).
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	f, err := ln.(*net.TCPListener).File()
	require.NoError(t, err)
	ln.Close()
	cmd := exec.Command("/bin/sh", "-c", `LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" "$@"`, testkit.BuildMain(t, "."), "-workers", "2", "-addr", addr)
	cmd.ExtraFiles = []*os.File{f}
	s := startServer(t, cmd)
	f.Close()
	s.waitOutput(`(?s)ready worker.*ready worker`, 60*time.Second)
	pids := get(t, "http://"+addr, 20)
	assert.NotEmpty(t, pids)
	// The environment variables were consumed by the primary, and the
	// socket is the one systemd passed: the primary opened none.
	out, err := exec.Command("ss", "-Hltn", "sport = :"+addr[strings.LastIndexByte(addr, ':')+1:]).Output()
	if err == nil {
		assert.Equal(t, 1, strings.Count(string(out), "LISTEN"), "one listening socket: %s", out)
	}
	require.NoError(t, s.cmd.Process.Signal(syscall.SIGTERM))
	assert.Equal(t, 0, s.waitExit(60*time.Second))
}
