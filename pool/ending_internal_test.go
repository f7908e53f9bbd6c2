package pool

import (
	"context"
	"errors"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/spawnkit/spawnkit/childproc"
)

// newBarePool is a Pool of one slot as New makes it, without the
// goroutines New starts: so the ctx given to New can end while the abort
// that follows it has not reached the supervisors yet, which is the
// moment these tests are about.
func newBarePool(ctx context.Context) *Pool {
	return &Pool{
		role:  "pool-test.ops", // registered by the tests' TestMain
		ctx:   ctx,
		child: childproc.Options{Stderr: childproc.Ignore},
		queue: make(chan *task), closing: make(chan struct{}),
		abort: make(chan struct{}), done: make(chan struct{}),
		pids: make([]int, 1), ran: make([]bool, 1),
	}
}

// TestTasksFailWithErrClosedOnceNewsCtxEnded checks the tasks that meet the
// end of New's ctx before the pool's abort does: a task about to start
// (whose worker was killed with the ctx, or must be forked under a ctx that
// ended) and a task running when its worker is killed with the ctx. Each
// fails with ErrClosed carrying the ctx's cause, as New documents; they
// failed with the Fork's error or with ErrWorkerCrashed (a stress run of
// 1,200 pools whose ctx ended at random moments saw it twice).
func TestTasksFailWithErrClosedOnceNewsCtxEnded(t *testing.T) {
	cause := errors.New("stop now")
	check := func(t *testing.T, err error) {
		t.Helper()
		require.ErrorIs(t, err, ErrClosed)
		require.ErrorIs(t, err, cause)
		var we *WorkerError
		require.False(t, errors.As(err, &we), "a worker killed with the pool did not crash: %v", err)
	}

	t.Run("no worker yet", func(t *testing.T) {
		ctx, cancel := context.WithCancelCause(context.Background())
		cancel(cause)
		p := newBarePool(ctx)
		tk := newTask(context.Background(), []byte(`{"op":"square","n":3}`))
		require.Nil(t, p.runTask(0, nil, tk))
		check(t, tk.err)
	})

	t.Run("idle worker killed with the ctx", func(t *testing.T) {
		ctx, cancel := context.WithCancelCause(context.Background())
		defer cancel(nil)
		p := newBarePool(ctx)
		w, err := p.startWorker(0)
		require.NoError(t, err)
		cancel(cause)
		w.proc.Wait()
		tk := newTask(context.Background(), []byte(`{"op":"square","n":3}`))
		p.runTask(0, w, tk)
		p.reap(0, w)
		check(t, tk.err)
	})

	t.Run("busy worker killed with the ctx", func(t *testing.T) {
		ctx, cancel := context.WithCancelCause(context.Background())
		defer cancel(nil)
		p := newBarePool(ctx)
		w, err := p.startWorker(0)
		require.NoError(t, err)
		tk := newTask(context.Background(), []byte(`{"op":"hang"}`))
		type res struct {
			st  execState
			err error
		}
		done := make(chan res, 1)
		go func() {
			_, st, err := p.exec(0, w, tk)
			done <- res{st, err}
		}()
		// Once busy is counted the task was sent; the worker may or may not
		// have taken it yet: the outcome must be the same either way.
		for p.busy.Load() == 0 {
			runtime.Gosched()
		}
		cancel(cause)
		r := <-done
		require.Equal(t, dead, r.st)
		check(t, r.err)
	})
}
