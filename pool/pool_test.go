//go:build unix

package pool_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spawnkit/spawnkit/childproc"
	"github.com/spawnkit/spawnkit/internal/testkit"
	"github.com/spawnkit/spawnkit/pool"
)

// eventually is the patience for state the test waits for; it bounds
// waiting, it asserts nothing about speed.
const eventually, tick = 30 * time.Second, 5 * time.Millisecond

func newPool(t *testing.T, opts *pool.Options) *pool.Pool {
	t.Helper()
	p, err := pool.New(context.Background(), testRole, opts)
	require.NoError(t, err)
	killAtCleanup(t, p)
	require.Len(t, p.Stats().Pids, opts.Workers)
	return p
}

// killAtCleanup closes p at the end of the test with an ended ctx (its
// workers are killed and reaped) if the test did not close it, so that a
// test that fails half-way leaves no worker for the next tests'
// requireNoChildren to trip on.
func killAtCleanup(t *testing.T, p *pool.Pool) {
	t.Cleanup(func() {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		p.Close(ctx)
	})
}

func closePool(t *testing.T, p *pool.Pool) {
	t.Helper()
	require.NoError(t, p.Close(context.Background()))
	assert.Empty(t, p.Stats().Pids)
	requireNoChildren(t)
}

func TestResultsCorrectAndInOrderPerCaller(t *testing.T) {
	p := newPool(t, &pool.Options{Workers: 3, Queue: 2})
	const callers, each = 5, 20
	got := make([][]int, callers)
	errs := make([]error, callers)
	var wg sync.WaitGroup
	for c := range callers {
		wg.Go(func() {
			for i := range each {
				m, err := p.Submit(context.Background(), op{Op: "square", N: c*100 + i})
				if err != nil {
					errs[c] = err
					return
				}
				var n int
				if err := m.Decode(&n); err != nil {
					errs[c] = err
					return
				}
				got[c] = append(got[c], n)
			}
		})
	}
	wg.Wait()
	for c := range callers {
		require.NoError(t, errs[c])
		want := make([]int, each)
		for i := range want {
			want[i] = (c*100 + i) * (c*100 + i)
		}
		assert.Equal(t, want, got[c], "caller %d", c)
	}
	closePool(t, p)
}

func TestWorkersAreDistinctProcessesRunningInParallel(t *testing.T) {
	const k = 3
	p := newPool(t, &pool.Options{Workers: k})
	gates := make([]gate, k)
	results := make([]<-chan result, k)
	for i := range gates {
		gates[i] = newGate(t)
		results[i] = submitAsync(context.Background(), p, gates[i].task(i))
	}
	// Every task is running before any of them is allowed to end: that
	// takes k processes at once.
	pids := map[int]bool{}
	for _, g := range gates {
		pids[g.waitStarted(t)] = true
	}
	require.Len(t, pids, k, "distinct worker pids")
	assert.NotContains(t, pids, os.Getpid())
	for _, pid := range p.Stats().Pids {
		assert.True(t, pids[pid], "pool worker %d ran a task", pid)
	}
	assert.Equal(t, k, p.Stats().Busy)
	for i, g := range gates {
		g.open(t)
		r := <-results[i]
		require.NoError(t, r.err)
		var out struct{ Pid, N int }
		require.NoError(t, r.msg.Decode(&out))
		assert.Equal(t, i, out.N)
		assert.True(t, pids[out.Pid])
	}
	closePool(t, p)
}

func TestHandlerErrorKeepsWorker(t *testing.T) {
	p := newPool(t, &pool.Options{Workers: 1})
	pid := pidOf(t, p)
	_, err := p.Submit(context.Background(), op{Op: "fail", Msg: "boom: no such widget"})
	var te *pool.TaskError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, "boom: no such widget", te.Message)
	assert.Equal(t, pid, te.Pid)
	assert.Equal(t, fmt.Sprintf("pool: task failed in worker pid %d (role %s): boom: no such widget", pid, testRole), err.Error())
	assert.Equal(t, pid, pidOf(t, p), "same worker after a handler error")

	// A task the handler cannot decode is a handler error too.
	_, err = p.Submit(context.Background(), []int{1})
	require.ErrorAs(t, err, &te)
	assert.Contains(t, te.Message, "cannot unmarshal array")
	closePool(t, p)
}

func TestCrashFailsTaskAndReplacesWorker(t *testing.T) {
	for _, tc := range []struct {
		name   string
		task   op
		code   int
		signal syscall.Signal
		status string
		stderr string
	}{
		{"exit", op{Op: "exit", Code: 3}, 3, 0, "exit status 3", ""},
		{"panic", op{Op: "panic", Msg: "handler blew up"}, 2, 0, "exit status 2", "panic: handler blew up"},
		{"sigkill", op{Op: "sigkill"}, -1, syscall.SIGKILL, "signal 9 (killed)", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr testkit.SyncBuffer
			p := newPool(t, &pool.Options{Workers: 1, Child: &childproc.Options{Stderr: childproc.Writer(&stderr)}})
			pid1 := pidOf(t, p)

			_, err := p.Submit(context.Background(), tc.task)
			require.ErrorIs(t, err, pool.ErrWorkerCrashed)
			var we *pool.WorkerError
			require.ErrorAs(t, err, &we)
			assert.Equal(t, pid1, we.Pid)
			assert.Equal(t, tc.code, we.ExitCode)
			assert.Equal(t, tc.signal, we.Signal)
			assert.Equal(t, 1, we.Attempt)
			assert.Equal(t, fmt.Sprintf("pool: worker pid %d (role %s) crashed while running a task: %s", pid1, testRole, tc.status), err.Error())
			assert.False(t, testkit.Exists(pid1), "crashed worker reaped")

			// Replaced without waiting for a task, and the replacement works.
			var pids []int
			require.Eventually(t, func() bool { pids = p.Stats().Pids; return len(pids) == 1 }, eventually, tick)
			assert.NotEqual(t, pid1, pids[0])
			assert.Equal(t, pids[0], pidOf(t, p))
			m, err := p.Submit(context.Background(), op{Op: "square", N: 12})
			require.NoError(t, err)
			assert.Equal(t, 144, decodeInt(t, m))
			closePool(t, p)
			assert.Contains(t, stderr.String(), tc.stderr)
		})
	}
}

func TestTimeoutKillsAndReplacesWorker(t *testing.T) {
	// The limit only has to be longer than a trivial task takes.
	const limit = 2 * time.Second
	p := newPool(t, &pool.Options{Workers: 1, TaskTimeout: limit})
	pid1 := pidOf(t, p)

	_, err := p.Submit(context.Background(), op{Op: "hang"})
	require.ErrorIs(t, err, pool.ErrTaskTimeout)
	assert.NotErrorIs(t, err, pool.ErrWorkerCrashed)
	var we *pool.WorkerError
	require.ErrorAs(t, err, &we)
	assert.Equal(t, pid1, we.Pid)
	assert.Equal(t, syscall.SIGKILL, we.Signal)
	assert.Equal(t, fmt.Sprintf("pool: task timed out after 2s: worker pid %d (role %s) signal 9 (killed)", pid1, testRole), err.Error())
	assert.False(t, testkit.Exists(pid1), "timed-out worker reaped")

	pid2 := pidOf(t, p)
	assert.NotEqual(t, pid1, pid2)
	assert.Equal(t, []int{pid2}, p.Stats().Pids)
	closePool(t, p)
}

func TestRetryRunsTaskAgainOnANewWorker(t *testing.T) {
	p := newPool(t, &pool.Options{Workers: 1, Retry: true, Child: &childproc.Options{Stderr: childproc.Ignore}})
	pid1 := pidOf(t, p)

	// The first attempt creates the marker and crashes; the retry finds it.
	marker := filepath.Join(t.TempDir(), "marker")
	m, err := p.Submit(context.Background(), op{Op: "crashonce", Marker: marker})
	require.NoError(t, err)
	pid2 := decodeInt(t, m)
	assert.NotEqual(t, pid1, pid2)
	assert.FileExists(t, marker)
	assert.Equal(t, []int{pid2}, p.Stats().Pids)

	// A task that crashes every time fails after two attempts.
	_, err = p.Submit(context.Background(), op{Op: "exit", Code: 9})
	require.ErrorIs(t, err, pool.ErrWorkerCrashed)
	var we *pool.WorkerError
	require.ErrorAs(t, err, &we)
	assert.Equal(t, 2, we.Attempt)
	assert.Equal(t, 9, we.ExitCode)
	assert.NotEqual(t, pid2, we.Pid, "the second attempt ran on the replacement")
	assert.Contains(t, err.Error(), "exit status 9 (attempt 2)")

	// A handler error is not retried.
	_, err = p.Submit(context.Background(), op{Op: "fail", Msg: "once"})
	var te *pool.TaskError
	require.ErrorAs(t, err, &te)
	pid3 := pidOf(t, p)
	assert.Equal(t, te.Pid, pid3)
	closePool(t, p)
}

func TestRetryAfterTimeout(t *testing.T) {
	p := newPool(t, &pool.Options{Workers: 1, Retry: true, TaskTimeout: 2 * time.Second})
	pid1 := pidOf(t, p)
	marker := filepath.Join(t.TempDir(), "marker")
	m, err := p.Submit(context.Background(), op{Op: "hangonce", Marker: marker})
	require.NoError(t, err)
	pid2 := decodeInt(t, m)
	assert.NotEqual(t, pid1, pid2)
	assert.False(t, testkit.Exists(pid1), "timed-out worker reaped")
	closePool(t, p)
}

func TestSubmitBlocksWhileQueueFull(t *testing.T) {
	p := newPool(t, &pool.Options{Workers: 1, Queue: 1})
	a, b := newGate(t), newGate(t)

	resA := submitAsync(context.Background(), p, a.task(1))
	a.waitStarted(t) // the only worker is busy with A
	resB := submitAsync(context.Background(), p, b.task(2))
	require.Eventually(t, func() bool { return p.Stats().Queued == 1 }, eventually, tick, "B waits in the queue")

	// The queue is full: C blocks in Submit, outside the queue.
	resC := submitAsync(context.Background(), p, op{Op: "square", N: 7})
	require.Eventually(t, func() bool { return p.Stats().Waiting == 1 }, eventually, tick, "C blocked")

	// D blocks too, and leaves with exactly its ctx's error when that ends.
	ctxD, cancelD := context.WithCancel(context.Background())
	resD := submitAsync(ctxD, p, op{Op: "square", N: 8})
	require.Eventually(t, func() bool { return p.Stats().Waiting == 2 }, eventually, tick, "D blocked")
	cancelD()
	rD := <-resD
	assert.Equal(t, context.Canceled, rD.err)
	assert.Nil(t, rD.msg)
	st := p.Stats()
	assert.Equal(t, 1, st.Waiting)
	assert.Equal(t, 1, st.Queued)
	select {
	case r := <-resC:
		t.Fatalf("C returned while A and B held the pool: %+v", r)
	default:
	}

	// A ends; the worker takes B, which frees the queue slot C gets.
	a.open(t)
	require.NoError(t, (<-resA).err)
	b.waitStarted(t)
	require.Eventually(t, func() bool { st := p.Stats(); return st.Waiting == 0 && st.Queued == 1 }, eventually, tick, "C queued once B left the queue")
	select {
	case r := <-resC:
		t.Fatalf("C returned while B runs: %+v", r)
	default:
	}
	b.open(t)
	require.NoError(t, (<-resB).err)
	rC := <-resC
	require.NoError(t, rC.err)
	assert.Equal(t, 49, decodeInt(t, rC.msg))
	closePool(t, p)
}

func TestSubmitCtxEndsWhileRunning(t *testing.T) {
	p := newPool(t, &pool.Options{Workers: 1, Queue: 1})
	g := newGate(t)
	ctx, cancel := context.WithCancel(context.Background())
	res := submitAsync(ctx, p, op{Op: "waitctx", Started: g.started})
	pid := g.waitStarted(t)
	cancel()
	r := <-res
	assert.Equal(t, context.Canceled, r.err)
	// The worker only takes the next task once the handler returned, which
	// it does only when its ctx is cancelled: the same worker answers.
	assert.Equal(t, pid, pidOf(t, p))

	// A task whose caller gave up while it was queued never runs.
	a := newGate(t)
	resA := submitAsync(context.Background(), p, a.task(1))
	a.waitStarted(t)
	ctx2, cancel2 := context.WithCancel(context.Background())
	marker := filepath.Join(t.TempDir(), "marker")
	res2 := submitAsync(ctx2, p, op{Op: "crashonce", Marker: marker})
	require.Eventually(t, func() bool { return p.Stats().Queued == 1 }, eventually, tick)
	cancel2()
	assert.Equal(t, context.Canceled, (<-res2).err)
	a.open(t)
	require.NoError(t, (<-resA).err)
	assert.Equal(t, pid, pidOf(t, p))
	assert.NoFileExists(t, marker)
	closePool(t, p)
}

func TestCloseDrainsQueueThenStops(t *testing.T) {
	p := newPool(t, &pool.Options{Workers: 1, Queue: 4})
	pid := p.Stats().Pids[0]
	a := newGate(t)
	resA := submitAsync(context.Background(), p, a.task(1))
	a.waitStarted(t)
	var queued []<-chan result
	for n := range 4 {
		queued = append(queued, submitAsync(context.Background(), p, op{Op: "square", N: n + 2}))
	}
	require.Eventually(t, func() bool { return p.Stats().Queued == 4 }, eventually, tick)
	blocked := submitAsync(context.Background(), p, op{Op: "square", N: 100})
	require.Eventually(t, func() bool { return p.Stats().Waiting == 1 }, eventually, tick)

	closed := make(chan error, 1)
	go func() { closed <- p.Close(context.Background()) }()
	done, cancel := context.WithCancel(context.Background())
	cancel()
	require.Eventually(t, func() bool {
		_, err := p.Submit(done, op{Op: "pid"})
		return errors.Is(err, pool.ErrClosed)
	}, eventually, tick, "Submit refused once Close began")
	_, err := p.Submit(context.Background(), op{Op: "pid"})
	assert.Equal(t, pool.ErrClosed, err)
	// A Submit blocked on the full queue is refused too: it was never
	// accepted.
	rb := <-blocked
	assert.Equal(t, pool.ErrClosed, rb.err)
	select {
	case err := <-closed:
		t.Fatalf("Close returned %v while a task ran", err)
	default:
	}

	a.open(t)
	require.NoError(t, <-closed)
	require.NoError(t, (<-resA).err)
	for i, ch := range queued {
		r := <-ch
		require.NoError(t, r.err)
		assert.Equal(t, (i+2)*(i+2), decodeInt(t, r.msg))
	}
	assert.False(t, testkit.Exists(pid))
	assert.Empty(t, p.Stats().Pids)
	requireNoChildren(t)
	assert.Equal(t, pool.ErrClosed, p.Close(context.Background()))
}

func TestCloseCtxEndKillsWorkers(t *testing.T) {
	p := newPool(t, &pool.Options{Workers: 1, Queue: 1})
	pid := p.Stats().Pids[0]
	a := newGate(t)
	resA := submitAsync(context.Background(), p, a.task(1)) // never released
	a.waitStarted(t)
	resB := submitAsync(context.Background(), p, op{Op: "square", N: 3})
	require.Eventually(t, func() bool { return p.Stats().Queued == 1 }, eventually, tick)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.Equal(t, context.Canceled, p.Close(ctx))
	for _, res := range []<-chan result{resA, resB} {
		r := <-res
		require.ErrorIs(t, r.err, pool.ErrClosed)
		assert.ErrorIs(t, r.err, context.Canceled)
	}
	assert.False(t, testkit.Exists(pid))
	requireNoChildren(t)
}

func TestPoolCtxEndStopsPool(t *testing.T) {
	ctx, cancel := context.WithCancelCause(context.Background())
	p, err := pool.New(ctx, testRole, &pool.Options{Workers: 2})
	require.NoError(t, err)
	killAtCleanup(t, p)
	pids := p.Stats().Pids
	require.Len(t, pids, 2)
	cause := errors.New("shutting down")
	cancel(cause)
	require.Eventually(t, func() bool {
		_, err := p.Submit(context.Background(), op{Op: "pid"})
		return errors.Is(err, pool.ErrClosed) && errors.Is(err, cause)
	}, eventually, tick)
	require.NoError(t, p.Close(context.Background()))
	for _, pid := range pids {
		assert.False(t, testkit.Exists(pid))
	}
	requireNoChildren(t)
}

// TestNewRefusesPipeStdio checks that a Pipe stdio in Options.Child, which
// the pool would never read, is an error naming the field, and that no
// worker starts.
func TestNewRefusesPipeStdio(t *testing.T) {
	testkit.NoLeaks(t)
	for _, tc := range []struct {
		child childproc.Options
		field string
	}{
		{childproc.Options{Stdin: childproc.Pipe}, "Stdin"},
		{childproc.Options{Stdout: childproc.Pipe}, "Stdout"},
		{childproc.Options{Stdout: childproc.Ignore, Stderr: childproc.Pipe}, "Stderr"},
	} {
		p, err := pool.New(context.Background(), testRole, &pool.Options{Workers: 1, Child: &tc.child})
		require.Nil(t, p)
		require.EqualError(t, err, "pool: Options.Child."+tc.field+" is Pipe, which the pool would never read or write (use Inherit, Ignore, childproc.File or childproc.Writer)")
	}
}

func TestNewFailsForUnregisteredRole(t *testing.T) {
	_, err := pool.New(context.Background(), "pool-test.nobody", &pool.Options{
		Workers: 2, Child: &childproc.Options{Stderr: childproc.Ignore},
	})
	require.Error(t, err)
	assert.Regexp(t, `pool: worker pid \d+ \(role pool-test.nobody\) ended before it was ready: exit status 2`, err.Error())
	requireNoChildren(t)
}

func TestBadTasks(t *testing.T) {
	p := newPool(t, &pool.Options{Workers: 1})
	_, err := p.Submit(context.Background(), func() {})
	assert.ErrorContains(t, err, "pool: encode task: ipc: json: unsupported type: func()")
	m, err := p.Submit(context.Background(), op{Op: "square", N: -4})
	require.NoError(t, err)
	assert.Equal(t, 16, decodeInt(t, m))
	closePool(t, p)
}

func TestStatsPidsAreWorkers(t *testing.T) {
	p := newPool(t, &pool.Options{Workers: 2})
	pids := p.Stats().Pids
	sort.Ints(pids)
	kids := append(testkit.Children(), testkit.Zombies()...)
	sort.Ints(kids)
	assert.Equal(t, kids, pids)
	closePool(t, p)
}

func TestNewCtxEndsBeforeReady(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := pool.New(ctx, neverReadyRole, &pool.Options{Workers: 2})
	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	requireNoChildren(t)
}

func TestTaskTimeoutKillsWhatTheTaskStarted(t *testing.T) {
	// The worker's whole tree is killed, walked before the worker dies, so
	// a grandchild is found even when it left the worker's session.
	p := newPool(t, &pool.Options{Workers: 1, TaskTimeout: 4 * time.Second})
	for i := range 4 {
		setsid := i % 2
		marker := filepath.Join(t.TempDir(), "pid")
		_, err := p.Submit(context.Background(), op{Op: "treehang", N: setsid, Marker: marker})
		require.ErrorIs(t, err, pool.ErrTaskTimeout)
		b, err := os.ReadFile(marker)
		require.NoError(t, err, "the task started its grandchild")
		pid, err := strconv.Atoi(string(b))
		require.NoError(t, err)
		t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
		require.Eventually(t, func() bool { return !testkit.Alive(pid) }, 10*time.Second, 10*time.Millisecond,
			"run %d (setsid %d): grandchild %d survived its worker's TaskTimeout kill", i, setsid, pid)
	}
	closePool(t, p)
}

func TestHandlerCtxCarriesTaskTimeoutDeadline(t *testing.T) {
	var r struct {
		OK bool  `json:"ok"`
		MS int64 `json:"ms"`
	}
	p := newPool(t, &pool.Options{Workers: 1, TaskTimeout: 30 * time.Second})
	m, err := p.Submit(context.Background(), op{Op: "deadline"})
	require.NoError(t, err)
	require.NoError(t, m.Decode(&r))
	assert.True(t, r.OK, "ctx has a deadline")
	assert.Greater(t, r.MS, int64(0))
	assert.LessOrEqual(t, r.MS, int64(30000))
	closePool(t, p)

	p = newPool(t, &pool.Options{Workers: 1})
	m, err = p.Submit(context.Background(), op{Op: "deadline"})
	require.NoError(t, err)
	require.NoError(t, m.Decode(&r))
	assert.False(t, r.OK, "no TaskTimeout, no deadline")
	closePool(t, p)
}

func TestWorkerDeadWhileIdleNeverGetsATask(t *testing.T) {
	// A worker killed while idle, with a task submitted at once: the task
	// runs on a new worker (no Retry needed), never fails with the dead one.
	p := newPool(t, &pool.Options{Workers: 1, Child: &childproc.Options{Stderr: childproc.Ignore}})
	for i := range 10 {
		pid := pidOf(t, p)
		require.NoError(t, syscall.Kill(pid, syscall.SIGKILL))
		m, err := p.Submit(context.Background(), op{Op: "pid"})
		require.NoError(t, err, "run %d", i)
		assert.NotEqual(t, pid, decodeInt(t, m), "run %d: ran on the killed worker", i)
	}
	closePool(t, p)
}
