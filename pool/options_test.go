//go:build unix

package pool_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spawnkit/spawnkit/childproc"
	"github.com/spawnkit/spawnkit/pool"
)

// TestNewRefusesNegativeLimits checks that a negative Workers or Queue,
// which have no "unlimited" meaning, is an error from New naming the field,
// and that no worker starts.
func TestNewRefusesNegativeLimits(t *testing.T) {
	for _, tc := range []struct {
		opts pool.Options
		want string
	}{
		{pool.Options{Workers: -1}, "pool: Options.Workers is -1: must be >= 0"},
		{pool.Options{Workers: 1, Queue: -3}, "pool: Options.Queue is -3: must be >= 0"},
	} {
		p, err := pool.New(context.Background(), testRole, &tc.opts)
		assert.Nil(t, p)
		assert.EqualError(t, err, tc.want)
	}
	requireNoChildren(t)
}

// TestNegativeTaskTimeoutIsNoLimit checks that a negative TaskTimeout means
// no limit, as 0 does: a task that runs well past a nanosecond finishes on
// the worker it started on.
func TestNegativeTaskTimeoutIsNoLimit(t *testing.T) {
	p := newPool(t, &pool.Options{Workers: 1, TaskTimeout: -time.Nanosecond})
	pid := pidOf(t, p)
	g := newGate(t)
	res := submitAsync(context.Background(), p, g.task(5))
	assert.Equal(t, pid, g.waitStarted(t))
	time.Sleep(100 * time.Millisecond) // a task running for a while is not killed
	g.open(t)
	r := <-res
	require.NoError(t, r.err)
	assert.JSONEq(t, fmt.Sprintf(`{"pid":%d,"n":5}`, pid), string(r.msg))
	assert.Equal(t, []int{pid}, p.Stats().Pids)
	closePool(t, p)
}

// TestNilOptionsAreDefaults checks that New with nil Options starts one
// worker per CPU.
func TestNilOptionsAreDefaults(t *testing.T) {
	p, err := pool.New(context.Background(), testRole, nil)
	require.NoError(t, err)
	killAtCleanup(t, p)
	assert.Len(t, p.Stats().Pids, runtime.NumCPU())
	m, err := p.Submit(context.Background(), op{Op: "square", N: 7})
	require.NoError(t, err)
	assert.Equal(t, 49, decodeInt(t, m))
	closePool(t, p)
}

// TestNewCopiesOptions checks that changing the Options (and the slices of
// Options.Child) after New returns changes nothing: a worker started later,
// replacing a crashed one, still gets the environment given to New, and the
// TaskTimeout set afterwards does not apply.
func TestNewCopiesOptions(t *testing.T) {
	env := []string{"POOL_TEST_V=before"}
	opts := &pool.Options{Workers: 1, Child: &childproc.Options{ExtraEnv: env, Stderr: childproc.Ignore}}
	p := newPool(t, opts)
	pid1 := pidOf(t, p)

	env[0] = "POOL_TEST_V=after"
	opts.Child.ExtraEnv = append(opts.Child.ExtraEnv, "POOL_TEST_W=after")
	opts.Workers = 3
	opts.TaskTimeout = time.Nanosecond
	opts.Child = &childproc.Options{Env: []string{"POOL_TEST_V=replaced"}}

	_, err := p.Submit(context.Background(), op{Op: "exit", Code: 3})
	require.ErrorIs(t, err, pool.ErrWorkerCrashed)
	for _, key := range []string{"POOL_TEST_V", "POOL_TEST_W"} {
		m, err := p.Submit(context.Background(), op{Op: "getenv", Msg: key})
		require.NoError(t, err)
		var got string
		require.NoError(t, m.Decode(&got))
		want := map[string]string{"POOL_TEST_V": "before", "POOL_TEST_W": ""}[key]
		assert.Equal(t, want, got, key)
	}
	pids := p.Stats().Pids
	require.Len(t, pids, 1)
	assert.NotEqual(t, pid1, pids[0], "the worker was replaced")
	closePool(t, p)
}
