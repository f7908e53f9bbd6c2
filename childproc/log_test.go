//go:build unix

package childproc_test

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"log/slog"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spawnkit/spawnkit/childproc"
	"github.com/spawnkit/spawnkit/internal/testkit"
)

// takeDuration removes the "duration" attribute of rec and returns it.
func takeDuration(t *testing.T, rec map[string]any) time.Duration {
	t.Helper()
	d, ok := rec["duration"].(float64)
	require.True(t, ok, "no duration in %v", rec)
	delete(rec, "duration")
	return time.Duration(d)
}

func TestLoggerExecFileRecords(t *testing.T) {
	var rec testkit.LogRecorder
	res, err := childproc.ExecFile(context.Background(), "sh",
		[]string{"-c", `printf 'hello\n'; printf oops >&2; sleep 0.2`},
		&childproc.Options{Logger: rec.Logger()})
	require.NoError(t, err)
	require.Equal(t, "hello\n", string(res.Stdout))

	records := rec.Records(t) // both are written before ExecFile returns
	require.Len(t, records, 2, rec.String())
	pid := records[0]["pid"]
	require.Greater(t, pid, float64(0))
	assert.Equal(t, map[string]any{
		"level": "INFO", "msg": "spawn",
		"cmd": `sh -c 'printf '\''hello\n'\''; printf oops >&2; sleep 0.2'`,
		"pid": pid,
	}, records[0])
	d := takeDuration(t, records[1])
	assert.GreaterOrEqual(t, d, 200*time.Millisecond)
	assert.Less(t, d, time.Minute)
	assert.Equal(t, map[string]any{
		"level": "INFO", "msg": "exit",
		"cmd":  `sh -c 'printf '\''hello\n'\''; printf oops >&2; sleep 0.2'`,
		"pid":  pid,
		"code": float64(0), "stdout": float64(6), "stderr": float64(4),
	}, records[1])
}

func TestLoggerExecFailureIsWarn(t *testing.T) {
	var rec testkit.LogRecorder
	_, err := childproc.Exec(context.Background(), "echo out; echo bad >&2; exit 3", &childproc.Options{Logger: rec.Logger()})
	require.Error(t, err)

	records := rec.Records(t)
	require.Len(t, records, 2, rec.String())
	pid := records[0]["pid"]
	assert.Equal(t, map[string]any{
		"level": "INFO", "msg": "spawn", "cmd": `/bin/sh -c 'echo out; echo bad >&2; exit 3'`, "pid": pid,
	}, records[0])
	takeDuration(t, records[1])
	errText, _ := records[1]["err"].(string)
	assert.Contains(t, errText, "exit status 3")
	delete(records[1], "err")
	assert.Equal(t, map[string]any{
		"level": "WARN", "msg": "exit", "cmd": `/bin/sh -c 'echo out; echo bad >&2; exit 3'`, "pid": pid,
		"code": float64(3), "stdout": float64(4), "stderr": float64(4),
	}, records[1])
}

func TestLoggerSignalAndPipeStreams(t *testing.T) {
	var rec testkit.LogRecorder
	p, err := childproc.Spawn(context.Background(), "sleep", []string{"30"}, &childproc.Options{
		Logger: rec.Logger(), Timeout: 50 * time.Millisecond, Stdin: childproc.Ignore,
	})
	require.NoError(t, err)
	io.Copy(io.Discard, p.Stdout)
	io.Copy(io.Discard, p.Stderr)
	waitErr := p.Wait()
	require.Error(t, waitErr)

	records := rec.Records(t)
	require.Len(t, records, 2, rec.String())
	assert.Equal(t, map[string]any{"level": "INFO", "msg": "spawn", "cmd": "sleep 30", "pid": float64(p.Pid)}, records[0])
	d := takeDuration(t, records[1])
	assert.GreaterOrEqual(t, d, 50*time.Millisecond)
	// Pipe streams are read by the caller, not counted: no stdout, stderr.
	assert.Equal(t, map[string]any{
		"level": "WARN", "msg": "exit", "cmd": "sleep 30", "pid": float64(p.Pid),
		"signal": "SIGTERM", "err": waitErr.Error(),
	}, records[1])
	collect(t, p)
}

func TestLoggerWriterStdioCountsBytes(t *testing.T) {
	var rec testkit.LogRecorder
	var out bytes.Buffer
	p, err := childproc.Spawn(context.Background(), "head", []string{"-c", "100000", "/dev/zero"}, &childproc.Options{
		Logger: rec.Logger(), Stdout: childproc.Writer(&out), Stderr: childproc.Ignore, Stdin: childproc.Ignore,
	})
	require.NoError(t, err)
	require.NoError(t, p.Wait())
	require.Equal(t, 100000, out.Len())

	records := rec.Records(t)
	require.Len(t, records, 2, rec.String())
	takeDuration(t, records[1])
	assert.Equal(t, map[string]any{
		"level": "INFO", "msg": "exit", "cmd": "head -c 100000 /dev/zero", "pid": float64(p.Pid),
		"code": float64(0), "stdout": float64(100000),
	}, records[1])
	collect(t, p)
}

func TestLoggerMaxBufferCountsEverythingRead(t *testing.T) {
	var rec testkit.LogRecorder
	res, err := childproc.ExecFile(context.Background(), "head", []string{"-c", "3000", "/dev/zero"},
		&childproc.Options{Logger: rec.Logger(), MaxBuffer: 1000})
	require.ErrorIs(t, err, childproc.ErrMaxBuffer)
	require.Len(t, res.Stdout, 1000)

	records := rec.Records(t)
	require.Len(t, records, 2, rec.String())
	assert.Equal(t, "WARN", records[1]["level"])
	// head may have written everything before the kill, or died of it.
	n, _ := records[1]["stdout"].(float64)
	assert.GreaterOrEqual(t, n, float64(1001), rec.String())
	assert.LessOrEqual(t, n, float64(3000), rec.String())
}

func TestLoggerSpawnFailed(t *testing.T) {
	var rec testkit.LogRecorder
	_, err := childproc.Spawn(context.Background(), "/nonexistent/spawnkit-prog", []string{"a b"}, &childproc.Options{Logger: rec.Logger()})
	require.ErrorIs(t, err, fs.ErrNotExist)

	assert.Equal(t, []map[string]any{{
		"level": "WARN", "msg": "spawn failed", "cmd": "/nonexistent/spawnkit-prog 'a b'", "err": err.Error(),
	}}, rec.Records(t))
}

func TestLoggerForkRecordsSignal(t *testing.T) {
	var rec testkit.LogRecorder
	p, err := childproc.Fork(context.Background(), "echo", nil, &childproc.Options{Logger: rec.Logger()})
	require.NoError(t, err)
	require.NoError(t, p.Signal(syscall.SIGKILL))
	waitErr := p.Wait()
	require.Error(t, waitErr)
	records := rec.Records(t)
	require.Len(t, records, 2, rec.String())
	assert.Equal(t, float64(p.Pid), records[0]["pid"])
	takeDuration(t, records[1])
	delete(records[1], "cmd")
	assert.Equal(t, map[string]any{
		"level": "WARN", "msg": "exit", "pid": float64(p.Pid), "signal": "SIGKILL", "err": waitErr.Error(),
	}, records[1])
	collect(t, p)
}

func TestLoggerSignalWithoutName(t *testing.T) {
	var rec testkit.LogRecorder
	_, err := childproc.ExecFile(context.Background(), "sh", []string{"-c", "kill -40 $$"}, &childproc.Options{Logger: rec.Logger()})
	var ee *childproc.ExitError
	require.ErrorAs(t, err, &ee)
	require.Equal(t, syscall.Signal(40), ee.Signal)
	records := rec.Records(t)
	require.Len(t, records, 2, rec.String())
	assert.Equal(t, "signal 40", records[1]["signal"], "a real-time signal has no name")
	assert.Equal(t, slog.String("signal", "signal 40"), ee.Status().Attr())
	assert.Equal(t, slog.Int("code", 3), childproc.ExitStatus{Code: 3}.Attr())
}

func TestLoggerOneWriterForBothStreamsCountsBothAsStdout(t *testing.T) {
	var rec testkit.LogRecorder
	var out testkit.SyncBuffer
	p, err := childproc.Spawn(context.Background(), "sh", []string{"-c", "printf abc; printf de >&2"}, &childproc.Options{
		Logger: rec.Logger(), Stdout: childproc.Writer(&out), Stderr: childproc.Writer(&out), Stdin: childproc.Ignore,
	})
	require.NoError(t, err)
	require.NoError(t, p.Wait())
	require.Equal(t, "abcde", out.String())
	records := rec.Records(t)
	require.Len(t, records, 2, rec.String())
	takeDuration(t, records[1])
	assert.Equal(t, map[string]any{
		"level": "INFO", "msg": "exit", "cmd": "sh -c 'printf abc; printf de >&2'", "pid": float64(p.Pid),
		"code": float64(0), "stdout": float64(5),
	}, records[1])
	collect(t, p)
}
