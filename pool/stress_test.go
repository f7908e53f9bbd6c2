//go:build unix

package pool_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spawnkit/spawnkit/childproc"
	"github.com/spawnkit/spawnkit/internal/testkit"
	"github.com/spawnkit/spawnkit/ipc"
	"github.com/spawnkit/spawnkit/pool"
)

// checkThreads fails t when the loop left more OS threads than a few
// per iteration-independent worker would explain: threads are never given
// back by the Go runtime, but they must not grow with the iterations.
func checkThreads(t *testing.T, before, limit int) {
	t.Helper()
	after := testkit.Threads(t)
	t.Logf("threads: %d before, %d after", before, after)
	assert.LessOrEqual(t, after-before, limit, "threads grew from %d to %d", before, after)
}

var quietChild = &childproc.Options{Stderr: childproc.Ignore}

// TestStressNewCloseLoop starts and closes pools in a loop (50, 1000 with
// SPAWNKIT_STRESS=1), each running one task: nothing of them is left,
// no descriptor, goroutine, child, zombie, nor a growing number of threads.
func TestStressNewCloseLoop(t *testing.T) {
	testkit.NoLeaks(t)
	th := testkit.Threads(t)
	n := testkit.Iterations(50, 20)
	for i := range n {
		p, err := pool.New(context.Background(), testRole, &pool.Options{Workers: 2, Child: quietChild})
		require.NoError(t, err, "run %d", i)
		m, err := p.Submit(context.Background(), op{Op: "square", N: i})
		require.NoError(t, err, "run %d", i)
		require.Equal(t, i*i, decodeInt(t, m), "run %d", i)
		require.NoError(t, p.Close(context.Background()), "run %d", i)
		require.ErrorIs(t, p.Close(context.Background()), pool.ErrClosed, "run %d: second Close", i)
	}
	requireNoChildren(t)
	checkThreads(t, th, 16)
}

// TestStressSubmitRacingClose runs submitters against a pool that is closed
// at a random moment, gracefully or with a Close ctx that ends at once:
// every Submit returns the right result or an error matching ErrClosed,
// never hangs, and nothing is left behind.
func TestStressSubmitRacingClose(t *testing.T) {
	testkit.NoLeaks(t)
	n := testkit.Iterations(40, 20)
	for i := range n {
		p, err := pool.New(context.Background(), testRole, &pool.Options{Workers: 2, Queue: i % 3, Child: quietChild})
		require.NoError(t, err)
		var wg sync.WaitGroup
		var mu sync.Mutex
		var bad []string
		for c := range 6 {
			wg.Go(func() {
				for k := 0; ; k++ {
					v := c*1000 + k
					m, err := p.Submit(context.Background(), op{Op: "square", N: v})
					if errors.Is(err, pool.ErrClosed) {
						return
					}
					var got int
					if err == nil {
						err = m.Decode(&got)
					}
					if err != nil || got != v*v {
						mu.Lock()
						bad = append(bad, "submit "+strconv.Itoa(v)+": "+string(m)+" "+errString(err))
						mu.Unlock()
						return
					}
				}
			})
		}
		time.Sleep(time.Duration(rand.IntN(20_000)) * time.Microsecond)
		graceful := i%2 == 0
		ctx, cancel := context.WithCancel(context.Background())
		if !graceful {
			cancel()
		}
		err = p.Close(ctx)
		cancel()
		if graceful {
			require.NoError(t, err, "run %d", i)
		} else if err != nil {
			require.ErrorIs(t, err, context.Canceled, "run %d", i)
		}
		testkit.WaitOrFail(t, &wg, time.Minute, "run %d: Submit calls still blocked after Close", i)
		require.Empty(t, bad, "run %d (graceful %v)", i, graceful)
		requireNoChildren(t)
	}
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// TestStressSubmitCtxEndsAtRandomMoments cancels Submit calls at random
// moments of their task's life (queued, being sent, running, answering):
// each returns its result or exactly its ctx's error, and the pool stays
// whole and usable.
func TestStressSubmitCtxEndsAtRandomMoments(t *testing.T) {
	testkit.NoLeaks(t)
	const workers = 2
	p, err := pool.New(context.Background(), testRole, &pool.Options{Workers: workers, Queue: 2, Child: quietChild})
	require.NoError(t, err)
	n := testkit.Iterations(200, 20)
	var wg sync.WaitGroup
	errs := make(chan string, n)
	for i := range n {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Duration(rand.IntN(3000))*time.Microsecond)
			defer cancel()
			task := op{Op: "square", N: i}
			if i%3 == 0 {
				task = op{Op: "sleepms", N: 1 + i%4}
			}
			m, err := p.Submit(ctx, task)
			switch {
			case err == nil:
				want := i * i
				if task.Op == "sleepms" {
					want = task.N
				}
				var got int
				if derr := m.Decode(&got); derr != nil || got != want {
					errs <- "task " + strconv.Itoa(i) + ": result " + string(m)
				}
			case errors.Is(err, context.DeadlineExceeded):
			default:
				errs <- "task " + strconv.Itoa(i) + ": " + err.Error()
			}
		})
	}
	testkit.WaitOrFail(t, &wg, time.Minute, "Submit calls hang")
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	// Every worker is still there and free.
	g := make([]gate, workers)
	res := make([]<-chan result, workers)
	for i := range g {
		g[i] = newGate(t)
		res[i] = submitAsync(context.Background(), p, g[i].task(i))
	}
	for i := range g {
		g[i].waitStarted(t)
	}
	for i := range g {
		g[i].open(t)
		r := <-res[i]
		require.NoError(t, r.err)
	}
	closePool(t, p)
}

// TestStressWorkersCrashingMidTask mixes tasks that crash their worker
// (os.Exit, panic, SIGKILL) with tasks that do not: a crash fails its own
// task with ErrWorkerCrashed and the exact status, never another one.
func TestStressWorkersCrashingMidTask(t *testing.T) {
	testkit.NoLeaks(t)
	p, err := pool.New(context.Background(), testRole, &pool.Options{Workers: 3, Queue: 3, Child: quietChild})
	require.NoError(t, err)
	n := testkit.Iterations(120, 10)
	var wg sync.WaitGroup
	errs := make(chan string, n)
	for i := range n {
		wg.Go(func() {
			var task op
			var code int
			switch i % 4 {
			case 0:
				task, code = op{Op: "exit", Code: 3 + i%50}, 3+i%50
			case 1:
				task, code = op{Op: "panic", Msg: "boom"}, 2
			case 2:
				task, code = op{Op: "sigkill"}, -1
			default:
				task = op{Op: "square", N: i}
			}
			m, err := p.Submit(context.Background(), task)
			if task.Op == "square" {
				var got int
				if err != nil || m.Decode(&got) != nil || got != i*i {
					errs <- "task " + strconv.Itoa(i) + ": " + string(m) + " " + errString(err)
				}
				return
			}
			var we *pool.WorkerError
			if !errors.As(err, &we) || !errors.Is(err, pool.ErrWorkerCrashed) || we.ExitCode != code {
				errs <- "task " + strconv.Itoa(i) + " (" + task.Op + "): " + errString(err)
			}
		})
	}
	testkit.WaitOrFail(t, &wg, time.Minute, "Submit calls hang")
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	// Replacements start right after the failed Submit returned.
	require.Eventually(t, func() bool { return len(p.Stats().Pids) == 3 }, eventually, tick)
	closePool(t, p)
}

// TestHugeResultsAndTasks sends tasks and results of several MiB, and
// one over the channel's size limit each way.
func TestHugeResultsAndTasks(t *testing.T) {
	testkit.NoLeaks(t)
	p, err := pool.New(context.Background(), testRole, &pool.Options{Workers: 1, Child: quietChild})
	require.NoError(t, err)
	sizes := []int{0, 1, 64 << 10, 4 << 20}
	if testkit.RaceEnabled {
		sizes[3] = 1 << 20
	}
	for _, size := range sizes {
		m, err := p.Submit(context.Background(), op{Op: "big", N: size})
		require.NoError(t, err, "size %d", size)
		var s string
		require.NoError(t, m.Decode(&s))
		require.Len(t, s, size)
		// The task itself that big, echoed back as its length.
		m, err = p.Submit(context.Background(), op{Op: "square", N: 3, Msg: strings.Repeat("y", size)})
		require.NoError(t, err, "task of size %d", size)
		require.Equal(t, 9, decodeInt(t, m))
	}
	if testkit.RaceEnabled {
		// 64 MiB encoded under the race detector takes half a minute at
		// load: the plain run checks the limit (and
		// TestTaskOverTheLimitIsRefusedAtOnce a task over it, in both).
		closePool(t, p)
		return
	}
	// A result over the limit is a TaskError; the worker stays.
	pid := pidOf(t, p)
	_, err = p.Submit(context.Background(), op{Op: "big", N: ipc.DefaultMaxMessageSize})
	var te *pool.TaskError
	require.ErrorAs(t, err, &te)
	assert.Contains(t, te.Message, ipc.ErrTooLarge.Error())
	assert.Equal(t, pid, pidOf(t, p), "the worker stays after a result over the limit")
	// A task over the limit is ErrTooLarge and is not sent.
	_, err = p.Submit(context.Background(), op{Op: "square", N: 2, Msg: strings.Repeat("z", ipc.DefaultMaxMessageSize)})
	require.ErrorIs(t, err, ipc.ErrTooLarge)
	assert.Equal(t, pid, pidOf(t, p), "the worker stays after a task over the limit")
	closePool(t, p)
}

// TestStressNewCtxEndsAtRandomMoments ends the ctx given to New at random
// moments (while workers start, while tasks run): New fails with the ctx's
// cause or the pool closes with ErrClosed carrying it; nothing is left.
func TestStressNewCtxEndsAtRandomMoments(t *testing.T) {
	testkit.NoLeaks(t)
	cause := errors.New("stop now")
	n := testkit.Iterations(60, 20)
	for i := range n {
		ctx, cancel := context.WithCancelCause(context.Background())
		timer := time.AfterFunc(time.Duration(rand.IntN(40_000))*time.Microsecond, func() { cancel(cause) })
		p, err := pool.New(ctx, testRole, &pool.Options{Workers: 2, Child: quietChild})
		if err != nil {
			require.ErrorIs(t, err, cause, "run %d", i)
			timer.Stop()
			cancel(nil)
			requireNoChildren(t)
			continue
		}
		var wg sync.WaitGroup
		for c := range 4 {
			wg.Go(func() {
				for k := 0; ; k++ {
					v := c*100 + k
					m, err := p.Submit(context.Background(), op{Op: "square", N: v})
					if err != nil {
						if !errors.Is(err, pool.ErrClosed) || !errors.Is(err, cause) {
							t.Errorf("run %d: Submit: %v", i, err)
						}
						return
					}
					if got := decodeInt(t, m); got != v*v {
						t.Errorf("run %d: square(%d) = %d", i, v, got)
						return
					}
				}
			})
		}
		testkit.WaitOrFail(t, &wg, time.Minute, "run %d: Submit calls hang after New's ctx ended", i)
		require.NoError(t, p.Close(context.Background()), "run %d", i)
		requireNoChildren(t)
		cancel(nil)
	}
}

// TestDeeplyNestedTasksAndResultsFailInsteadOfHanging sends tasks and
// returns results nested right at encoding/json's limit of 10,000 levels,
// which the pool's envelope pushes over it: they used to be dropped as
// undecodable by the other side, so Submit never returned, the worker
// stayed busy for ever and Close hung. 9,999 levels go through.
func TestDeeplyNestedTasksAndResultsFailInsteadOfHanging(t *testing.T) {
	testkit.NoLeaks(t)
	p, err := pool.New(context.Background(), testRole, &pool.Options{Workers: 1, Child: quietChild})
	require.NoError(t, err)
	nested := func(n int) ipc.Message {
		return ipc.Message(strings.Repeat("[", n) + strings.Repeat("]", n))
	}
	submit := func(task any) (ipc.Message, error) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		m, err := p.Submit(ctx, task)
		require.NotErrorIs(t, err, context.DeadlineExceeded, "Submit hangs")
		return m, err
	}
	pid := pidOf(t, p)

	m, err := submit(op{Op: "deep", N: 9999})
	require.NoError(t, err)
	require.Equal(t, nested(9999), m)
	for _, n := range []int{10000, 10001, 20000} {
		_, err = submit(op{Op: "deep", N: n})
		var te *pool.TaskError
		require.ErrorAs(t, err, &te, "result nested %d deep", n)
		if n == 10000 { // deeper, encoding/json refuses it already
			require.Contains(t, te.Message, "deeper than 9999 levels")
		}
	}

	// A task: the worker answers it (the ops handler cannot decode an
	// array into an op, which is the handler's error, not a hang).
	_, err = submit(nested(9999))
	var te *pool.TaskError
	require.ErrorAs(t, err, &te)
	require.Contains(t, te.Message, "cannot unmarshal array")
	for _, n := range []int{10000, 10001} {
		_, err = submit(nested(n))
		require.ErrorContains(t, err, "pool: encode task: ", "task nested %d deep", n)
	}
	// Deep inside a struct's field: the task's own depth counts.
	_, err = submit(map[string]any{"x": nested(9999)})
	require.ErrorContains(t, err, "nests deeper than 9999 levels")

	require.Equal(t, pid, pidOf(t, p), "the same worker, free again")
	closePool(t, p)
}
