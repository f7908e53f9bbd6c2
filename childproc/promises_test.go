//go:build unix

package childproc_test

import (
	"context"
	"errors"
	"io"
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

// TestSignalReachesTheChildAlone checks Signal's doc: the signal goes to the
// child itself, not to what it started (unlike Kill and the tree kills), and
// the child's ExitError is not Killed.
func TestSignalReachesTheChildAlone(t *testing.T) {
	marker := uniqueSleep()
	defer func() {
		for _, pid := range pidsRunning(marker) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}()
	// The grandchild stays in the child's process group, where a group
	// signal would reach it.
	p, err := childproc.Spawn(context.Background(), "sh", []string{"-c", "sleep " + marker + " >/dev/null 2>&1 & echo ready; wait"}, &childproc.Options{Stdin: childproc.Ignore, Stderr: childproc.Ignore})
	require.NoError(t, err)
	line := make([]byte, 6)
	_, err = io.ReadFull(p.Stdout, line)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(pidsRunning(marker)) == 1 }, 5*time.Second, 10*time.Millisecond)
	grandchild := pidsRunning(marker)[0]
	require.NoError(t, p.Signal(syscall.SIGTERM))
	var ee *childproc.ExitError
	require.ErrorAs(t, p.Wait(), &ee)
	assert.Equal(t, childproc.ExitStatus{Code: -1, Signal: syscall.SIGTERM}, ee.Status())
	assert.False(t, ee.Killed)
	assert.Equal(t, []int{grandchild}, pidsRunning(marker), "the grandchild got nothing")
	require.NoError(t, syscall.Kill(grandchild, syscall.SIGKILL))
	waitGone(t, marker)
	require.NoError(t, p.Stdout.Close())
	assert.Equal(t, []string{"spawn", "exit(signal=terminated)", "close(signal=terminated)"}, kinds(collect(t, p)))
}

// TestStdioFileNilIsIgnoreAndReaderIsForStdinOnly checks the docs of File
// (a nil f is the same as Ignore) and Reader (Stdin only: as Stdout or
// Stderr it is an error naming the stream, and nothing starts).
func TestStdioFileNilIsIgnoreAndReaderIsForStdinOnly(t *testing.T) {
	ctx := context.Background()
	// cat reads /dev/null and ends at once; its stderr goes nowhere.
	p, err := childproc.Spawn(ctx, "sh", []string{"-c", "cat; echo to-stderr >&2; test -c /dev/stdin && echo devnull"}, &childproc.Options{
		Stdin: childproc.File(nil), Stderr: childproc.File(nil),
	})
	require.NoError(t, err)
	assert.Nil(t, p.Stdin, "no stdin pipe for File(nil)")
	assert.Nil(t, p.Stderr, "no stderr pipe for File(nil)")
	out, err := io.ReadAll(p.Stdout)
	require.NoError(t, err)
	require.NoError(t, p.Wait())
	assert.Equal(t, "devnull\n", string(out))
	collect(t, p)

	for _, opts := range []*childproc.Options{
		{Stdout: childproc.Reader(io.LimitReader(nil, 0))},
		{Stderr: childproc.Reader(io.LimitReader(nil, 0))},
	} {
		_, err := childproc.Spawn(ctx, "true", nil, opts)
		assert.ErrorContains(t, err, "Reader cannot be used for fd ")
	}
}
