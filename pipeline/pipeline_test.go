package pipeline_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spawnkit/spawnkit/childproc"
	"github.com/spawnkit/spawnkit/internal/iox"
	"github.com/spawnkit/spawnkit/internal/testkit"
	"github.com/spawnkit/spawnkit/pipeline"
)

func parse(t *testing.T, line string) *pipeline.Pipeline {
	t.Helper()
	p, err := pipeline.Parse(line)
	require.NoError(t, err)
	return p
}

func TestOutputExact(t *testing.T) {
	for _, tc := range []struct{ line, want string }{
		{`printf 'a\nb\nc\n' | sort -r | head -2`, "c\nb\n"},
		{`printf 'b\na\n' | sort`, "a\nb\n"},
		{`echo 'a|b' | tr '|' -`, "a-b\n"},
		{`printf '%s\n' "x y" z | wc -l`, "2\n"},
		{`echo one`, "one\n"},
		{`seq 1 100000 | grep 7 | wc -l`, "40951\n"},
	} {
		t.Run(tc.line, func(t *testing.T) {
			out, err := parse(t, tc.line).Output(context.Background())
			require.NoError(t, err)
			assert.Equal(t, tc.want, string(out))
		})
	}
}

func TestNewCommands(t *testing.T) {
	p := pipeline.New(
		pipeline.Command("printf", `%s\n`, "c", "a b", "b"),
		pipeline.Command("sort"),
		pipeline.Command("tr", "a-z", "A-Z"),
	)
	assert.Equal(t, `printf '%s\n' c 'a b' b | sort | tr a-z A-Z`, p.String())
	out, err := p.Output(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "A B\nB\nC\n", string(out))

	// A pipeline may be run again.
	out, err = p.Output(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "A B\nB\nC\n", string(out))
}

func TestRunStreams(t *testing.T) {
	t.Run("reader and writer", func(t *testing.T) {
		var out, errOut bytes.Buffer
		p := parse(t, `tr a-z A-Z | sh -c 'cat; echo oops >&2'`)
		p.Stdin = strings.NewReader("hello\nworld\n")
		p.Stdout = &out
		p.Stderr = &errOut
		require.NoError(t, p.Run(context.Background()))
		assert.Equal(t, "HELLO\nWORLD\n", out.String())
		assert.Equal(t, "oops\n", errOut.String())
	})
	t.Run("files", func(t *testing.T) {
		dir := t.TempDir()
		in := filepath.Join(dir, "in")
		require.NoError(t, os.WriteFile(in, []byte("3\n1\n2\n"), 0o644))
		fin, err := os.Open(in)
		require.NoError(t, err)
		defer fin.Close()
		fout, err := os.Create(filepath.Join(dir, "out"))
		require.NoError(t, err)
		defer fout.Close()

		p := parse(t, "sort -n | tail -2")
		p.Stdin, p.Stdout = fin, fout
		require.NoError(t, p.Run(context.Background()))
		b, err := os.ReadFile(fout.Name())
		require.NoError(t, err)
		assert.Equal(t, "2\n3\n", string(b))
	})
	t.Run("nil ends", func(t *testing.T) {
		// nil Stdin is empty; nil Stdout discards.
		require.NoError(t, parse(t, "cat | wc -c").Run(context.Background()))
		out, err := parse(t, "cat | wc -c").Output(context.Background())
		require.NoError(t, err)
		assert.Equal(t, "0\n", string(out))
	})
	t.Run("Output with Stdout set", func(t *testing.T) {
		p := parse(t, "true")
		p.Stdout = io.Discard
		_, err := p.Output(context.Background())
		require.EqualError(t, err, "pipeline: Output: Stdout already set")
	})
	t.Run("writer error fails the last stage", func(t *testing.T) {
		p := parse(t, "yes | cat")
		p.Stdout = failingWriter{}
		err := p.Run(context.Background())
		var pe *pipeline.Error
		require.ErrorAs(t, err, &pe)
		assert.Equal(t, 1, pe.Stage)
		assert.ErrorIs(t, err, errWrite)
		assert.Equal(t, "pipeline: stage 1 (cat) failed: writing the output: disk full", err.Error())
	})
}

var errWrite = errors.New("disk full")

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errWrite }

func TestOptions(t *testing.T) {
	dir := t.TempDir()
	other := t.TempDir()
	p := pipeline.New(
		pipeline.Command("sh", "-c", `pwd; echo "$A $B"`),
		pipeline.CommandWith("sh", []string{"-c", `cat; pwd; echo "$A $B"`},
			&childproc.Options{Dir: other, ExtraEnv: []string{"B=stage"}}),
		pipeline.CommandWith("sh", []string{"-c", `cat; echo "$A $B"`},
			&childproc.Options{Env: []string{"A=only", "PATH=" + os.Getenv("PATH")}}),
	)
	p.Dir = dir
	p.ExtraEnv = []string{"A=pipe", "B=pipe"}
	out, err := p.Output(context.Background())
	require.NoError(t, err)
	real := func(d string) string {
		r, err := filepath.EvalSymlinks(d)
		require.NoError(t, err)
		return r
	}
	assert.Equal(t, real(dir)+"\npipe pipe\n"+real(other)+"\npipe stage\n"+"pipe pipe\n", string(out))
}

// TestCommandWithRefusesWhatAStageCannotHonour checks that every option a
// pipeline stage would have to ignore fails Run, naming the stage and the
// field, before any stage starts.
func TestCommandWithRefusesWhatAStageCannotHonour(t *testing.T) {
	testkit.NoLeaks(t)
	for _, tc := range []struct {
		opts childproc.Options
		want string
	}{
		{childproc.Options{Stdin: childproc.Ignore}, "Options.Stdin (Ignore): the pipeline connects the stages (set Pipeline.Stdin, Stdout or Stderr)"},
		{childproc.Options{Stdout: childproc.Inherit}, "Options.Stdout (Inherit): the pipeline connects the stages (set Pipeline.Stdin, Stdout or Stderr)"},
		{childproc.Options{Stderr: childproc.Writer(io.Discard)}, "Options.Stderr (Writer): the pipeline connects the stages (set Pipeline.Stdin, Stdout or Stderr)"},
		{childproc.Options{Shell: "/bin/sh"}, `Options.Shell is not for a pipeline stage (use Command("sh", "-c", line))`},
		{childproc.Options{IPC: true}, "Options.IPC is not for a pipeline stage (a stage has no message channel)"},
		{childproc.Options{IPCRecv: true}, "Options.IPCRecv is not for a pipeline stage (a stage has no message channel)"},
		{childproc.Options{PTY: true}, "Options.PTY is not for a pipeline stage (a stage reads and writes pipes)"},
		{childproc.Options{Detached: true}, "Options.Detached is not for a pipeline stage (every stage ends with the pipeline)"},
		{childproc.Options{Input: strings.NewReader("x")}, "Options.Input is not for a pipeline stage (set Pipeline.Stdin)"},
		{childproc.Options{MaxBuffer: 10}, "Options.MaxBuffer is not for a pipeline stage (set Pipeline.MaxBuffer)"},
		{childproc.Options{Combined: true}, "Options.Combined is not for a pipeline stage (Output keeps the last stage's stdout)"},
	} {
		p := pipeline.New(
			pipeline.Command("sleep", "7.601"),
			pipeline.CommandWith("cat", []string{"-u"}, &tc.opts),
		)
		_, err := p.Output(context.Background())
		assert.EqualError(t, err, "pipeline: stage 1 (cat -u): "+tc.want)
		assert.Empty(t, testkit.WithArg("7.601"), "a stage started")
	}
	// An explicit Pipe is what the pipeline does anyway.
	out, err := pipeline.New(pipeline.CommandWith("echo", []string{"ok"}, &childproc.Options{Stdout: childproc.Pipe})).Output(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "ok\n", string(out))
}

func TestPipefail(t *testing.T) {
	ctx := context.Background()
	t.Run("false | cat", func(t *testing.T) {
		err := parse(t, "false | cat").Run(ctx)
		var pe *pipeline.Error
		require.ErrorAs(t, err, &pe)
		assert.Equal(t, 0, pe.Stage)
		assert.Equal(t, "false", pe.Command)
		var ee *childproc.ExitError
		require.ErrorAs(t, err, &ee)
		assert.Equal(t, 1, ee.ExitCode)
		assert.Equal(t, syscall.Signal(0), ee.Signal)
		assert.Equal(t, "pipeline: stage 0 (false) failed: exit status 1", err.Error())
	})
	t.Run("cat missing | wc -l", func(t *testing.T) {
		dir := t.TempDir()
		p := parse(t, "cat missing | wc -l")
		p.Dir = dir
		out, err := p.Output(ctx)
		assert.Equal(t, "0\n", string(out))
		var pe *pipeline.Error
		require.ErrorAs(t, err, &pe)
		assert.Equal(t, 0, pe.Stage)
		assert.Equal(t, "cat missing", pe.Command)
		assert.Equal(t, "cat: missing: No such file or directory\n", string(pe.Stderr))
		var ee *childproc.ExitError
		require.ErrorAs(t, err, &ee)
		assert.Equal(t, 1, ee.ExitCode)
		assert.Equal(t, pe.Stderr, ee.Stderr)
		assert.Equal(t, "pipeline: stage 0 (cat missing) failed: exit status 1: cat: missing: No such file or directory", err.Error())
	})
	t.Run("leftmost failure wins", func(t *testing.T) {
		err := parse(t, `sh -c 'echo first >&2; exit 3' | sh -c 'cat; echo second >&2; exit 4' | cat`).Run(ctx)
		var pe *pipeline.Error
		require.ErrorAs(t, err, &pe)
		assert.Equal(t, 0, pe.Stage)
		assert.Equal(t, `sh -c 'echo first >&2; exit 3'`, pe.Command)
		assert.Equal(t, `pipeline: stage 0 (sh -c 'echo first >&2; exit 3') failed: exit status 3: first`, err.Error())
	})
	t.Run("last stage fails", func(t *testing.T) {
		out, err := parse(t, "echo hi | sh -c 'cat; exit 7'").Output(ctx)
		assert.Equal(t, "hi\n", string(out))
		var pe *pipeline.Error
		require.ErrorAs(t, err, &pe)
		assert.Equal(t, 1, pe.Stage)
		var ee *childproc.ExitError
		require.ErrorAs(t, err, &ee)
		assert.Equal(t, 7, ee.ExitCode)
	})
	t.Run("stderr tail is bounded", func(t *testing.T) {
		// 10000 lines of stderr: the error keeps the last 4 KiB.
		err := parse(t, `sh -c 'seq 1 10000 >&2; exit 2'`).Run(ctx)
		var pe *pipeline.Error
		require.ErrorAs(t, err, &pe)
		assert.Len(t, pe.Stderr, 4096)
		assert.True(t, strings.HasSuffix(string(pe.Stderr), "\n9999\n10000\n"))
		assert.Equal(t, `pipeline: stage 0 (sh -c 'seq 1 10000 >&2; exit 2') failed: exit status 2: 10000`, err.Error())
	})
}

func TestSIGPIPE(t *testing.T) {
	ctx := context.Background()
	t.Run("yes | head -1 succeeds", func(t *testing.T) {
		out, err := parse(t, "yes | head -1").Output(ctx)
		require.NoError(t, err)
		assert.Equal(t, "y\n", string(out))
	})
	t.Run("yes | cat | head -c 3 succeeds", func(t *testing.T) {
		out, err := parse(t, "yes | cat | head -c 3").Output(ctx)
		require.NoError(t, err)
		assert.Equal(t, "y\ny", string(out))
	})
	t.Run("a SIGPIPE while the next stage runs fails", func(t *testing.T) {
		out, err := parse(t, `sh -c 'echo a; kill -PIPE $$' | cat`).Output(ctx)
		assert.Equal(t, "a\n", string(out))
		var pe *pipeline.Error
		require.ErrorAs(t, err, &pe)
		assert.Equal(t, 0, pe.Stage)
		var ee *childproc.ExitError
		require.ErrorAs(t, err, &ee)
		assert.Equal(t, syscall.SIGPIPE, ee.Signal)
		assert.False(t, ee.Killed)
		assert.Equal(t, `pipeline: stage 0 (sh -c 'echo a; kill -PIPE $$') failed: signal 13 (broken pipe)`, err.Error())
	})
	t.Run("a SIGPIPE in the last stage fails", func(t *testing.T) {
		err := parse(t, `echo | sh -c 'kill -PIPE $$'`).Run(ctx)
		var pe *pipeline.Error
		require.ErrorAs(t, err, &pe)
		assert.Equal(t, 1, pe.Stage)
	})
	t.Run("a failure before the cut still counts", func(t *testing.T) {
		// sh exits 5 after head stopped reading: not a SIGPIPE death.
		err := parse(t, `sh -c 'yes; exit 5' | head -1`).Run(ctx)
		var ee *childproc.ExitError
		require.ErrorAs(t, err, &ee)
		assert.Equal(t, 5, ee.ExitCode)
	})
	t.Run("Func cut off by EPIPE succeeds", func(t *testing.T) {
		p := pipeline.New(
			pipeline.Func(func(ctx context.Context, in io.Reader, out io.Writer) error {
				for {
					if _, err := io.WriteString(out, "abc\n"); err != nil {
						return err
					}
				}
			}),
			pipeline.Command("head", "-2"),
		)
		out, err := p.Output(ctx)
		require.NoError(t, err)
		assert.Equal(t, "abc\nabc\n", string(out))
	})
	t.Run("program cut off by a Func succeeds", func(t *testing.T) {
		p := pipeline.New(
			pipeline.Command("yes"),
			pipeline.Func(func(ctx context.Context, in io.Reader, out io.Writer) error {
				_, err := io.CopyN(out, in, 4)
				return err
			}),
		)
		out, err := p.Output(ctx)
		require.NoError(t, err)
		assert.Equal(t, "y\ny\n", string(out))
	})
	t.Run("Func cut off by a Func succeeds", func(t *testing.T) {
		p := pipeline.New(
			pipeline.Func(func(ctx context.Context, in io.Reader, out io.Writer) error {
				_, err := io.Copy(out, iox.Zeros{})
				return err
			}),
			pipeline.Func(func(ctx context.Context, in io.Reader, out io.Writer) error {
				_, err := io.CopyN(out, in, 5)
				return err
			}),
			pipeline.Command("wc", "-c"),
		)
		out, err := p.Output(ctx)
		require.NoError(t, err)
		assert.Equal(t, "5\n", string(out))
	})
}

func TestFuncStages(t *testing.T) {
	ctx := context.Background()
	upper := pipeline.Func(func(ctx context.Context, in io.Reader, out io.Writer) error {
		b, err := io.ReadAll(in)
		if err != nil {
			return err
		}
		_, err = out.Write(bytes.ToUpper(b))
		return err
	})
	t.Run("start", func(t *testing.T) {
		p := pipeline.New(
			pipeline.Func(func(ctx context.Context, in io.Reader, out io.Writer) error {
				_, err := io.WriteString(out, "x\nz\ny\n")
				return err
			}),
			pipeline.Command("sort", "-r"),
		)
		assert.Equal(t, "func | sort -r", p.String())
		out, err := p.Output(ctx)
		require.NoError(t, err)
		assert.Equal(t, "z\ny\nx\n", string(out))
	})
	t.Run("start reads Stdin", func(t *testing.T) {
		p := pipeline.New(upper, pipeline.Command("cat"))
		p.Stdin = strings.NewReader("abc")
		out, err := p.Output(ctx)
		require.NoError(t, err)
		assert.Equal(t, "ABC", string(out))
	})
	t.Run("middle", func(t *testing.T) {
		p := pipeline.New(pipeline.Command("printf", `a\nb\n`), upper, pipeline.Command("tac"))
		out, err := p.Output(ctx)
		require.NoError(t, err)
		assert.Equal(t, "B\nA\n", string(out))
	})
	t.Run("end", func(t *testing.T) {
		var got bytes.Buffer
		p := pipeline.New(pipeline.Command("printf", "hello"), upper)
		p.Stdout = &got
		require.NoError(t, p.Run(ctx))
		assert.Equal(t, "HELLO", got.String())
		out, err := pipeline.New(pipeline.Command("printf", "hello"), upper).Output(ctx)
		require.NoError(t, err)
		assert.Equal(t, "HELLO", string(out))
	})
	t.Run("only funcs", func(t *testing.T) {
		p := pipeline.New(upper, upper)
		p.Stdin = strings.NewReader("q")
		out, err := p.Output(ctx)
		require.NoError(t, err)
		assert.Equal(t, "Q", string(out))
	})
	t.Run("error", func(t *testing.T) {
		errBoom := errors.New("boom")
		p := pipeline.New(
			pipeline.Command("echo", "x"),
			pipeline.Func(func(ctx context.Context, in io.Reader, out io.Writer) error {
				io.Copy(out, in)
				return errBoom
			}),
			pipeline.Command("cat"),
		)
		out, err := p.Output(ctx)
		assert.Equal(t, "x\n", string(out))
		var pe *pipeline.Error
		require.ErrorAs(t, err, &pe)
		assert.Equal(t, 1, pe.Stage)
		assert.Equal(t, "func", pe.Command)
		assert.Nil(t, pe.Stderr)
		assert.ErrorIs(t, err, errBoom)
		assert.Equal(t, "pipeline: stage 1 (func) failed: boom", err.Error())
	})
	t.Run("EPIPE into the caller's writer fails", func(t *testing.T) {
		p := pipeline.New(pipeline.Func(func(ctx context.Context, in io.Reader, out io.Writer) error {
			return fmt.Errorf("write: %w", syscall.EPIPE)
		}))
		var pe *pipeline.Error
		require.ErrorAs(t, p.Run(ctx), &pe)
		assert.Equal(t, 0, pe.Stage)
	})
}

func TestBadPipelines(t *testing.T) {
	ctx := context.Background()
	require.EqualError(t, pipeline.New().Run(ctx), "pipeline: no stages")
	require.EqualError(t, pipeline.New(pipeline.Command("true"), nil).Run(ctx), "pipeline: stage 1 is nil")
}

func TestMissingProgram(t *testing.T) {
	testkit.NoLeaks(t)
	p := pipeline.New(
		pipeline.Command("sleep", "7.101"),
		pipeline.Command("sleep", "7.102"),
		pipeline.Command("no-such-program-spawnkit", "arg"),
		pipeline.Command("sleep", "7.103"),
	)
	start := time.Now()
	err := p.Run(context.Background())
	t.Logf("failed after %v", time.Since(start))
	require.ErrorIs(t, err, fs.ErrNotExist)
	var pe *pipeline.Error
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, 2, pe.Stage)
	assert.Equal(t, "no-such-program-spawnkit arg", pe.Command)
	assert.Contains(t, err.Error(), "no-such-program-spawnkit")
	assert.True(t, strings.HasPrefix(err.Error(), "pipeline: stage 2 (no-such-program-spawnkit arg) failed: "), err.Error())
	for _, arg := range []string{"7.101", "7.102", "7.103"} {
		assert.Empty(t, testkit.WithArg(arg), "sleep %s still runs", arg)
	}

	// Func stages do not run when a program cannot start.
	ran := false
	p = pipeline.New(
		pipeline.Func(func(ctx context.Context, in io.Reader, out io.Writer) error {
			ran = true
			return nil
		}),
		pipeline.Command("sleep", "7.105"),
		pipeline.Command("./no-such-program-spawnkit"),
	)
	err = p.Run(context.Background())
	require.ErrorIs(t, err, fs.ErrNotExist)
	assert.False(t, ran)
	assert.Empty(t, testkit.WithArg("7.105"))

	// A bad Dir is a start failure too.
	p = parse(t, "sleep 7.104 | cat")
	p.Dir = filepath.Join(t.TempDir(), "missing")
	err = p.Run(context.Background())
	require.ErrorIs(t, err, fs.ErrNotExist)
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, 0, pe.Stage)
	assert.Empty(t, testkit.WithArg("7.104"))
}

func TestCancelKillsEveryStage(t *testing.T) {
	// No zombie, and no descriptor: childproc keeps a pidfd for each
	// descendant it signalled until the whole tree is gone, which may be
	// just after Wait returned.
	testkit.NoLeaks(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Stage 1 runs a grandchild (the shell forks sleep 7.202 and waits), and
	// a Func in the middle blocks reading.
	p := pipeline.New(
		pipeline.Command("sleep", "7.201"),
		pipeline.Command("sh", "-c", "sleep 7.202; echo done"),
		pipeline.Func(func(ctx context.Context, in io.Reader, out io.Writer) error {
			_, err := io.Copy(out, in)
			return err
		}),
		pipeline.Command("sleep", "7.203"),
	)
	errc := make(chan error, 1)
	go func() { errc <- p.Run(ctx) }()
	for _, arg := range []string{"7.201", "7.202", "7.203"} {
		waitForProcs(t, arg, 1)
	}
	cancel()
	err := testkit.RecvOrFail(t, errc, time.Minute, "Run did not return after cancel")
	require.ErrorIs(t, err, context.Canceled)
	var pe *pipeline.Error
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, 0, pe.Stage)
	var ee *childproc.ExitError
	require.ErrorAs(t, err, &ee)
	assert.True(t, ee.Killed)
	// The stages themselves were reaped before Run returned; the grandchild
	// got its signal then, but may take a moment to be gone.
	for _, arg := range []string{"7.201", "7.203"} {
		assert.Empty(t, testkit.WithArg(arg), "sleep %s still runs", arg)
	}
	assert.Eventually(t, func() bool { return len(testkit.WithArg("7.202")) == 0 },
		20*time.Second, 10*time.Millisecond, "grandchild sleep 7.202 still runs")
}

func TestTimeout(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	err := parse(t, "sleep 7.301 | cat").Run(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Empty(t, testkit.WithArg("7.301"))

	// A ctx that is already done starts nothing.
	err = parse(t, "sleep 7.302").Run(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestFuncSeesCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{})
	p := pipeline.New(
		pipeline.Func(func(ctx context.Context, in io.Reader, out io.Writer) error {
			close(started)
			<-ctx.Done()
			return ctx.Err()
		}),
		pipeline.Command("cat"),
	)
	errc := make(chan error, 1)
	go func() { errc <- p.Run(ctx) }()
	<-started
	cancel()
	err := <-errc
	require.ErrorIs(t, err, context.Canceled)
	var pe *pipeline.Error
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, 0, pe.Stage)
}

func TestMaxBuffer(t *testing.T) {
	p := parse(t, "yes | cat")
	p.MaxBuffer = 10
	out, err := p.Output(context.Background())
	assert.Equal(t, "y\ny\ny\ny\ny\n", string(out))
	require.ErrorIs(t, err, childproc.ErrMaxBuffer)
	var pe *pipeline.Error
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, 1, pe.Stage)
	assert.Equal(t, "pipeline: stage 1 (cat) failed: output longer than MaxBuffer (10 bytes): childproc: maxBuffer length exceeded", err.Error())
	assert.Empty(t, testkit.Zombies())

	// A Func as the last stage is bounded too.
	p = pipeline.New(pipeline.Command("yes"), pipeline.Func(func(ctx context.Context, in io.Reader, out io.Writer) error {
		_, err := io.Copy(out, in)
		return err
	}))
	p.MaxBuffer = 4
	out, err = p.Output(context.Background())
	assert.Equal(t, "y\ny\n", string(out))
	require.ErrorIs(t, err, childproc.ErrMaxBuffer)

	// The default is 1 MiB; exactly that much is fine.
	out, err = parse(t, "head -c 1048576 /dev/zero").Output(context.Background())
	require.NoError(t, err)
	assert.Len(t, out, 1<<20)
	out, err = parse(t, "head -c 1048577 /dev/zero").Output(context.Background())
	require.ErrorIs(t, err, childproc.ErrMaxBuffer)
	assert.Len(t, out, 1<<20)

	// <0: no limit.
	p = parse(t, "head -c 3000000 /dev/zero")
	p.MaxBuffer = -1
	out, err = p.Output(context.Background())
	require.NoError(t, err)
	assert.Len(t, out, 3000000)
}

// TestBulkRSS pushes 1 GiB through three processes and checks that it never
// passes through this process: a helper copy of the test binary runs the
// pipeline and reports its peak RSS (VmHWM), which is per process.
func TestBulkRSS(t *testing.T) {
	size := int64(1 << 30)
	if testing.Short() {
		t.Log("-short: pushing 64 MiB instead of 1 GiB")
		size = 64 << 20
	}
	res, err := childproc.ExecFile(context.Background(), testkit.Executable(t), []string{strconv.FormatInt(size, 10)}, &childproc.Options{
		ExtraEnv: []string{testkit.HelperEnvFor(t, "bulk")},
	})
	require.NoError(t, err, "stderr: %s", res.Stderr)
	f := strings.Fields(string(res.Stdout))
	require.Len(t, f, 3, "helper output %q", res.Stdout)
	assert.Equal(t, strconv.FormatInt(size, 10), f[0])
	hwm, _ := strconv.ParseInt(f[1], 10, 64)
	ns, _ := strconv.ParseInt(f[2], 10, 64)
	elapsed := time.Duration(ns)
	t.Logf("%d MiB through head | cat | wc -c: peak RSS of the parent %.1f MiB, %v, %.0f MiB/s",
		size>>20, float64(hwm)/(1<<20), elapsed, float64(size)/(1<<20)/elapsed.Seconds())
	assert.Less(t, hwm, int64(32<<20), "peak RSS")
}

func TestDoneCtxWithCause(t *testing.T) {
	// A ctx that is already done starts nothing, and the error matches both
	// ctx.Err() and the cause it was cancelled with.
	cause := errors.New("shutting down")
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(cause)
	err := parse(t, "sleep 7.401").Run(ctx)
	require.ErrorIs(t, err, context.Canceled)
	require.ErrorIs(t, err, cause)
	assert.Empty(t, testkit.WithArg("7.401"))
}
