//go:build unix

package pool_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/spawnkit/spawnkit/childproc"
	"github.com/spawnkit/spawnkit/internal/testkit"
	"github.com/spawnkit/spawnkit/ipc"
	"github.com/spawnkit/spawnkit/pool"
)

const testRole = "pool-test.ops"

const neverReadyRole = "pool-test.never-ready"

func TestMain(m *testing.M) {
	pool.Register(testRole, ops)
	// A role that never reports ready: not registered with pool.Register.
	childproc.Register(neverReadyRole, func(ctx context.Context, _ *ipc.Channel) error {
		<-ctx.Done()
		return nil
	})
	if childproc.Init() {
		return
	}
	goleak.VerifyTestMain(m)
}

// op is a task for the ops handler.
type op struct {
	Op      string `json:"op"`
	N       int    `json:"n,omitempty"`
	Msg     string `json:"msg,omitempty"`
	Code    int    `json:"code,omitempty"`
	Started string `json:"started,omitempty"` // FIFO: the handler writes its pid to it once running
	Release string `json:"release,omitempty"` // FIFO: the handler waits for EOF on it
	Marker  string `json:"marker,omitempty"`
}

// ops is the handler the test workers run; it runs in the worker process.
func ops(ctx context.Context, task ipc.Message) (any, error) {
	var o op
	if err := task.Decode(&o); err != nil {
		return nil, err
	}
	if o.Started != "" {
		if err := os.WriteFile(o.Started, []byte(strconv.Itoa(os.Getpid())), 0); err != nil {
			return nil, err
		}
	}
	switch o.Op {
	case "square":
		return o.N * o.N, nil
	case "pid":
		return os.Getpid(), nil
	case "getenv":
		return os.Getenv(o.Msg), nil
	case "echo":
		return o.Msg, nil
	case "raw": // Msg as raw JSON, valid or not
		return ipc.Message(o.Msg), nil
	case "self":
		return task, nil
	case "fail":
		return nil, errors.New(o.Msg)
	case "exit":
		os.Exit(o.Code)
	case "panic":
		panic(o.Msg)
	case "sigkill":
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {}
	case "deep": // N nested arrays, as raw JSON
		return ipc.Message(strings.Repeat("[", o.N) + strings.Repeat("]", o.N)), nil
	case "big": // a string of N bytes
		return strings.Repeat("x", o.N), nil
	case "sleepms": // N ms, or until ctx ends
		select {
		case <-time.After(time.Duration(o.N) * time.Millisecond):
			return o.N, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	case "hang": // ignores ctx
		select {}
	case "treehang": // starts `sleep 1000` (in a session of its own when N is 1), writes its pid to Marker, ignores ctx
		cmd := exec.Command("sleep", "1000")
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: o.N == 1}
		if err := cmd.Start(); err != nil {
			return nil, err
		}
		if err := os.WriteFile(o.Marker, []byte(strconv.Itoa(cmd.Process.Pid)), 0o600); err != nil {
			return nil, err
		}
		select {}
	case "deadline":
		dl, ok := ctx.Deadline()
		return map[string]any{"ok": ok, "ms": time.Until(dl).Milliseconds()}, nil
	case "gate":
		if _, err := os.ReadFile(o.Release); err != nil {
			return nil, err
		}
		return map[string]int{"pid": os.Getpid(), "n": o.N}, nil
	case "waitctx":
		<-ctx.Done()
		return "cancelled", nil
	case "hangonce":
		f, err := os.OpenFile(o.Marker, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err == nil {
			f.Close()
			select {}
		}
		return os.Getpid(), nil
	case "crashonce":
		f, err := os.OpenFile(o.Marker, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err == nil {
			f.Close()
			os.Exit(7)
		}
		return os.Getpid(), nil
	}
	return nil, fmt.Errorf("unknown op %q", o.Op)
}

// gate is one pair of FIFOs that hold a "gate" task: the test learns when
// the task runs (and in which pid) and decides when it ends.
type gate struct {
	started, release string
}

func newGate(t *testing.T) gate {
	t.Helper()
	dir := t.TempDir()
	g := gate{started: dir + "/started", release: dir + "/release"}
	require.NoError(t, syscall.Mkfifo(g.started, 0o600))
	require.NoError(t, syscall.Mkfifo(g.release, 0o600))
	return g
}

// waitStarted blocks until the handler runs and returns its pid.
func (g gate) waitStarted(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile(g.started)
	require.NoError(t, err)
	pid, err := strconv.Atoi(string(b))
	require.NoError(t, err)
	return pid
}

// open lets the handler return.
func (g gate) open(t *testing.T) {
	t.Helper()
	require.NoError(t, os.WriteFile(g.release, nil, 0))
}

func (g gate) task(n int) op { return op{Op: "gate", N: n, Started: g.started, Release: g.release} }

// result is what an asynchronous Submit returned.
type result struct {
	msg ipc.Message
	err error
}

// submitAsync runs Submit in a goroutine.
func submitAsync(ctx context.Context, p *pool.Pool, task any) <-chan result {
	ch := make(chan result, 1)
	go func() {
		m, err := p.Submit(ctx, task)
		ch <- result{m, err}
	}()
	return ch
}

// decodeInt decodes an integer result.
func decodeInt(t *testing.T, m ipc.Message) int {
	t.Helper()
	var n int
	require.NoError(t, m.Decode(&n), "result %s", m)
	return n
}

// pidOf asks a pool of one worker for its pid.
func pidOf(t *testing.T, p *pool.Pool) int {
	t.Helper()
	m, err := p.Submit(context.Background(), op{Op: "pid"})
	require.NoError(t, err)
	return decodeInt(t, m)
}

// requireNoChildren checks, after Close, that no worker is left: no child
// process at all, running or zombie.
func requireNoChildren(t *testing.T) {
	t.Helper()
	require.Empty(t, testkit.Zombies(), "zombie children")
	require.Empty(t, testkit.Children(), "children left")
}
