//go:build unix

package main_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/spawnkit/spawnkit/childproc"
	"github.com/spawnkit/spawnkit/internal/testkit"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// server is the example running as a real process.
type server struct {
	proc   *childproc.Process
	url    string
	stderr chan string // the server's (and its workers') stderr, line by line
}

func start(t *testing.T, args ...string) *server {
	t.Helper()
	bin := testkit.BuildMain(t, ".")

	proc, err := childproc.Spawn(context.Background(), bin, append([]string{"-addr", "127.0.0.1:0"}, args...), &childproc.Options{Stdin: childproc.Ignore})
	require.NoError(t, err)
	s := &server{proc: proc, stderr: make(chan string, 100)}
	t.Cleanup(func() {
		// Only does something when the test failed half-way; the workers
		// die with the server (parent-death signal).
		proc.Kill()
		proc.Wait()
	})
	go func() {
		defer close(s.stderr)
		sc := bufio.NewScanner(proc.Stderr)
		for sc.Scan() {
			s.stderr <- sc.Text()
		}
		io.Copy(io.Discard, proc.Stderr)
	}()
	stdout := bufio.NewReader(proc.Stdout)
	line, err := stdout.ReadString('\n')
	require.NoError(t, err)
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
	require.True(t, ok, "first line: %q", line)
	s.url = url
	go io.Copy(io.Discard, stdout)
	return s
}

// client opens a connection per request, so none is left behind for goleak.
var client = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

// get returns the body of a GET.
func (s *server) get(path string) (string, error) {
	resp, err := client.Get(s.url + path)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("%s: %s", resp.Status, b)
	}
	return string(b), err
}

// getAsync runs get in a goroutine.
func (s *server) getAsync(path string) <-chan string {
	ch := make(chan string, 1)
	go func() {
		body, err := s.get(path)
		if err != nil {
			body = "error: " + err.Error()
		}
		ch <- body
	}()
	return ch
}

var workerLine = regexp.MustCompile(`^compute: worker pid (\d+): summing (\d+) numbers$`)

// waitWorker returns the pid of the worker that logged it started summing n
// numbers.
func (s *server) waitWorker(t *testing.T, n int64) int {
	t.Helper()
	for line := range s.stderr {
		m := workerLine.FindStringSubmatch(line)
		if m == nil {
			t.Logf("server stderr: %s", line)
			continue
		}
		if m[2] == strconv.FormatInt(n, 10) {
			pid, _ := strconv.Atoi(m[1])
			return pid
		}
	}
	t.Fatalf("server stderr ended before a worker started summing %d numbers", n)
	return 0
}

// stop ends the server gracefully and checks it exits 0.
func (s *server) stop(t *testing.T) {
	t.Helper()
	require.NoError(t, s.proc.Signal(syscall.SIGTERM))
	require.NoError(t, s.proc.Wait())
	for range s.stderr {
	}
}

// procState returns the state letter of pid in /proc ("" when gone).
func procState(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ""
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || len(b) < i+3 {
		return ""
	}
	return string(b[i+2])
}

// sum is what /compute answers for n.
func sum(n int64) string { return fmt.Sprintf("Sum is %d\n", n*(n-1)/2) }

func TestComputeAnswersTheSum(t *testing.T) {
	s := start(t, "-workers", "1", "-n", "1000")
	body, err := s.get("/compute")
	require.NoError(t, err)
	assert.Equal(t, "Sum is 499500\n", body)
	body, err = s.get("/compute?n=10")
	require.NoError(t, err)
	assert.Equal(t, "Sum is 45\n", body)
	_, err = s.get("/compute?n=ten")
	assert.ErrorContains(t, err, "400 Bad Request: n must be a non-negative integer")
	body, err = s.get("/")
	require.NoError(t, err)
	assert.Equal(t, "Ok\n", body)
	s.stop(t)
}

// TestRootAnswersWhileComputeRuns proves / does not wait for /compute by
// order, not by timing: both workers are frozen (SIGSTOP) in the middle of
// their sums, so neither /compute can finish, and / still answers; then
// they are let go and the sums are exact.
func TestRootAnswersWhileComputeRuns(t *testing.T) {
	s := start(t, "-workers", "2")
	// Three times the material's 1e9: long enough that the workers are
	// caught mid-sum; n(n-1) still fits in an int64.
	const n1, n2 = 3_000_000_000, 3_000_000_001
	slow1 := s.getAsync("/compute?n=" + strconv.Itoa(n1))
	pid1 := s.waitWorker(t, n1)
	require.NoError(t, syscall.Kill(pid1, syscall.SIGSTOP))
	slow2 := s.getAsync("/compute?n=" + strconv.Itoa(n2))
	pid2 := s.waitWorker(t, n2)
	require.NoError(t, syscall.Kill(pid2, syscall.SIGSTOP))
	require.NotEqual(t, pid1, pid2)
	require.Eventually(t, func() bool { return procState(pid1) == "T" && procState(pid2) == "T" }, 30*time.Second, 5*time.Millisecond)

	body, err := s.get("/")
	require.NoError(t, err)
	assert.Equal(t, "Ok\n", body)
	// / has answered while both /compute requests are still pending and
	// their workers still exist, frozen mid-sum.
	select {
	case b := <-slow1:
		t.Fatalf("/compute?n=%d answered while its worker was stopped: %q", n1, b)
	case b := <-slow2:
		t.Fatalf("/compute?n=%d answered while its worker was stopped: %q", n2, b)
	default:
	}
	assert.Equal(t, "T", procState(pid1))
	assert.Equal(t, "T", procState(pid2))

	require.NoError(t, syscall.Kill(pid1, syscall.SIGCONT))
	require.NoError(t, syscall.Kill(pid2, syscall.SIGCONT))
	assert.Equal(t, sum(n1), <-slow1)
	assert.Equal(t, sum(n2), <-slow2)

	s.stop(t)
	assert.Equal(t, "", procState(pid1), "worker gone after shutdown")
	assert.Equal(t, "", procState(pid2), "worker gone after shutdown")
}
