//go:build unix

package childproc_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spawnkit/spawnkit/childproc"
	"github.com/spawnkit/spawnkit/internal/testkit"
)

func TestSpawnStreamsStdoutAndEventOrder(t *testing.T) {
	p, err := childproc.Spawn(context.Background(), "sh", []string{"-c", "echo out; echo err >&2"}, nil)
	require.NoError(t, err)
	require.Positive(t, p.Pid)
	stdout, err := io.ReadAll(p.Stdout)
	require.NoError(t, err)
	stderr, err := io.ReadAll(p.Stderr)
	require.NoError(t, err)
	require.NoError(t, p.Stdin.Close())
	require.NoError(t, p.Wait())
	assert.Equal(t, "out\n", string(stdout))
	assert.Equal(t, "err\n", string(stderr))
	assert.Equal(t, []string{"spawn", "exit(code=0)", "close(code=0)"}, kinds(collect(t, p)))
	assert.Equal(t, 0, p.ExitCode())
}

func TestSpawnCloseWaitsForStreams(t *testing.T) {
	// The child exits at once but its output is read later: Close must
	// come only after the stream reached EOF.
	p, err := childproc.Spawn(context.Background(), "sh", []string{"-c", "echo late"}, &childproc.Options{Stdin: childproc.Ignore, Stderr: childproc.Ignore})
	require.NoError(t, err)
	ev := <-p.Events()
	require.Equal(t, childproc.EventSpawn, ev.Kind)
	ev = <-p.Events()
	require.Equal(t, childproc.EventExit, ev.Kind)
	select {
	case ev := <-p.Events():
		t.Fatalf("got %v before stdout was read", ev)
	case <-time.After(100 * time.Millisecond):
	}
	out, err := io.ReadAll(p.Stdout)
	require.NoError(t, err)
	assert.Equal(t, "late\n", string(out))
	ev = <-p.Events()
	assert.Equal(t, childproc.EventClose, ev.Kind)
	_, ok := <-p.Events()
	assert.False(t, ok, "channel closed after EventClose")
}

func TestSpawnNonZeroExit(t *testing.T) {
	p, err := childproc.Spawn(context.Background(), "sh", []string{"-c", "exit 3"}, &childproc.Options{Stdout: childproc.Ignore, Stderr: childproc.Ignore})
	require.NoError(t, err)
	err = p.Wait()
	var ee *childproc.ExitError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, 3, ee.ExitCode)
	assert.Equal(t, syscall.Signal(0), ee.Signal)
	assert.False(t, ee.Killed)
	assert.Equal(t, "childproc: command failed: sh -c 'exit 3': exit status 3", ee.Error())
	assert.Equal(t, 3, p.ExitCode())
	assert.Equal(t, []string{"spawn", "exit(code=3)", "close(code=3)"}, kinds(collect(t, p)))
}

func TestSpawnKilledBySignal(t *testing.T) {
	p, err := childproc.Spawn(context.Background(), "sh", []string{"-c", "kill -KILL $$"}, &childproc.Options{Stdout: childproc.Ignore, Stderr: childproc.Ignore})
	require.NoError(t, err)
	var ee *childproc.ExitError
	require.ErrorAs(t, p.Wait(), &ee)
	assert.Equal(t, -1, ee.ExitCode)
	assert.Equal(t, syscall.SIGKILL, ee.Signal)
	assert.False(t, ee.Killed, "it killed itself")
	assert.Equal(t, -1, p.ExitCode())
	assert.Equal(t, []string{"spawn", "exit(signal=killed)", "close(signal=killed)"}, kinds(collect(t, p)))
}

func TestSpawnKillAndExitCodeWhileRunning(t *testing.T) {
	p, err := childproc.Spawn(context.Background(), "sleep", []string{"30"}, &childproc.Options{Stdout: childproc.Ignore, Stderr: childproc.Ignore})
	require.NoError(t, err)
	assert.Equal(t, -1, p.ExitCode())
	require.NoError(t, p.Signal(syscall.SIGUSR1))
	var ee *childproc.ExitError
	require.ErrorAs(t, p.Wait(), &ee)
	assert.Equal(t, syscall.SIGUSR1, ee.Signal)
	assert.False(t, ee.Killed, "Signal is the caller's own signal, not a timeout or cancel")

	err = p.Signal(syscall.SIGTERM)
	require.Error(t, err)
	assert.ErrorIs(t, err, os.ErrProcessDone)
	assert.Contains(t, err.Error(), "sleep 30")
	assert.Equal(t, []string{"spawn", "exit(signal=user defined signal 1)", "close(signal=user defined signal 1)"}, kinds(collect(t, p)))
}

func TestSpawnStartErrors(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()

	_, err := childproc.Spawn(ctx, "no-such-program-spawnkit", nil, nil)
	require.Error(t, err)
	assert.ErrorIs(t, err, fs.ErrNotExist)
	assert.ErrorIs(t, err, exec.ErrNotFound)
	assert.Contains(t, err.Error(), "no-such-program-spawnkit")

	_, err = childproc.Spawn(ctx, filepath.Join(dir, "missing"), nil, nil)
	assert.ErrorIs(t, err, fs.ErrNotExist)
	assert.Contains(t, err.Error(), filepath.Join(dir, "missing"))

	notExec := filepath.Join(dir, "script.sh")
	require.NoError(t, os.WriteFile(notExec, []byte("#!/bin/sh\necho hi\n"), 0o644))
	_, err = childproc.Spawn(ctx, notExec, nil, nil)
	assert.ErrorIs(t, err, fs.ErrPermission)
	assert.Contains(t, err.Error(), notExec)

	_, err = childproc.Spawn(ctx, "true", nil, &childproc.Options{Dir: filepath.Join(dir, "nodir")})
	assert.ErrorIs(t, err, fs.ErrNotExist)
	assert.Contains(t, err.Error(), filepath.Join(dir, "nodir"))

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = childproc.Spawn(cancelled, "true", nil, nil)
	assert.ErrorIs(t, err, context.Canceled)
}

func TestSpawnRefusesProgramFromCurrentDirectoryInPath(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "spawnkit-dot"), []byte("#!/bin/sh\necho pwned\n"), 0o755))
	t.Chdir(dir)
	_, err := childproc.Spawn(context.Background(), "spawnkit-dot", nil, &childproc.Options{Env: []string{"PATH=.:/usr/bin:/bin"}})
	assert.ErrorIs(t, err, exec.ErrDot)
	// Explicitly relative is the caller's choice and works.
	res, err := childproc.ExecFile(context.Background(), "./spawnkit-dot", nil, nil)
	require.NoError(t, err)
	assert.Equal(t, "pwned\n", string(res.Stdout))
}

func TestSpawnStdioModes(t *testing.T) {
	ctx := context.Background()
	t.Run("Reader and Writer", func(t *testing.T) {
		var out, errOut bytes.Buffer
		p, err := childproc.Spawn(ctx, "sh", []string{"-c", "tr a-z A-Z; echo done >&2"}, &childproc.Options{
			Stdin: childproc.Reader(strings.NewReader("hello\n")), Stdout: childproc.Writer(&out), Stderr: childproc.Writer(&errOut),
		})
		require.NoError(t, err)
		assert.Nil(t, p.Stdin)
		assert.Nil(t, p.Stdout)
		assert.Nil(t, p.Stderr)
		require.NoError(t, p.Wait())
		assert.Equal(t, "HELLO\n", out.String())
		assert.Equal(t, "done\n", errOut.String())
	})
	t.Run("File", func(t *testing.T) {
		f, err := os.Create(filepath.Join(t.TempDir(), "out"))
		require.NoError(t, err)
		defer f.Close()
		p, err := childproc.Spawn(ctx, "echo", []string{"to a file"}, &childproc.Options{Stdout: childproc.File(f), Stderr: childproc.Ignore})
		require.NoError(t, err)
		require.NoError(t, p.Wait())
		b, err := os.ReadFile(f.Name())
		require.NoError(t, err)
		assert.Equal(t, "to a file\n", string(b))
	})
	t.Run("Ignore", func(t *testing.T) {
		p, err := childproc.Spawn(ctx, "sh", []string{"-c", "cat; echo x"}, &childproc.Options{Stdin: childproc.Ignore, Stdout: childproc.Ignore, Stderr: childproc.Ignore})
		require.NoError(t, err)
		assert.Nil(t, p.Stdout)
		require.NoError(t, p.Wait(), "cat reads /dev/null and ends")
	})
	t.Run("Pipe stdin", func(t *testing.T) {
		p, err := childproc.Spawn(ctx, "wc", []string{"-c"}, &childproc.Options{Stderr: childproc.Ignore})
		require.NoError(t, err)
		_, err = io.WriteString(p.Stdin, strings.Repeat("x", 100000))
		require.NoError(t, err)
		require.NoError(t, p.Stdin.Close())
		out, err := io.ReadAll(p.Stdout)
		require.NoError(t, err)
		require.NoError(t, p.Wait())
		assert.Equal(t, "100000", strings.TrimSpace(string(out)))
	})
	t.Run("ExtraFiles", func(t *testing.T) {
		r, w, err := os.Pipe()
		require.NoError(t, err)
		defer r.Close()
		p, err := childproc.Spawn(ctx, "sh", []string{"-c", "echo on fd 3 >&3"}, &childproc.Options{ExtraFiles: []*os.File{w}, Stdout: childproc.Ignore, Stderr: childproc.Ignore})
		require.NoError(t, err)
		w.Close()
		require.NoError(t, p.Wait())
		b, err := io.ReadAll(r)
		require.NoError(t, err)
		assert.Equal(t, "on fd 3\n", string(b))
	})
	t.Run("invalid", func(t *testing.T) {
		_, err := childproc.Spawn(ctx, "true", nil, &childproc.Options{Stdin: childproc.Writer(io.Discard)})
		assert.ErrorContains(t, err, "Writer cannot be used for fd 0")
	})
}

func TestSpawnEnvDirArgv0Shell(t *testing.T) {
	ctx := context.Background()
	t.Setenv("SPAWNKIT_SECRET", "hunter2")
	dir := t.TempDir()
	res, err := childproc.ExecFile(ctx, "sh", []string{"-c", `echo "$ANSWER|$SPAWNKIT_SECRET|$HOME|$(pwd)"`}, &childproc.Options{
		Env: []string{"ANSWER=41", "PATH=/usr/bin:/bin"}, ExtraEnv: []string{"ANSWER=42"}, Dir: dir,
	})
	require.NoError(t, err)
	real, _ := filepath.EvalSymlinks(dir)
	assert.Equal(t, "42|||"+real+"\n", string(res.Stdout), "explicit Env leaks nothing of the parent's")

	res, err = childproc.ExecFile(ctx, "sh", []string{"-c", `echo "$SPAWNKIT_SECRET $EXTRA"`}, &childproc.Options{ExtraEnv: []string{"EXTRA=yes"}})
	require.NoError(t, err)
	assert.Equal(t, "hunter2 yes\n", string(res.Stdout), "nil Env inherits")

	name, args, opts := helper(t, "argv0")
	opts.Argv0 = "custom-argv0"
	res, err = childproc.ExecFile(ctx, name, args, opts)
	require.NoError(t, err)
	assert.Equal(t, "custom-argv0", string(res.Stdout))

	p, err := childproc.Spawn(ctx, "echo $GREETING | tr a-z A-Z", nil, &childproc.Options{Shell: "/bin/sh", ExtraEnv: []string{"GREETING=hi there"}})
	require.NoError(t, err)
	out, _ := io.ReadAll(p.Stdout)
	io.Copy(io.Discard, p.Stderr)
	require.NoError(t, p.Wait())
	assert.Equal(t, "HI THERE\n", string(out))
}

func TestSpawnPTY(t *testing.T) {
	p, err := childproc.Spawn(context.Background(), "sh", []string{"-c", `test -t 0 && test -t 1 && echo "tty:$(tty | cut -c1-9)"; read line; echo "got:$line"`}, &childproc.Options{PTY: true})
	require.NoError(t, err)
	assert.Nil(t, p.Stderr)
	_, err = io.WriteString(p.Stdin, "typed\n")
	require.NoError(t, err)
	out, err := io.ReadAll(p.Stdout)
	require.NoError(t, err)
	require.NoError(t, p.Wait())
	// The terminal echoes what was typed and turns \n into \r\n.
	assert.Equal(t, "typed\r\ntty:/dev/pts/\r\ngot:typed\r\n", sortEcho(string(out)))
	assert.Equal(t, []string{"spawn", "exit(code=0)", "close(code=0)"}, kinds(collect(t, p)))
	// It leads its own session.
}

// sortEcho puts the terminal's echo of the typed line first: it may come
// before or after the first line the program prints.
func sortEcho(s string) string {
	if strings.HasPrefix(s, "typed\r\n") {
		return s
	}
	return "typed\r\n" + strings.Replace(s, "typed\r\n", "", 1)
}

func TestSpawnIgnoredEventsLeakNothing(t *testing.T) {
	testkit.NoLeaks(t)
	for range 20 {
		p, err := childproc.Spawn(context.Background(), "true", nil, nil)
		require.NoError(t, err)
		io.ReadAll(p.Stdout)
		io.ReadAll(p.Stderr)
		require.NoError(t, p.Wait())
	}
}

func TestSpawnCallerClosesStreamsEarly(t *testing.T) {
	// The child floods stdout; the caller closes it without reading: the
	// child gets SIGPIPE and Wait returns.
	p, err := childproc.Spawn(context.Background(), "yes", nil, &childproc.Options{Stderr: childproc.Ignore})
	require.NoError(t, err)
	buf := make([]byte, 10)
	_, err = io.ReadFull(p.Stdout, buf)
	require.NoError(t, err)
	require.NoError(t, p.Stdout.Close())
	var ee *childproc.ExitError
	require.ErrorAs(t, p.Wait(), &ee)
	assert.Equal(t, syscall.SIGPIPE, ee.Signal)
	assert.Equal(t, []string{"spawn", "exit(signal=broken pipe)", "close(signal=broken pipe)"}, kinds(collect(t, p)))
}

func TestDetachedUnrefOutlivesParent(t *testing.T) {
	marker := uniqueSleep()
	name, args, opts := helper(t, "detach", marker)
	res, err := childproc.ExecFile(context.Background(), name, args, opts)
	require.NoError(t, err, "helper: %s", res.Stderr)
	pid, err := strconv.Atoi(strings.TrimSpace(string(res.Stdout)))
	require.NoError(t, err)
	defer syscall.Kill(pid, syscall.SIGKILL)
	time.Sleep(100 * time.Millisecond)
	assert.True(t, testkit.Alive(pid), "the detached child lives after its parent exited")
	assert.Equal(t, pid, procOf(t, pid).Sid, "it leads its own session")
	assert.NotEqual(t, os.Getpid(), procOf(t, pid).PPid, "it was reparented")
}

func TestParentDeathKillsAttachedChild(t *testing.T) {
	skipUnlessLinux(t, "a non-detached child gets SIGKILL when the parent dies (PDEATHSIG)", "attached")
	requireParentDeathKills(t)
}

// requireParentDeathKills runs the "attached" helper (with extra args),
// which spawns a `sleep` child and prints its pid, then SIGKILLs the helper
// alone and requires the sleep to be gone: the kernel's parent-death
// signal killed it.
func requireParentDeathKills(t *testing.T, extra ...string) {
	t.Helper()
	marker := uniqueSleep()
	name, args, opts := helper(t, "attached", append([]string{marker}, extra...)...)
	opts.Stderr = childproc.Ignore
	p, err := childproc.Spawn(context.Background(), name, args, opts)
	require.NoError(t, err)
	line := make([]byte, 32)
	n, err := p.Stdout.Read(line)
	require.NoError(t, err)
	pid, err := strconv.Atoi(strings.TrimSpace(string(line[:n])))
	require.NoError(t, err)
	require.True(t, testkit.Alive(pid))
	// SIGKILL to the helper alone: Kill would take its child down too.
	require.NoError(t, p.Signal(syscall.SIGKILL))
	p.Wait()
	io.Copy(io.Discard, p.Stdout)
	waitGone(t, marker)
	collect(t, p)
}

func TestSpawnErrorsAreNotExitErrors(t *testing.T) {
	_, err := childproc.ExecFile(context.Background(), "no-such-program-spawnkit", nil, nil)
	var ee *childproc.ExitError
	assert.False(t, errors.As(err, &ee))
}

func TestDuplicateEnvKeysLastWins(t *testing.T) {
	res, err := childproc.ExecFile(context.Background(), "sh", []string{"-c", `echo "$A"`}, &childproc.Options{
		Env: []string{"PATH=/nowhere", "A=first", "PATH=/usr/bin:/bin", "A=second"},
	})
	require.NoError(t, err, "the PATH lookup and the child both use the last PATH")
	assert.Equal(t, "second\n", string(res.Stdout))
}
