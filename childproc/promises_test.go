package childproc_test

import (
	"context"
	"errors"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spawnkit/spawnkit/childproc"
	"github.com/spawnkit/spawnkit/internal/testkit"
	"github.com/spawnkit/spawnkit/ipc"
)

// TestRegisterPanicsOnEmptyNilOrTakenRole checks Register's doc: it panics
// if role is empty, fn is nil, or role is already taken.
func TestRegisterPanicsOnEmptyNilOrTakenRole(t *testing.T) {
	fn := func(context.Context, *ipc.Channel) error { return nil }
	assert.PanicsWithValue(t, "childproc: Register with an empty role or a nil function",
		func() { childproc.Register("", fn) })
	assert.PanicsWithValue(t, "childproc: Register with an empty role or a nil function",
		func() { childproc.Register("promises-nil-fn", nil) })
	// "echo" is registered by this package's tests (fork_test.go).
	assert.PanicsWithValue(t, "childproc: Register called twice for role echo",
		func() { childproc.Register("echo", fn) })
}

// TestStatusOfNilState checks StatusOf's doc: a nil state (a process not
// waited for) is Code -1 with no Signal, which is not a success.
func TestStatusOfNilState(t *testing.T) {
	s := childproc.StatusOf(nil)
	assert.Equal(t, childproc.ExitStatus{Code: -1}, s)
	assert.False(t, s.Success())
	assert.Equal(t, "exit status -1", s.String())
}

// TestInitWithoutChannelExitsTwo checks Init's doc: a process started as a
// forked child (its role set) but without the IPC channel exits with status
// 2 and says why on stderr, rather than running the role or main.
func TestInitWithoutChannelExitsTwo(t *testing.T) {
	var stderr testkit.SyncBuffer
	res, err := childproc.ExecFile(context.Background(), testkit.Executable(t), nil, &childproc.Options{
		ExtraEnv: []string{"SPAWNKIT_FORK_ROLE=echo"},
		Stderr:   childproc.Writer(&stderr),
	})
	var ee *childproc.ExitError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, childproc.ExitStatus{Code: 2}, ee.Status())
	assert.Empty(t, res.Stdout, "neither the role nor the tests ran")
	assert.Contains(t, stderr.String(), `role "echo": `)
	assert.Contains(t, stderr.String(), ipc.ErrNoParent.Error())
}

// TestForkSIGINTCancelsRoleContextAndKeepsSignal is the SIGINT half of
// Init's promise (TestForkSIGTERMCancelsRoleContextAndKeepsSignal is the
// SIGTERM half): the role's ctx is cancelled, and once the role returns the
// child dies of that same signal, so the parent sees SIGINT, not exit 0.
func TestForkSIGINTCancelsRoleContextAndKeepsSignal(t *testing.T) {
	var stderr testkit.SyncBuffer
	p, err := childproc.Fork(context.Background(), "linger", nil, &childproc.Options{Stderr: childproc.Writer(&stderr)})
	require.NoError(t, err)
	ev := <-p.Events()
	require.Equal(t, childproc.EventSpawn, ev.Kind)
	ev = <-p.Events()
	require.Equal(t, `"waiting"`, string(ev.Message))
	require.NoError(t, p.Signal(syscall.SIGINT))
	err = p.Wait()
	var ee *childproc.ExitError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, childproc.ExitStatus{Code: -1, Signal: syscall.SIGINT}, ee.Status())
	assert.False(t, ee.Killed, "we sent the signal ourselves; the library killed nothing")
	assert.False(t, errors.Is(err, context.Canceled))
	assert.Equal(t, "linger: stopping\n", stderr.String())
	collect(t, p)
}

// TestUnrefKeepsTimeout checks Unref's doc: Unref stops the ctx from
// killing the child, but Options.Timeout still applies (the whole tree is
// killed, and the error is a timeout).
func TestUnrefKeepsTimeout(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p, err := childproc.Spawn(ctx, "sleep", []string{"30"}, &childproc.Options{
		Stdin: childproc.Ignore, Stdout: childproc.Ignore, Stderr: childproc.Ignore,
		Timeout: 200 * time.Millisecond,
	})
	require.NoError(t, err)
	p.Unref()
	start := time.Now()
	err = p.Wait()
	var ee *childproc.ExitError
	require.ErrorAs(t, err, &ee)
	assert.True(t, ee.TimedOut)
	assert.True(t, ee.Killed)
	assert.Equal(t, childproc.ExitStatus{Code: -1, Signal: syscall.SIGTERM}, ee.Status())
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 25*time.Second, "killed by the Timeout, not ended by sleep 30")
	collect(t, p)
}
