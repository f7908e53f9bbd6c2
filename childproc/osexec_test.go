//go:build unix

package childproc_test

// Ported from Go's os/exec exec_test.go and exec_posix_test.go. Each test
// keeps os/exec's name with the "OSExec" prefix and runs real processes:
// os/exec's helper commands (registerHelperCommand) are modes of this test
// binary, registered in osexecHelpers. Where spawnkit deliberately differs
// from os/exec, the test asserts spawnkit's documented behaviour and says
// why.
//
// Not ported, for want of an equivalent: TestDoubleStartLeavesPipesOpen and
// TestStart_twice (a Process is started once, by Spawn), TestCancelErrors
// (there is no Cancel hook: the kill is KillSignal then SIGKILL, and a
// failed kill is an EventError), TestPrefixSuffixSaver (Exec keeps the
// first MaxBuffer bytes, Node's way, not a prefix and a suffix) and the
// Windows and Plan 9 files.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/spawnkit/spawnkit/childproc"
	"github.com/spawnkit/spawnkit/internal/testkit"
)

func init() {
	for name, fn := range map[string]func(args ...string){
		"echo":       cmdEcho,
		"echoenv":    cmdEchoEnv,
		"cat":        cmdCat,
		"pipetest":   cmdPipeTest,
		"stdinClose": cmdStdinClose,
		"exit":       cmdExit,
		"stderrfail": cmdStderrFail,
		"yes":        cmdYes,
		"pwd":        cmdPwd,
		"interleave": cmdInterleave,
		"ordered":    cmdOrdered,
	} {
		testkit.RegisterHelper(name, func(args []string) int {
			fn(args...)
			return 0
		})
	}
}

// helperCommand returns what runs the named helper command: the test
// binary, its arguments and Options naming the helper (ExtraEnv only, so
// Env stays nil as os/exec's tests require).
func helperCommand(t *testing.T, name string, args ...string) (string, []string, *childproc.Options) {
	t.Helper()
	return helper(t, name, args...)
}

func cmdEcho(args ...string) {
	iargs := []any{}
	for _, s := range args {
		iargs = append(iargs, s)
	}
	fmt.Println(iargs...)
}

func cmdEchoEnv(args ...string) {
	for _, s := range args {
		fmt.Println(os.Getenv(s))
	}
}

func cmdCat(args ...string) {
	if len(args) == 0 {
		io.Copy(os.Stdout, os.Stdin)
		return
	}
	exit := 0
	for _, fn := range args {
		f, err := os.Open(fn)
		if err != nil {
			fmt.Fprintf(os.Stderr, "Error: %v\n", err)
			exit = 2
		} else {
			defer f.Close()
			io.Copy(os.Stdout, f)
		}
	}
	os.Exit(exit)
}

func cmdPipeTest(...string) {
	bufr := bufio.NewReader(os.Stdin)
	for {
		line, _, err := bufr.ReadLine()
		if err == io.EOF {
			break
		} else if err != nil {
			os.Exit(1)
		}
		if bytes.HasPrefix(line, []byte("O:")) {
			os.Stdout.Write(line)
			os.Stdout.Write([]byte{'\n'})
		} else if bytes.HasPrefix(line, []byte("E:")) {
			os.Stderr.Write(line)
			os.Stderr.Write([]byte{'\n'})
		} else {
			os.Exit(1)
		}
	}
}

const stdinCloseTestString = "Some test string."

func cmdStdinClose(...string) {
	b, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintf(os.Stderr, "Error: %v\n", err)
		os.Exit(1)
	}
	if s := string(b); s != stdinCloseTestString {
		fmt.Fprintf(os.Stderr, "Error: Read %q, want %q", s, stdinCloseTestString)
		os.Exit(1)
	}
}

func cmdExit(args ...string) {
	n, _ := strconv.Atoi(args[0])
	os.Exit(n)
}

func cmdStderrFail(...string) {
	fmt.Fprintf(os.Stderr, "some stderr text\n")
	os.Exit(1)
}

func cmdYes(args ...string) {
	if len(args) == 0 {
		args = []string{"y"}
	}
	s := strings.Join(args, " ") + "\n"
	for {
		_, err := os.Stdout.WriteString(s)
		if err != nil {
			os.Exit(1)
		}
	}
}

func cmdPwd(...string) {
	pwd, err := os.Getwd()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(pwd)
}

// cmdInterleave writes "o<i>\n" to stdout and "e<i>\n" to stderr, args[0]
// times each, alternating.
func cmdInterleave(args ...string) {
	n, _ := strconv.Atoi(args[0])
	for i := range n {
		fmt.Fprintf(os.Stdout, "o%d\n", i)
		fmt.Fprintf(os.Stderr, "e%d\n", i)
	}
}

// cmdOrdered writes each argument, "o:TEXT" to stdout and "e:TEXT" to
// stderr, with a newline, and before the next one waits until the parent
// has read that pipe empty (FIONREAD), then a moment more.
func cmdOrdered(args ...string) {
	for _, a := range args {
		f := os.Stdout
		if a[0] == 'e' {
			f = os.Stderr
		}
		f.WriteString(a[2:] + "\n")
		for {
			n, err := unix.IoctlGetInt(int(f.Fd()), fionread)
			if err != nil || n == 0 {
				break
			}
			time.Sleep(time.Millisecond)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestOSExecEcho(t *testing.T) {
	t.Parallel()
	exe, args, opts := helperCommand(t, "echo", "foo bar", "baz")
	res, err := childproc.ExecFile(context.Background(), exe, args, opts)
	require.NoError(t, err)
	assert.Equal(t, "foo bar baz\n", string(res.Stdout))
}

func TestOSExecCommandRelativeName(t *testing.T) {
	t.Parallel()
	exe, args, opts := helperCommand(t, "echo", "foo")
	// Run our own binary as a relative path from its parent directory: a
	// name holding a slash is relative to Options.Dir, as os/exec's Path is.
	dir := filepath.Dir(exe)
	opts.Dir = filepath.Dir(dir)
	rel := filepath.Join(filepath.Base(dir), filepath.Base(exe))
	res, err := childproc.ExecFile(context.Background(), rel, args, opts)
	require.NoError(t, err)
	assert.Equal(t, "foo\n", string(res.Stdout))
}

func TestOSExecCatStdin(t *testing.T) {
	t.Parallel()
	input := "Input string\nLine 2"
	exe, args, opts := helperCommand(t, "cat")
	opts.Input = strings.NewReader(input)
	res, err := childproc.ExecFile(context.Background(), exe, args, opts)
	require.NoError(t, err)
	assert.Equal(t, input, string(res.Stdout))
}

func TestOSExecEchoFileRace(t *testing.T) {
	t.Parallel()
	exe, args, opts := helperCommand(t, "echo")
	opts.Stdout = childproc.Ignore
	opts.Stderr = childproc.Ignore
	p, err := childproc.Spawn(context.Background(), exe, args, opts)
	require.NoError(t, err)
	wrote := make(chan bool)
	go func() {
		defer close(wrote)
		fmt.Fprint(p.Stdin, "echo\n")
	}()
	require.NoError(t, p.Wait())
	<-wrote
}

func TestOSExecNoExistExecutable(t *testing.T) {
	t.Parallel()
	_, err := childproc.ExecFile(context.Background(), "/no-exist-executable", nil, nil)
	assert.ErrorIs(t, err, fs.ErrNotExist)
	assert.Equal(t, "childproc: spawn /no-exist-executable: no such file or directory", err.Error())
}

// os/exec's ExitError reads "exit status 42"; spawnkit's names the command
// (quoted so it pastes into a shell) after its package prefix, as every
// error of the package does.
func TestOSExecExitStatus(t *testing.T) {
	t.Parallel()
	exe, args, opts := helperCommand(t, "exit", "42")
	_, err := childproc.ExecFile(context.Background(), exe, args, opts)
	var ee *childproc.ExitError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, "childproc: command failed: "+exe+" 42: exit status 42", ee.Error())
	assert.Equal(t, childproc.ExitStatus{Code: 42}, ee.Status())
	assert.Equal(t, "exit status 42", ee.Status().String())

	_, err = childproc.ExecFile(context.Background(), "sh", []string{"-c", "echo done; exit 3"}, nil)
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, "childproc: command failed: sh -c 'echo done; exit 3': exit status 3", ee.Error())
	assert.Equal(t, "done\n", string(ee.Stdout))
}

func TestOSExecExitCode(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		args []string
		want int
	}{
		{[]string{"exit", "42"}, 42},
		{[]string{"/no-exist-executable"}, 2}, // an unknown helper exits 2
		{[]string{"exit", "255"}, 255},
		{[]string{"cat"}, 0},
	} {
		exe, args, opts := testkit.Executable(t), tc.args[1:], &childproc.Options{ExtraEnv: []string{testkit.HelperEnv + "=" + tc.args[0]}}
		if tc.want != 2 {
			exe, args, opts = helperCommand(t, tc.args[0], tc.args[1:]...)
		}
		res, _ := childproc.ExecFile(ctx, exe, args, opts)
		assert.Equal(t, tc.want, res.ExitCode, "%v", tc.args)
	}

	// A process that has not ended yet: -1, as os/exec's nil ProcessState.
	exe, args, opts := helperCommand(t, "cat")
	opts.Stdout, opts.Stderr = childproc.Ignore, childproc.Ignore
	p, err := childproc.Spawn(ctx, exe, args, opts)
	require.NoError(t, err)
	assert.Equal(t, -1, p.ExitCode())
	st, exited := p.ExitStatus()
	assert.False(t, exited)
	assert.Equal(t, childproc.ExitStatus{Code: -1}, st)
	require.NoError(t, p.Stdin.Close())
	require.NoError(t, p.Wait())
	st, exited = p.ExitStatus()
	assert.True(t, exited)
	assert.Equal(t, childproc.ExitStatus{Code: 0}, st)
	assert.True(t, st.Success())
}

func TestOSExecPipes(t *testing.T) {
	t.Parallel()
	exe, args, opts := helperCommand(t, "pipetest")
	p, err := childproc.Spawn(context.Background(), exe, args, opts)
	require.NoError(t, err)
	outbr := bufio.NewReader(p.Stdout)
	errbr := bufio.NewReader(p.Stderr)
	line := func(what string, br *bufio.Reader) string {
		line, _, err := br.ReadLine()
		require.NoError(t, err, what)
		return string(line)
	}
	_, err = p.Stdin.Write([]byte("O:I am output\n"))
	require.NoError(t, err)
	assert.Equal(t, "O:I am output", line("first output line", outbr))
	_, err = p.Stdin.Write([]byte("E:I am error\n"))
	require.NoError(t, err)
	assert.Equal(t, "E:I am error", line("first error line", errbr))
	_, err = p.Stdin.Write([]byte("O:I am output2\n"))
	require.NoError(t, err)
	assert.Equal(t, "O:I am output2", line("second output line", outbr))
	require.NoError(t, p.Stdin.Close())
	require.NoError(t, p.Wait())
	// spawnkit's pipes stay the caller's after Wait (os/exec closes them):
	// they read to EOF.
	rest, err := io.ReadAll(outbr)
	require.NoError(t, err)
	assert.Empty(t, rest)
	rest, err = io.ReadAll(errbr)
	require.NoError(t, err)
	assert.Empty(t, rest)
}

// startStdinClose starts the stdinClose helper, which reads stdin and
// checks it got stdinCloseTestString, with stdout and stderr ignored.
func startStdinClose(t *testing.T) *childproc.Process {
	t.Helper()
	exe, args, opts := helperCommand(t, "stdinClose")
	opts.Stdout, opts.Stderr = childproc.Ignore, childproc.Ignore
	p, err := childproc.Spawn(context.Background(), exe, args, opts)
	require.NoError(t, err)
	return p
}

// Issue 6270: closing stdin does not race with Wait. spawnkit closes the
// stdin pipe when the child exits; closing it again is not an error.
func TestOSExecStdinClose(t *testing.T) {
	t.Parallel()
	p := startStdinClose(t)
	var wg sync.WaitGroup
	wg.Add(1)
	defer wg.Wait()
	go func() {
		defer wg.Done()
		_, err := io.Copy(p.Stdin, strings.NewReader(stdinCloseTestString))
		assert.NoError(t, err)
		assert.NoError(t, p.Stdin.Close())
	}()
	require.NoError(t, p.Wait())
}

// Issue 17647: the race detector sees no race between Kill, writing and
// closing stdin, and Wait.
func TestOSExecStdinCloseRace(t *testing.T) {
	t.Parallel()
	p := startStdinClose(t)
	var wg sync.WaitGroup
	wg.Add(2)
	defer wg.Wait()
	go func() {
		defer wg.Done()
		p.Kill() // may find the child gone already
	}()
	go func() {
		defer wg.Done()
		io.Copy(p.Stdin, strings.NewReader("unexpected string"))
		assert.NoError(t, p.Stdin.Close())
	}()
	assert.Error(t, p.Wait())
}

// Issue 5071: a program that cannot start leaks no descriptor, pipes
// asked for included.
func TestOSExecPipeLookPathLeak(t *testing.T) {
	testkit.NoLeaks(t)
	for range 6 {
		_, err := childproc.Spawn(context.Background(), "something-that-does-not-exist-executable", nil, nil)
		require.ErrorIs(t, err, exec.ErrNotFound)
		_, err = childproc.Spawn(context.Background(), "/something-that-does-not-exist-executable", nil, nil)
		require.ErrorIs(t, err, fs.ErrNotExist)
	}
}

// Issue 9173: a child that exits successfully without reading all of its
// input is a success; the rest of the input is not read.
func TestOSExecIgnorePipeErrorOnSuccess(t *testing.T) {
	t.Parallel()
	testWith := func(r io.Reader) func(*testing.T) {
		return func(t *testing.T) {
			t.Parallel()
			exe, args, opts := helperCommand(t, "echo", "foo")
			opts.Input = r
			res, err := childproc.ExecFile(context.Background(), exe, args, opts)
			require.NoError(t, err)
			assert.Equal(t, "foo\n", string(res.Stdout))
		}
	}
	t.Run("10MB", testWith(strings.NewReader(strings.Repeat("x", 10<<20))))
	t.Run("Infinite", testWith(delayedInfiniteReader{}))
}

type delayedInfiniteReader struct{}

func (delayedInfiniteReader) Read(b []byte) (int, error) {
	time.Sleep(100 * time.Millisecond)
	for i := range b {
		b[i] = 'x'
	}
	return len(b), nil
}

type badWriter struct{}

func (*badWriter) Write([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }

// A Writer that fails closes the pipe: the child sees EPIPE and exits. In
// spawnkit the failed copy is an EventError, not Wait's error (which is
// the child's exit).
func TestOSExecClosePipeOnCopyError(t *testing.T) {
	t.Parallel()
	exe, args, opts := helperCommand(t, "yes")
	opts.Stdout = childproc.Writer(new(badWriter))
	p, err := childproc.Spawn(context.Background(), exe, args, opts)
	require.NoError(t, err)
	require.NoError(t, p.Stdin.Close())
	go io.Copy(io.Discard, p.Stderr)
	var ee *childproc.ExitError
	require.ErrorAs(t, p.Wait(), &ee, "yes unexpectedly completed successfully")
	assert.Equal(t, syscall.SIGPIPE, ee.Signal, "a Go program dies of SIGPIPE writing to a closed stdout")
	var copyErr error
	for ev := range p.Events() {
		if ev.Kind == childproc.EventError {
			copyErr = ev.Err
		}
	}
	assert.ErrorIs(t, copyErr, io.ErrUnexpectedEOF)
}

func TestOSExecOutputStderrCapture(t *testing.T) {
	t.Parallel()
	exe, args, opts := helperCommand(t, "stderrfail")
	_, err := childproc.ExecFile(context.Background(), exe, args, opts)
	var ee *childproc.ExitError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, "some stderr text\n", string(ee.Stderr))
	assert.Equal(t, "childproc: command failed: "+exe+": exit status 1: some stderr text", ee.Error())
}

func TestOSExecContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	exe, args, opts := helperCommand(t, "pipetest")
	opts.Stderr = childproc.Ignore
	p, err := childproc.Spawn(ctx, exe, args, opts)
	require.NoError(t, err)
	_, err = p.Stdin.Write([]byte("O:hi\n"))
	require.NoError(t, err)
	buf := make([]byte, 5)
	n, err := io.ReadFull(p.Stdout, buf)
	require.NoError(t, err)
	assert.Equal(t, "O:hi\n", string(buf[:n]))
	go cancel()
	err = p.Wait()
	var ee *childproc.ExitError
	require.ErrorAs(t, err, &ee)
	assert.ErrorIs(t, err, context.Canceled)
	assert.True(t, ee.Killed)
	assert.Equal(t, syscall.SIGTERM, ee.Signal, "KillSignal, not os/exec's SIGKILL")
	require.NoError(t, p.Stdout.Close())
}

func TestOSExecContextCancel(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	exe, args, opts := helperCommand(t, "cat")
	opts.Stdout, opts.Stderr = childproc.Ignore, childproc.Ignore
	p, err := childproc.Spawn(ctx, exe, args, opts)
	require.NoError(t, err)
	defer p.Stdin.Close()
	_, err = io.WriteString(p.Stdin, "echo")
	require.NoError(t, err)
	cancel()
	// The kill makes writes fail; give the process a little while to die.
	start := time.Now()
	delay := time.Millisecond
	for {
		if _, err := io.WriteString(p.Stdin, "echo"); err != nil {
			break
		}
		require.Less(t, time.Since(start), time.Minute, "canceling context did not stop program")
		delay = min(2*delay, time.Second)
		time.Sleep(delay)
	}
	assert.ErrorIs(t, p.Wait(), context.Canceled)
}

// Environment variables are de-duplicated, the last value winning.
func TestOSExecDedupEnvEcho(t *testing.T) {
	t.Parallel()
	exe, args, opts := helperCommand(t, "echoenv", "FOO")
	opts.Env = append(os.Environ(), "FOO=bad", "FOO=good")
	res, err := childproc.ExecFile(context.Background(), exe, args, opts)
	require.NoError(t, err)
	assert.Equal(t, "good", strings.TrimSpace(string(res.Stdout)))
	// ExtraEnv wins over Env in the same way.
	opts.ExtraEnv = append(opts.ExtraEnv, "FOO=extra")
	res, err = childproc.ExecFile(context.Background(), exe, args, opts)
	require.NoError(t, err)
	assert.Equal(t, "extra", strings.TrimSpace(string(res.Stdout)))
}

func TestOSExecEnvNULCharacter(t *testing.T) {
	exe, args, opts := helperCommand(t, "echoenv", "FOO", "BAR")
	opts.Env = append(os.Environ(), "FOO=foo\x00BAR=bar")
	res, err := childproc.ExecFile(context.Background(), exe, args, opts)
	require.Error(t, err)
	assert.Nil(t, res, "nothing ran")
	assert.ErrorIs(t, err, syscall.EINVAL)
}

// os/exec's String shows the path LookPath resolved; spawnkit's shows the
// name as given, quoted like shell.Join, the same text its errors use (Path
// has the resolved file).
func TestOSExecString(t *testing.T) {
	t.Parallel()
	echoPath, err := childproc.LookPath("echo", nil)
	require.NoError(t, err)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "echo"},
		{[]string{"a"}, "echo a"},
		{[]string{"a", "b"}, "echo a b"},
		{[]string{"a b", "it's", ""}, `echo 'a b' 'it'\''s' ''`},
	} {
		p, err := childproc.Spawn(context.Background(), "echo", tc.args, &childproc.Options{Stdin: childproc.Ignore, Stdout: childproc.Ignore, Stderr: childproc.Ignore})
		require.NoError(t, err)
		assert.Equal(t, tc.want, p.String())
		assert.Equal(t, echoPath, p.Path())
		assert.Equal(t, append([]string{"echo"}, tc.args...), p.Args())
		require.NoError(t, p.Wait())
	}
}

// A name not found is an error naming it as given.
func TestOSExecStringPathNotResolved(t *testing.T) {
	t.Parallel()
	_, err := childproc.Spawn(context.Background(), "makemeasandwich", []string{"-lettuce"}, nil)
	assert.ErrorIs(t, err, exec.ErrNotFound)
	assert.Equal(t, "childproc: spawn makemeasandwich: executable file not found in $PATH", err.Error())
}

// os/exec: "exec: no command". spawnkit has no command-less Cmd; an empty
// name is the closest, and refused before any search.
func TestOSExecNoPath(t *testing.T) {
	_, err := childproc.Spawn(context.Background(), "", nil, nil)
	assert.ErrorIs(t, err, exec.ErrNotFound)
	assert.Equal(t, "childproc: spawn : executable file not found in $PATH", err.Error())
}

// Issue 61080: children started concurrently, some hanging on stdin and
// some exiting at once, never hang each other.
func TestOSExecConcurrentExec(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	n := runtime.GOMAXPROCS(0)
	var hangs, exits, ready sync.WaitGroup
	hangs.Add(n)
	exits.Add(n)
	ready.Add(2 * n)
	for range n {
		go func() {
			defer hangs.Done()
			exe, args, opts := helperCommand(t, "pipetest")
			opts.Stdout, opts.Stderr = childproc.Ignore, childproc.Ignore
			ready.Done()
			ready.Wait()
			p, err := childproc.Spawn(ctx, exe, args, opts)
			if err != nil {
				assert.ErrorIs(t, err, context.Canceled)
				return
			}
			context.AfterFunc(ctx, func() { p.Stdin.Close() })
			p.Wait()
		}()
	}
	for range n {
		go func() {
			defer exits.Done()
			exe, args, opts := helperCommand(t, "exit", "0")
			ready.Done()
			ready.Wait()
			_, err := childproc.ExecFile(ctx, exe, args, opts)
			assert.NoError(t, err)
		}()
	}
	exits.Wait()
	cancel()
	hangs.Wait()
}

// String, Args and Path may be called while the child runs and ends.
func TestOSExecPathRace(t *testing.T) {
	exe, args, opts := helperCommand(t, "exit", "0")
	opts.Stdin, opts.Stdout, opts.Stderr = childproc.Ignore, childproc.Ignore, childproc.Ignore
	p, err := childproc.Spawn(context.Background(), exe, args, opts)
	require.NoError(t, err)
	done := make(chan struct{})
	go func() {
		defer close(done)
		assert.NoError(t, p.Wait())
		t.Logf("%v %v %v", p, p.Path(), p.Args())
	}()
	t.Logf("running in background: %v %v %v", p, p.Path(), p.Args())
	<-done
}

func TestOSExecAbsPathExec(t *testing.T) {
	exe, err := childproc.LookPath("gofmt", nil)
	if err != nil {
		t.Skip(err)
	}
	root := filepath.Dir(filepath.Dir(exe))
	p, err := childproc.Spawn(context.Background(), exe, nil, &childproc.Options{Stdin: childproc.Ignore, Stdout: childproc.Ignore, Stderr: childproc.Ignore})
	require.NoError(t, err)
	assert.Equal(t, exe, p.Path())
	assert.Equal(t, "bin/gofmt", filepath.Join(filepath.Base(filepath.Dir(exe)), filepath.Base(exe)))
	require.NoError(t, p.Wait())

	// A relative name with a slash is relative to Dir.
	_, err = childproc.ExecFile(context.Background(), "bin/gofmt", nil, &childproc.Options{Dir: "/"})
	assert.ErrorIs(t, err, fs.ErrNotExist)
	res, err := childproc.ExecFile(context.Background(), "bin/gofmt", nil, &childproc.Options{Dir: root, Input: strings.NewReader("package  p")})
	require.NoError(t, err)
	assert.Equal(t, "package p\n", string(res.Stdout))
}

// Setting Dir runs the child there. Unlike os/exec (go.dev/issue/50599),
// spawnkit does not rewrite PWD in the child's environment, as Node does
// not; os.Getwd in the child still reports Dir, because it only trusts PWD
// when PWD names the same directory.
func TestOSExecImplicitPWD(t *testing.T) {
	t.Parallel()
	cwd, err := os.Getwd()
	require.NoError(t, err)
	for _, tc := range []struct{ name, dir, want string }{
		{"empty", "", cwd},
		{"dot", ".", cwd},
		{"dotdot", "..", filepath.Dir(cwd)},
		{"PWD", cwd, cwd},
		{"PWDdotdot", cwd + "/..", filepath.Dir(cwd)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			exe, args, opts := helperCommand(t, "pwd")
			opts.Dir = tc.dir
			res, err := childproc.ExecFile(context.Background(), exe, args, opts)
			require.NoError(t, err)
			assert.Equal(t, tc.want, strings.TrimSpace(string(res.Stdout)))
		})
	}
}

// An explicit PWD in Env is passed as it is: the child reports it when it
// names the directory it runs in, through a symlink or not.
func TestOSExecExplicitPWD(t *testing.T) {
	t.Parallel()
	cwd, err := os.Getwd()
	require.NoError(t, err)
	link := filepath.Join(t.TempDir(), "link")
	require.NoError(t, os.Symlink(cwd, link))
	for _, tc := range []struct{ name, dir, pwd string }{
		{name: "original PWD", pwd: cwd},
		{name: "link PWD", pwd: link},
		{name: "in link with original PWD", dir: link, pwd: cwd},
		{name: "in dir with link PWD", dir: cwd, pwd: link},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			exe, args, opts := helperCommand(t, "pwd")
			opts.Env = append(os.Environ(), "PWD="+tc.pwd)
			opts.Dir = tc.dir
			res, err := childproc.ExecFile(context.Background(), exe, args, opts)
			require.NoError(t, err)
			assert.Equal(t, tc.pwd, strings.TrimSpace(string(res.Stdout)))
		})
	}
}

// Known failure 5 of issue 11: an executable file that is not a program
// has its own documented class.
func TestSpawnNotAProgramIsErrNotProgram(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notprog")
	require.NoError(t, os.WriteFile(path, []byte{1, 2, 3}, 0o755))
	_, err := childproc.Spawn(context.Background(), path, nil, nil)
	require.Error(t, err)
	assert.ErrorIs(t, err, childproc.ErrNotProgram)
	assert.ErrorIs(t, err, syscall.ENOEXEC)
	assert.NotErrorIs(t, err, fs.ErrNotExist)
	assert.NotErrorIs(t, err, fs.ErrPermission)
	assert.Equal(t, "childproc: spawn "+path+": exec format error (not a program)", err.Error())
	_, err = childproc.ExecFile(context.Background(), path, nil, nil)
	assert.ErrorIs(t, err, childproc.ErrNotProgram)
	// LookPath finds it all the same: only running it tells.
	found, err := childproc.LookPath(path, nil)
	require.NoError(t, err)
	assert.Equal(t, path, found)
	// A script whose interpreter is missing is fs.ErrNotExist.
	script := filepath.Join(t.TempDir(), "script")
	require.NoError(t, os.WriteFile(script, []byte("#!/no/such/interpreter\n"), 0o755))
	_, err = childproc.ExecFile(context.Background(), script, nil, nil)
	assert.ErrorIs(t, err, fs.ErrNotExist)
}

// Known failure 6 of issue 11 (and issue 13 item 1): Args, Path, String
// and the exit status with its signal once the child has exited.
func TestProcessArgsPathStringAndExitStatus(t *testing.T) {
	ctx := context.Background()
	shPath, err := childproc.LookPath("sh", nil)
	require.NoError(t, err)

	p, err := childproc.Spawn(ctx, "sh", []string{"-c", "kill -KILL $$"}, &childproc.Options{Argv0: "mysh", Stdin: childproc.Ignore, Stdout: childproc.Ignore, Stderr: childproc.Ignore})
	require.NoError(t, err)
	assert.Equal(t, []string{"mysh", "-c", "kill -KILL $$"}, p.Args())
	assert.Equal(t, shPath, p.Path())
	assert.Equal(t, `sh -c 'kill -KILL $$'`, p.String(), "Argv0 does not change String")
	args := p.Args()
	args[0] = "changed"
	assert.Equal(t, "mysh", p.Args()[0], "Args returns a copy")
	err = p.Wait()
	var ee *childproc.ExitError
	require.ErrorAs(t, err, &ee)
	st, exited := p.ExitStatus()
	assert.True(t, exited)
	assert.Equal(t, childproc.ExitStatus{Code: -1, Signal: syscall.SIGKILL}, st)
	assert.Equal(t, "signal 9 (killed)", st.String())
	assert.False(t, st.Success())
	assert.Equal(t, st, ee.Status())
	assert.Equal(t, -1, p.ExitCode())
	assert.Equal(t, `childproc: command failed: sh -c 'kill -KILL $$': signal 9 (killed)`, ee.Error())

	// With Options.Shell: the shell is the program, String is the line.
	p, err = childproc.Spawn(ctx, "echo", []string{"a  b", "$HOME"}, &childproc.Options{Shell: "sh", Stdin: childproc.Ignore, Stdout: childproc.Ignore, Stderr: childproc.Ignore})
	require.NoError(t, err)
	assert.Equal(t, []string{"sh", "-c", "echo a  b $HOME"}, p.Args())
	assert.Equal(t, shPath, p.Path())
	assert.Equal(t, "echo a  b $HOME", p.String())
	require.NoError(t, p.Wait())
}

// Issue 16 item 3: Result and ExitError carry how long the child ran.
func TestExecDuration(t *testing.T) {
	res, err := childproc.ExecFile(context.Background(), "sleep", []string{"0.2"}, nil)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, res.Duration, 200*time.Millisecond)
	assert.Less(t, res.Duration, 20*time.Second)

	res, err = childproc.Exec(context.Background(), "sleep 0.2; exit 4", nil)
	var ee *childproc.ExitError
	require.ErrorAs(t, err, &ee)
	assert.GreaterOrEqual(t, ee.Duration, 200*time.Millisecond)
	assert.Equal(t, res.Duration, ee.Duration)
	assert.Equal(t, "childproc: command failed: sleep 0.2; exit 4: exit status 4", ee.Error(), "Exec's command line is already shell text")

	p, err := childproc.Spawn(context.Background(), "sh", []string{"-c", "sleep 0.2; exit 5"}, &childproc.Options{Stdin: childproc.Ignore, Stdout: childproc.Ignore, Stderr: childproc.Ignore})
	require.NoError(t, err)
	require.ErrorAs(t, p.Wait(), &ee)
	assert.GreaterOrEqual(t, ee.Duration, 200*time.Millisecond)
	assert.Less(t, ee.Duration, 20*time.Second)
}

var _ = errors.New

// From TestCatGoodAndBadFile (CombinedOutput): one writer given as both
// Stdout and Stderr gets both streams through one pipe, in the child's
// order.
func TestOSExecCatGoodAndBadFile(t *testing.T) {
	t.Parallel()
	exe, args, opts := helperCommand(t, "cat", "/bogus/file.foo", "osexec_test.go")
	var b bytes.Buffer
	opts.Stdout, opts.Stderr = childproc.Writer(&b), childproc.Writer(&b)
	res, err := childproc.ExecFile(context.Background(), exe, args, opts)
	var ee *childproc.ExitError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, 2, res.ExitCode)
	errLine, body, ok := strings.Cut(b.String(), "\n")
	require.True(t, ok, "two lines from cat; got %q", b.String())
	assert.True(t, strings.HasPrefix(errLine, "Error: open /bogus/file.foo"), errLine)
	assert.Contains(t, body, "func TestOSExecCatGoodAndBadFile(t *testing.T)")
}

// Known failure 4 of issue 11: the same (not goroutine-safe) writer as
// Stdout and Stderr is written by one copy only, so the race detector is
// quiet and nothing is lost or reordered.
func TestSameWriterForStdoutAndStderrIsSerialized(t *testing.T) {
	const n = 2000
	var want strings.Builder
	for i := range n {
		fmt.Fprintf(&want, "o%d\ne%d\n", i, i)
	}
	exe, args, opts := helperCommand(t, "interleave", strconv.Itoa(n))
	var b bytes.Buffer
	opts.Stdin = childproc.Ignore
	opts.Stdout, opts.Stderr = childproc.Writer(&b), childproc.Writer(&b)
	p, err := childproc.Spawn(context.Background(), exe, args, opts)
	require.NoError(t, err)
	assert.Nil(t, p.Stdout)
	assert.Nil(t, p.Stderr)
	require.NoError(t, p.Wait())
	assert.Equal(t, want.String(), b.String())

	// Exec and ExecFile take the same path.
	b.Reset()
	res, err := childproc.ExecFile(context.Background(), exe, args, opts)
	require.NoError(t, err)
	assert.Equal(t, want.String(), b.String())
	assert.Empty(t, res.Stdout)
	assert.Empty(t, res.Stderr)

	// Two writers that cannot be compared are two pipes, without a panic.
	var sb testkit.SyncBuffer
	w1, w2 := uncomparableWriter{w: &sb}, uncomparableWriter{w: &sb}
	opts.Stdout, opts.Stderr = childproc.Writer(w1), childproc.Writer(w2)
	_, err = childproc.ExecFile(context.Background(), exe, []string{"3"}, opts)
	require.NoError(t, err)
	assert.Len(t, sb.String(), len("o0\ne0\no1\ne1\no2\ne2\n"))
}

type uncomparableWriter struct {
	w io.Writer
	_ []int // makes == panic
}

func (u uncomparableWriter) Write(b []byte) (int, error) { return u.w.Write(b) }

// Options.Combined fills Result.Combined with both streams in arrival
// order: each stream's bytes keep their order, and nothing else is there.
func TestExecCombined(t *testing.T) {
	const n = 500
	exe, args, opts := helperCommand(t, "interleave", strconv.Itoa(n))
	opts.Combined = true
	res, err := childproc.ExecFile(context.Background(), exe, args, opts)
	require.NoError(t, err)
	var out, errs strings.Builder
	for i := range n {
		fmt.Fprintf(&out, "o%d\n", i)
		fmt.Fprintf(&errs, "e%d\n", i)
	}
	assert.Equal(t, out.String(), string(res.Stdout))
	assert.Equal(t, errs.String(), string(res.Stderr))
	require.Len(t, res.Combined, len(res.Stdout)+len(res.Stderr))
	var gotOut, gotErr strings.Builder
	for line := range strings.Lines(string(res.Combined)) {
		if line[0] == 'o' {
			gotOut.WriteString(line)
		} else {
			gotErr.WriteString(line)
		}
	}
	assert.Equal(t, out.String(), gotOut.String())
	assert.Equal(t, errs.String(), gotErr.String())

	// Writes apart in time come in that order; a failure carries it too.
	exe, args, opts = helperCommand(t, "ordered", "o:one", "e:two", "o:three", "e:four")
	opts.Combined = true
	res, err = childproc.ExecFile(context.Background(), exe, args, opts)
	require.NoError(t, err)
	assert.Equal(t, "one\ntwo\nthree\nfour\n", string(res.Combined))
	res, err = childproc.Exec(context.Background(), "echo one; sleep 0.3; echo two >&2; sleep 0.3; echo three; exit 3", &childproc.Options{Combined: true})
	var ee *childproc.ExitError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, "one\nthree\n", string(res.Stdout))
	assert.Equal(t, "two\n", string(res.Stderr))
	assert.Len(t, res.Combined, len("one\ntwo\nthree\n"))
	assert.Equal(t, res.Combined, ee.Combined)
	assert.Equal(t, "one\nthree\n", string(ee.Stdout))

	// Without Combined it stays nil.
	res, err = childproc.Exec(context.Background(), "echo one; echo two >&2", nil)
	require.NoError(t, err)
	assert.Nil(t, res.Combined)
}

// Combined holds what MaxBuffer let Stdout and Stderr keep, no more.
func TestExecCombinedBoundedByMaxBuffer(t *testing.T) {
	res, err := childproc.Exec(context.Background(), "echo err >&2; yes abcdefgh", &childproc.Options{Combined: true, MaxBuffer: 1000})
	require.ErrorIs(t, err, childproc.ErrMaxBuffer)
	var ee *childproc.ExitError
	require.ErrorAs(t, err, &ee)
	assert.Len(t, res.Stdout, 1000)
	assert.Equal(t, "err\n", string(res.Stderr))
	assert.Len(t, res.Combined, 1004)
	assert.Equal(t, res.Combined, ee.Combined)
	assert.Equal(t, 1, strings.Count(string(res.Combined), "err\n"))
	assert.Equal(t, string(res.Stdout), strings.Replace(string(res.Combined), "err\n", "", 1))
}
