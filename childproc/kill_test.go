//go:build unix

package childproc_test

import (
	"context"
	"errors"
	"io"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spawnkit/spawnkit/childproc"
	"github.com/spawnkit/spawnkit/internal/testkit"
)

func TestTimeoutKillsWholeTree(t *testing.T) {
	marker := uniqueSleep()
	start := time.Now()
	res, err := childproc.Exec(context.Background(), "sleep "+marker+" & sleep "+marker+" & echo started; wait", &childproc.Options{Timeout: 300 * time.Millisecond})
	var ee *childproc.ExitError
	require.ErrorAs(t, err, &ee)
	assert.True(t, ee.Killed)
	assert.True(t, ee.TimedOut)
	assert.Equal(t, syscall.SIGTERM, ee.Signal)
	assert.Equal(t, -1, ee.ExitCode)
	assert.Equal(t, "started\n", string(ee.Stdout))
	assert.Equal(t, "started\n", string(res.Stdout))
	assert.Contains(t, ee.Error(), "timed out after 300ms, signal 15 (terminated)")
	assert.Less(t, time.Since(start), 30*time.Second, "the sleeps run for 100 s or more: not a hang")
	waitGone(t, marker)
}

func TestTimeoutEscalatesToSIGKILL(t *testing.T) {
	marker := uniqueSleep()
	// The shell and its sleep ignore SIGTERM; only SIGKILL ends them.
	start := time.Now()
	_, err := childproc.Exec(context.Background(), "trap '' TERM; sleep "+marker, &childproc.Options{Timeout: 100 * time.Millisecond, KillDelay: 300 * time.Millisecond})
	var ee *childproc.ExitError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, syscall.SIGKILL, ee.Signal)
	assert.True(t, ee.TimedOut)
	assert.GreaterOrEqual(t, time.Since(start), 400*time.Millisecond)
	waitGone(t, marker)
}

func TestKillSignalIsUsed(t *testing.T) {
	_, err := childproc.Exec(context.Background(), "sleep 30", &childproc.Options{Timeout: 50 * time.Millisecond, KillSignal: syscall.SIGINT})
	var ee *childproc.ExitError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, syscall.SIGINT, ee.Signal)
}

func TestCancelKillsTreeIncludingEscapedGrandchild(t *testing.T) {
	marker := uniqueSleep()
	ctx, cancel := context.WithCancel(context.Background())
	// One grandchild stays in the group, one leaves it with setsid and
	// also keeps stdout open.
	p, err := childproc.Spawn(ctx, "sh", []string{"-c", "sleep " + marker + " & setsid sleep " + marker + " & echo ready; wait"}, &childproc.Options{Stdin: childproc.Ignore, Stderr: childproc.Ignore})
	require.NoError(t, err)
	line := make([]byte, 6)
	_, err = io.ReadFull(p.Stdout, line)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(pidsRunning(marker)) == 2 }, goneWithin, 10*time.Millisecond)
	cancel()
	err = p.Wait()
	var ee *childproc.ExitError
	require.ErrorAs(t, err, &ee)
	assert.True(t, ee.Killed)
	assert.False(t, ee.TimedOut)
	assert.ErrorIs(t, err, context.Canceled)
	waitGone(t, marker)
	rest, err := io.ReadAll(p.Stdout)
	require.NoError(t, err)
	assert.Empty(t, rest)
	assert.Equal(t, []string{"spawn", "exit(signal=terminated)", "close(signal=terminated)"}, kinds(collect(t, p)))
}

func TestGrandchildHoldingPipeDoesNotHangExec(t *testing.T) {
	marker := strayMarker(t)
	// The shell exits at once; a grandchild in its own session keeps stdout.
	start := time.Now()
	res, err := childproc.Exec(context.Background(), "setsid sleep "+marker+" & echo bye", &childproc.Options{KillDelay: 300 * time.Millisecond})
	require.NoError(t, err)
	assert.Equal(t, "bye\n", string(res.Stdout))
	elapsed := time.Since(start)
	assert.GreaterOrEqual(t, elapsed, 300*time.Millisecond)
	assert.Less(t, elapsed, 30*time.Second, "the sleep runs for 100 s or more: not a hang")
}

func TestTimeoutWithGrandchildHoldingPipe(t *testing.T) {
	marker := uniqueSleep()
	start := time.Now()
	_, err := childproc.Exec(context.Background(), "setsid sh -c 'trap \"\" TERM; sleep "+marker+"' & sleep "+marker, &childproc.Options{Timeout: 100 * time.Millisecond, KillDelay: 300 * time.Millisecond})
	var ee *childproc.ExitError
	require.ErrorAs(t, err, &ee)
	assert.True(t, ee.TimedOut)
	assert.Less(t, time.Since(start), 30*time.Second, "the sleeps run for 100 s or more: not a hang")
	waitGone(t, marker)
}

func TestMaxBufferKillsAndKeepsPrefix(t *testing.T) {
	res, err := childproc.Exec(context.Background(), "yes abcdefgh", &childproc.Options{MaxBuffer: 1000})
	require.Error(t, err)
	assert.ErrorIs(t, err, childproc.ErrMaxBuffer)
	var ee *childproc.ExitError
	require.ErrorAs(t, err, &ee)
	assert.True(t, ee.Killed)
	assert.False(t, ee.TimedOut)
	assert.Len(t, ee.Stdout, 1000)
	assert.Len(t, res.Stdout, 1000)
	assert.Equal(t, "abcdefgh\nabcdefgh\n", string(ee.Stdout[:18]))
	assert.Contains(t, ee.Error(), "childproc: command failed: yes abcdefgh: maxBuffer length exceeded")

	// Stderr counts separately, against the same limit.
	_, err = childproc.Exec(context.Background(), "yes >&2", &childproc.Options{MaxBuffer: 10})
	assert.ErrorIs(t, err, childproc.ErrMaxBuffer)

	// Exactly at the limit is fine; unlimited keeps everything.
	res, err = childproc.Exec(context.Background(), "head -c 1000 /dev/zero", &childproc.Options{MaxBuffer: 1000})
	require.NoError(t, err)
	assert.Len(t, res.Stdout, 1000)
	res, err = childproc.Exec(context.Background(), "head -c 3000000 /dev/zero", &childproc.Options{MaxBuffer: -1})
	require.NoError(t, err)
	assert.Len(t, res.Stdout, 3000000)
	_, err = childproc.Exec(context.Background(), "head -c 3000000 /dev/zero", nil)
	assert.ErrorIs(t, err, childproc.ErrMaxBuffer, "default limit is 1 MiB")
}

func TestUnrefStopsCancelKill(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	p, err := childproc.Spawn(ctx, "sleep", []string{"30"}, &childproc.Options{Stdout: childproc.Ignore, Stderr: childproc.Ignore, Stdin: childproc.Ignore})
	require.NoError(t, err)
	p.Unref()
	p.Unref()
	cancel()
	time.Sleep(100 * time.Millisecond)
	assert.True(t, testkit.Alive(p.Pid), "an Unref'd child survives its ctx")
	require.NoError(t, p.Kill())
	var ee *childproc.ExitError
	require.True(t, errors.As(p.Wait(), &ee))
	assert.False(t, ee.Killed)
}

func TestNothingOfTheTreeOutlivesWaitAfterKill(t *testing.T) {
	testkit.NoLeaks(t) // no pidfd or pipe is left open after Wait
	marker := uniqueSleep()
	ctx, cancel := context.WithCancel(context.Background())
	// The grandchild ignores SIGTERM and left the process group: only the
	// SIGKILL after KillDelay, sent through its pidfd, ends it.
	p, err := childproc.Spawn(ctx, "sh", []string{"-c", "setsid sh -c 'trap \"\" TERM; sleep " + marker + "' & echo ready; wait"}, &childproc.Options{
		Stdin: childproc.Ignore, Stdout: childproc.Pipe, Stderr: childproc.Ignore, KillDelay: 200 * time.Millisecond,
	})
	require.NoError(t, err)
	line := make([]byte, 6)
	_, err = io.ReadFull(p.Stdout, line)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(pidsRunning(marker)) == 1 }, goneWithin, 10*time.Millisecond)
	cancel()
	require.Error(t, p.Wait())
	assert.Empty(t, pidsRunning(marker), "Wait returns only once the whole tree is gone")
	require.NoError(t, p.Stdout.Close())
	collect(t, p)
}

func TestCancelAfterExitIsNotAKill(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	p, err := childproc.Spawn(ctx, "true", nil, &childproc.Options{Stdin: childproc.Ignore, Stdout: childproc.Ignore, Stderr: childproc.Ignore})
	require.NoError(t, err)
	require.NoError(t, p.Wait())
	cancel()
	require.NoError(t, p.Wait(), "an exit by itself stays an exit")
	assert.Equal(t, []string{"spawn", "exit(code=0)", "close(code=0)"}, kinds(collect(t, p)))
}

func TestKillSendsSIGKILLToTheWholeTree(t *testing.T) {
	marker := uniqueSleep()
	// One grandchild ignores SIGTERM in the group, one left it with setsid.
	p, err := childproc.Spawn(context.Background(), "sh", []string{"-c", "sh -c 'trap \"\" TERM; sleep " + marker + "' & setsid sleep " + marker + " & echo ready; wait"}, &childproc.Options{Stdin: childproc.Ignore, Stderr: childproc.Ignore})
	require.NoError(t, err)
	line := make([]byte, 6)
	_, err = io.ReadFull(p.Stdout, line)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(pidsRunning(marker)) == 2 }, goneWithin, 10*time.Millisecond)
	require.NoError(t, p.Kill())
	var ee *childproc.ExitError
	require.ErrorAs(t, p.Wait(), &ee)
	assert.Equal(t, syscall.SIGKILL, ee.Signal)
	assert.False(t, ee.Killed, "Kill is the caller's own doing, not a timeout or cancel")
	waitGone(t, marker)
	rest, err := io.ReadAll(p.Stdout)
	require.NoError(t, err)
	assert.Empty(t, rest)
	err = p.Kill()
	assert.ErrorIs(t, err, os.ErrProcessDone)
	assert.Contains(t, err.Error(), "childproc: kill sh -c")
	assert.Equal(t, []string{"spawn", "exit(signal=killed)", "close(signal=killed)"}, kinds(collect(t, p)))
}
