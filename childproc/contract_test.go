//go:build unix

package childproc_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spawnkit/spawnkit/childproc"
	"github.com/spawnkit/spawnkit/internal/testkit"
	"github.com/spawnkit/spawnkit/ipc"
)

// burstMessages is how many messages the burst role sends: many more than
// the Events channel holds.
const burstMessages = 200

// manyMessages is how many messages the many role sends: about 2 MiB,
// far more than a socket buffer holds.
const manyMessages = 20000

func init() {
	// burst sends {"n": 0..burstMessages-1} and exits.
	childproc.Register("sk-burst", func(ctx context.Context, parent *ipc.Channel) error {
		for n := range burstMessages {
			if err := parent.Send(map[string]int{"n": n}); err != nil {
				return err
			}
		}
		return nil
	})
	// many sends {"n": 0..manyMessages-1, "pad": …} and exits.
	childproc.Register("sk-many", func(ctx context.Context, parent *ipc.Channel) error {
		pad := strings.Repeat("y", 80)
		for n := range manyMessages {
			if err := parent.Send(map[string]any{"n": n, "pad": pad}); err != nil {
				return err
			}
		}
		return nil
	})
	// flood sends 1 KiB messages until a send fails, printing how many it
	// sent after each one.
	childproc.Register("sk-flood", func(ctx context.Context, parent *ipc.Channel) error {
		pad := strings.Repeat("x", 1<<10)
		for n := 0; ; n++ {
			if err := parent.Send(map[string]any{"n": n, "pad": pad}); err != nil {
				return err
			}
			os.Stdout.WriteString(strconv.Itoa(n+1) + "\n")
		}
	})
}

// within runs fn and fails the test if it does not return in time.
func within(t *testing.T, d time.Duration, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("%s did not return within %v", what, d)
	}
}

// messageNumbers returns the "n" of every message event, in order, and the
// other events as strings.
func messageNumbers(t *testing.T, events []childproc.Event) (ns []int, others []string) {
	t.Helper()
	for _, ev := range events {
		if ev.Kind != childproc.EventMessage {
			others = append(others, ev.Kind.String())
			continue
		}
		var m struct{ N int }
		require.NoError(t, json.Unmarshal(ev.Message, &m))
		ns = append(ns, m.N)
	}
	return ns, others
}

func TestWaitReturnsWhileMessagesAreUnread(t *testing.T) {
	p, err := childproc.Fork(context.Background(), "sk-burst", nil, nil)
	require.NoError(t, err)
	within(t, 20*time.Second, "Wait", func() { require.NoError(t, p.Wait()) })
	assert.Equal(t, 0, p.ExitCode())

	// Read late, every event is still there, in order.
	ns, others := messageNumbers(t, collect(t, p))
	want := make([]int, burstMessages)
	for i := range want {
		want[i] = i
	}
	assert.Equal(t, want, ns)
	require.Len(t, others, 4, "%v", others)
	assert.Equal(t, "spawn", others[0])
	assert.ElementsMatch(t, []string{"exit", "disconnect"}, others[1:3])
	assert.Equal(t, "close", others[3])
}

// A child that sends more than the socket holds before it exits would
// block for ever if the parent pushed back while it waits: Wait stops the
// pushing back, and every message is still delivered later, in order.
func TestWaitReadsOnAChildThatSendsMoreThanTheSocketHolds(t *testing.T) {
	p, err := childproc.Fork(context.Background(), "sk-many", nil, nil)
	require.NoError(t, err)
	within(t, 60*time.Second, "Wait", func() { require.NoError(t, p.Wait()) })
	ns, others := messageNumbers(t, collect(t, p))
	require.Len(t, ns, manyMessages)
	for i, n := range ns {
		require.Equal(t, i, n)
	}
	assert.Equal(t, "spawn", others[0])
	assert.Equal(t, "close", others[len(others)-1])
}

func TestFailedSignalsNeverBlock(t *testing.T) {
	p, err := childproc.Spawn(context.Background(), "sleep", []string{"30"}, &childproc.Options{Stdin: childproc.Ignore, Stdout: childproc.Ignore, Stderr: childproc.Ignore})
	require.NoError(t, err)
	const failures = 100
	within(t, 20*time.Second, "Signal, Kill and Wait", func() {
		for range failures {
			assert.ErrorIs(t, p.Signal(syscall.Signal(999)), syscall.EINVAL)
		}
		require.NoError(t, p.Kill())
		var ee *childproc.ExitError
		require.ErrorAs(t, p.Wait(), &ee)
		assert.Equal(t, syscall.SIGKILL, ee.Signal)
	})
	want := []string{"spawn"}
	for range failures {
		want = append(want, "error")
	}
	want = append(want, "exit", "close")
	events := collect(t, p)
	got := make([]string, len(events))
	for i, ev := range events {
		got[i] = ev.Kind.String()
	}
	assert.Equal(t, want, got)
	assert.Contains(t, events[1].Err.Error(), "childproc: signal sleep 30 (pid "+strconv.Itoa(p.Pid)+") with signal 999")
}

func TestUnreadMessagesPushBackOnTheChildOnly(t *testing.T) {
	var progress testkit.SyncBuffer
	p, err := childproc.Fork(context.Background(), "sk-flood", nil, &childproc.Options{Stdout: childproc.Writer(&progress), Stderr: childproc.Ignore})
	require.NoError(t, err)
	sent := func() int {
		lines := strings.Fields(progress.String())
		if len(lines) == 0 {
			return 0
		}
		n, _ := strconv.Atoi(lines[len(lines)-1])
		return n
	}
	// Nobody reads Events: the child fills the channel, the queue and the
	// socket, then blocks in its send.
	require.Eventually(t, func() bool {
		n := sent()
		for range 5 {
			time.Sleep(100 * time.Millisecond)
			if sent() != n {
				return false
			}
		}
		return n > 0
	}, 30*time.Second, 10*time.Millisecond, "the child never stopped sending")
	blockedAt := sent()
	assert.Less(t, blockedAt, 5000, "1 KiB messages: the socket holds a few hundred, not thousands")
	assert.True(t, testkit.Alive(p.Pid))

	// The parent's own calls do not wait for Events to be read.
	within(t, 10*time.Second, "Send and Disconnect", func() {
		require.NoError(t, p.Send("still here"))
		require.NoError(t, p.Disconnect())
	})
	var ee *childproc.ExitError
	within(t, 20*time.Second, "Wait", func() { require.ErrorAs(t, p.Wait(), &ee) })
	assert.Equal(t, 1, ee.ExitCode, "the child's send failed once the parent disconnected")

	// What was received before Disconnect is delivered, in order, first
	// message first.
	ns, others := messageNumbers(t, collect(t, p))
	require.NotEmpty(t, ns)
	for i, n := range ns {
		require.Equal(t, i, n)
	}
	assert.Equal(t, "spawn", others[0])
	assert.Equal(t, "close", others[len(others)-1])
	assert.Contains(t, others, "disconnect")
}

// leakCounts returns the goroutines and open descriptors of the test
// process.
func leakCounts() (goroutines, fds int) {
	return runtime.NumGoroutine(), len(testkit.OpenFDs())
}

// settle collects garbage until the counts are back within slack of the
// baseline, and returns the last counts.
func settle(baseG, baseF, slack int) (int, int) {
	deadline := time.Now().Add(20 * time.Second)
	for {
		runtime.GC()
		g, f := leakCounts()
		if g <= baseG+slack && f <= baseF+slack || time.Now().After(deadline) {
			return g, f
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// assertDroppedLeakNothing starts n processes with start, waits for each
// and drops it, then asserts that goroutines and descriptors come back to
// within 5 of where they were.
func assertDroppedLeakNothing(t *testing.T, n int, start func() (*childproc.Process, error)) {
	t.Helper()
	baseG, baseF := settle(0, 0, 1<<30)
	for range n {
		p, err := start()
		require.NoError(t, err)
		require.NoError(t, p.Wait())
	}
	g, f := settle(baseG, baseF, 5)
	assert.LessOrEqual(t, g, baseG+5, "goroutines: %d before, %d after", baseG, g)
	assert.LessOrEqual(t, f, baseF+5, "descriptors: %d before, %d after", baseF, f)
}

func TestDroppedProcessWithUnreadPipesLeaksNothing(t *testing.T) {
	// Default stdio: Stdout and Stderr are pipes nobody reads or closes.
	assertDroppedLeakNothing(t, 300, func() (*childproc.Process, error) {
		return childproc.Spawn(context.Background(), "echo", []string{"hi"}, nil)
	})
}

func TestDroppedForkWithUnreadMessagesLeaksNothing(t *testing.T) {
	assertDroppedLeakNothing(t, 20, func() (*childproc.Process, error) {
		return childproc.Fork(context.Background(), "sk-burst", nil, nil)
	})
}

func TestHeldStreamOutlivesItsProcess(t *testing.T) {
	// The caller keeps only Stdout: the Process stays reachable through it,
	// so the stream is not closed under the reader.
	stdout := func() io.Reader {
		p, err := childproc.Spawn(context.Background(), "sh", []string{"-c", "sleep 0.3; echo late"}, &childproc.Options{Stdin: childproc.Ignore, Stderr: childproc.Ignore})
		require.NoError(t, err)
		return p.Stdout
	}()
	for range 5 {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	out, err := io.ReadAll(stdout)
	require.NoError(t, err)
	assert.Equal(t, "late\n", string(out))
}

func TestPTYChildClosingItsTerminalIsNotHungUp(t *testing.T) {
	for range 5 {
		p, err := childproc.Spawn(context.Background(), "sh", []string{"-c", "echo done; exec 0<&- 1>&- 2>&-; sleep 0.2; exit 0"}, &childproc.Options{PTY: true})
		require.NoError(t, err)
		out, err := io.ReadAll(p.Stdout)
		require.NoError(t, err)
		assert.Equal(t, "done\r\n", string(out))
		require.NoError(t, p.Wait(), "the terminal is not hung up before the child exits")
		assert.Equal(t, []string{"spawn", "exit(code=0)", "close(code=0)"}, kinds(collect(t, p)))
	}
}

func TestPTYCatEndOfInput(t *testing.T) {
	for i := range 100 {
		p, err := childproc.Spawn(context.Background(), "cat", nil, &childproc.Options{PTY: true})
		require.NoError(t, err)
		_, err = p.Stdin.Write([]byte("hello\n"))
		require.NoError(t, err)
		require.NoError(t, p.Stdin.Close())
		out, err := io.ReadAll(p.Stdout)
		require.NoError(t, err)
		require.NoError(t, p.Wait(), "run %d", i)
		// The terminal echoes the line, then cat prints it.
		require.Equal(t, "hello\r\nhello\r\n", string(bytes.ReplaceAll(out, []byte("^D\b\b"), nil)), "run %d", i)
		collect(t, p)
	}
}

func TestCancelRacingACleanExitIsNil(t *testing.T) {
	runs := 1000
	if testing.Short() {
		runs = 200
	}
	errs := make(chan error, runs)
	sem := make(chan struct{}, 4)
	for i := range runs {
		sem <- struct{}{}
		go func() {
			defer func() { <-sem }()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			p, err := childproc.Spawn(ctx, "true", nil, &childproc.Options{Stdin: childproc.Ignore, Stdout: childproc.Ignore, Stderr: childproc.Ignore})
			if err != nil {
				errs <- err
				return
			}
			// 0 to 2.5 ms: the cancel lands before, during and after the exit.
			time.Sleep(time.Duration(i%26) * 100 * time.Microsecond)
			cancel()
			err = p.Wait()
			var ee *childproc.ExitError
			if errors.As(err, &ee) && ee.ExitCode == 0 && ee.Signal == 0 {
				errs <- err
				return
			}
			if err != nil && !errors.As(err, &ee) {
				errs <- err
				return
			}
			errs <- nil
		}()
	}
	failures := 0
	for range runs {
		if err := <-errs; err != nil {
			if failures++; failures <= 3 {
				t.Errorf("a clean exit raced by cancel: %v", err)
			}
		}
	}
	assert.Zero(t, failures, "of %d runs", runs)
}

func TestKilledChildThatExitsZeroIsNotAnError(t *testing.T) {
	// The child handles SIGTERM and exits 0: like Node's exec, not an error.
	ctx, cancel := context.WithCancel(context.Background())
	p, err := childproc.Spawn(ctx, "sh", []string{"-c", "trap 'exit 0' TERM; echo ready; while :; do sleep 0.05; done"}, &childproc.Options{Stdin: childproc.Ignore, Stderr: childproc.Ignore})
	require.NoError(t, err)
	line := make([]byte, 6)
	_, err = io.ReadFull(p.Stdout, line)
	require.NoError(t, err)
	cancel()
	require.NoError(t, p.Wait())
	io.Copy(io.Discard, p.Stdout)
	assert.Equal(t, []string{"spawn", "exit(code=0)", "close(code=0)"}, kinds(collect(t, p)))

	// A MaxBuffer overflow stays an error whatever the status: the output was cut.
	_, err = childproc.Exec(context.Background(), "trap 'exit 0' TERM; yes | head -c 100000; sleep 5", &childproc.Options{MaxBuffer: 10})
	assert.ErrorIs(t, err, childproc.ErrMaxBuffer)
}

func TestStoppedTreeIsKilledWithoutEscalation(t *testing.T) {
	marker := uniqueSleep()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// KillDelay < 0: no SIGKILL ever; only KillSignal and the SIGCONT after it.
	p, err := childproc.Spawn(ctx, "sh", []string{"-c", "sleep " + marker + " & echo ready; wait"}, &childproc.Options{Stdin: childproc.Ignore, Stderr: childproc.Ignore, KillDelay: -1})
	require.NoError(t, err)
	line := make([]byte, 6)
	_, err = io.ReadFull(p.Stdout, line)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(pidsRunning(marker)) == 1 }, goneWithin, 10*time.Millisecond)
	grandchild := pidsRunning(marker)[0]
	require.NoError(t, syscall.Kill(grandchild, syscall.SIGSTOP))
	require.NoError(t, p.Signal(syscall.SIGSTOP))
	require.Eventually(t, func() bool {
		return procOf(t, p.Pid).State == 'T' && procOf(t, grandchild).State == 'T'
	}, 5*time.Second, 10*time.Millisecond)
	cancel()
	var ee *childproc.ExitError
	within(t, 20*time.Second, "Wait", func() { require.ErrorAs(t, p.Wait(), &ee) })
	assert.Equal(t, syscall.SIGTERM, ee.Signal)
	assert.True(t, ee.Killed)
	waitGone(t, marker)
	io.Copy(io.Discard, p.Stdout)
	collect(t, p)
}

func TestTimeoutMatchesDeadlineExceeded(t *testing.T) {
	_, err := childproc.Exec(context.Background(), "sleep 30", &childproc.Options{Timeout: 50 * time.Millisecond})
	var ee *childproc.ExitError
	require.ErrorAs(t, err, &ee)
	assert.True(t, ee.TimedOut)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.NotErrorIs(t, err, context.Canceled)
	assert.Contains(t, err.Error(), "timed out after 50ms, signal 15 (terminated)")

	p, err := childproc.Spawn(context.Background(), "sleep", []string{"30"}, &childproc.Options{Timeout: 50 * time.Millisecond, Stdin: childproc.Ignore, Stdout: childproc.Ignore, Stderr: childproc.Ignore})
	require.NoError(t, err)
	err = p.Wait()
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	require.ErrorAs(t, err, &ee)
	assert.True(t, ee.TimedOut)
	collect(t, p)
}

func TestForkWithoutInitRefuses(t *testing.T) {
	bin := testkit.BuildMain(t, "testdata/noinit")
	const refusal = "childproc: call childproc.Init first thing in main (Fork runs main again in the child, where Init runs the role)"
	for _, tc := range []struct {
		name   string
		args   []string
		copies string // the copies of main that ran
		code   int
		stderr []string
	}{
		// main never calls Init: the parent's Fork refuses.
		{"no Init", nil, "main 0\n", 3, []string{
			"childproc: fork worker: Init was not called: " + refusal,
		}},
		// The parent calls Init, the child skips it and goes on with main:
		// the child's Fork refuses, and the parent sees the child fail.
		{"child skips Init", []string{"-init-parent"}, "main 0\nmain 1\n", 1, []string{
			`childproc: fork worker: this process was forked for role "worker" and did not run it: ` + refusal,
			"childproc: command failed: ",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log := filepath.Join(t.TempDir(), "copies")
			_, err := childproc.ExecFile(context.Background(), bin, tc.args, &childproc.Options{
				ExtraEnv: []string{"NOINIT_LOG=" + log},
				Timeout:  30 * time.Second,
			})
			var ee *childproc.ExitError
			require.ErrorAs(t, err, &ee)
			assert.Equal(t, tc.code, ee.ExitCode)
			b, err := os.ReadFile(log)
			require.NoError(t, err)
			assert.Equal(t, tc.copies, string(b))
			lines := strings.Split(strings.TrimSuffix(string(ee.Stderr), "\n"), "\n")
			require.Len(t, lines, len(tc.stderr), "%s", ee.Stderr)
			assert.Equal(t, tc.stderr[0], lines[0])
			for i := 1; i < len(lines); i++ {
				assert.True(t, strings.HasPrefix(lines[i], tc.stderr[i]), "%q", lines[i])
			}
		})
	}
}

func TestConflictingOptionsAreErrorsNamingTheOption(t *testing.T) {
	closed, err := os.CreateTemp(t.TempDir(), "closed")
	require.NoError(t, err)
	require.NoError(t, closed.Close())
	marker := filepath.Join(t.TempDir(), "ran")
	touch := "touch " + marker // nothing may start: the marker stays absent

	for _, tc := range []struct {
		name string
		run  func() error
		want string
	}{
		{"Input and Stdin", func() error {
			_, err := childproc.Exec(context.Background(), touch, &childproc.Options{Input: strings.NewReader("a"), Stdin: childproc.Reader(strings.NewReader("b"))})
			return err
		}, "childproc: exec /bin/sh: Options.Input and Options.Stdin (Reader) both set the child's stdin: set one"},
		{"Exec with Stdout Inherit", func() error {
			_, err := childproc.Exec(context.Background(), touch, &childproc.Options{Stdout: childproc.Inherit})
			return err
		}, "childproc: exec /bin/sh: Options.Stdout is Inherit, so Result.Stdout would stay empty (use Spawn, or a Writer to copy stdout somewhere)"},
		{"ExecFile with Stdout Ignore", func() error {
			_, err := childproc.ExecFile(context.Background(), "touch", []string{marker}, &childproc.Options{Stdout: childproc.Ignore})
			return err
		}, "childproc: exec touch: Options.Stdout is Ignore, so Result.Stdout would stay empty (use Spawn, or a Writer to copy stdout somewhere)"},
		{"Env entry without =", func() error {
			_, err := childproc.Spawn(context.Background(), "touch", []string{marker}, &childproc.Options{Env: []string{"PATH=/usr/bin:/bin", "JUSTAKEY"}})
			return err
		}, `childproc: spawn touch: Options.Env[1] "JUSTAKEY" is not KEY=VALUE`},
		{"ExtraEnv entry without =", func() error {
			_, err := childproc.Exec(context.Background(), touch, &childproc.Options{ExtraEnv: []string{"A=1", "B"}})
			return err
		}, `childproc: spawn /bin/sh: Options.ExtraEnv[1] "B" is not KEY=VALUE`},
		{"closed ExtraFiles", func() error {
			_, err := childproc.Spawn(context.Background(), "touch", []string{marker}, &childproc.Options{ExtraFiles: []*os.File{os.Stdin, closed}})
			return err
		}, "childproc: spawn touch: Options.ExtraFiles[1] (" + closed.Name() + "): file already closed"},
		{"closed File stdio", func() error {
			_, err := childproc.Spawn(context.Background(), "touch", []string{marker}, &childproc.Options{Stdout: childproc.File(closed)})
			return err
		}, "childproc: spawn touch: Options.Stdout: File(" + closed.Name() + "): file already closed"},
		{"Input with Spawn", func() error {
			_, err := childproc.Spawn(context.Background(), "touch", []string{marker}, &childproc.Options{Input: strings.NewReader("a")})
			return err
		}, "childproc: spawn touch: Options.Input is for Exec and ExecFile (with Spawn, use Stdin: Reader(r))"},
		{"Combined with Spawn", func() error {
			_, err := childproc.Spawn(context.Background(), "touch", []string{marker}, &childproc.Options{Combined: true})
			return err
		}, "childproc: spawn touch: Options.Combined is for Exec and ExecFile (with Spawn, pass one Writer as both Stdout and Stderr)"},
		{"Combined with Fork", func() error {
			_, err := childproc.Fork(context.Background(), "count", nil, &childproc.Options{Combined: true})
			return err
		}, "childproc: spawn " + os.Args[0] + ": Options.Combined is for Exec and ExecFile (with Spawn, pass one Writer as both Stdout and Stderr)"},
		{"PTY with Stdout", func() error {
			_, err := childproc.Spawn(context.Background(), "touch", []string{marker}, &childproc.Options{PTY: true, Stdout: childproc.Ignore})
			return err
		}, "childproc: spawn touch: Options.PTY puts stdin, stdout and stderr on the terminal: Options.Stdout (Ignore) must be left unset"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.run()
			require.EqualError(t, err, tc.want)
			var ee *childproc.ExitError
			assert.False(t, errors.As(err, &ee), "not an exit: nothing ran")
			assert.NoFileExists(t, marker)
		})
	}
	// What stays allowed: a nil ExtraFiles entry (the fd is closed in the
	// child, as in os/exec) and an entry with an empty value.
	res, err := childproc.ExecFile(context.Background(), "sh", []string{"-c", "echo \"[$EMPTY]\"; test -e /proc/self/fd/4 && echo fd4"}, &childproc.Options{ExtraEnv: []string{"EMPTY="}, ExtraFiles: []*os.File{nil, os.Stdin}})
	require.NoError(t, err)
	assert.Equal(t, "[]\nfd4\n", string(res.Stdout))
	assert.ErrorIs(t, func() error {
		_, err := childproc.Spawn(context.Background(), "true", nil, &childproc.Options{ExtraFiles: []*os.File{closed}})
		return err
	}(), os.ErrClosed)
}

func TestBadShebangNamesTheInterpreter(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, script, want string
		is                 error
	}{
		{"missing", "#!/nonexistent/spawnkit-interp -x\necho hi\n", `bad interpreter "/nonexistent/spawnkit-interp" in its #! line: no such file or directory`, fs.ErrNotExist},
		{"DOS line end", "#!/bin/sh\r\necho hi\r\n", `bad interpreter "/bin/sh\r" in its #! line: no such file or directory`, fs.ErrNotExist},
		{"not executable", "#!" + filepath.Join(dir, "plain") + "\necho hi\n", `bad interpreter "` + filepath.Join(dir, "plain") + `" in its #! line: permission denied`, fs.ErrPermission},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.NoError(t, os.WriteFile(filepath.Join(dir, "plain"), []byte("not a program\n"), 0o644))
			script := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-"))
			require.NoError(t, os.WriteFile(script, []byte(tc.script), 0o755))
			_, err := childproc.Spawn(context.Background(), script, nil, nil)
			require.EqualError(t, err, "childproc: spawn "+script+": "+tc.want)
			assert.ErrorIs(t, err, tc.is)
			// Relative to Dir, through ExecFile, the same.
			_, err = childproc.ExecFile(context.Background(), "./"+filepath.Base(script), nil, &childproc.Options{Dir: dir})
			require.EqualError(t, err, "childproc: spawn ./"+filepath.Base(script)+": "+tc.want)
		})
	}
	// A script whose interpreter is there runs; a missing script is about
	// the script.
	ok := filepath.Join(dir, "ok")
	require.NoError(t, os.WriteFile(ok, []byte("#!/bin/sh\necho hi\n"), 0o755))
	res, err := childproc.ExecFile(context.Background(), ok, nil, nil)
	require.NoError(t, err)
	assert.Equal(t, "hi\n", string(res.Stdout))
	_, err = childproc.Spawn(context.Background(), filepath.Join(dir, "absent"), nil, nil)
	require.EqualError(t, err, "childproc: spawn "+filepath.Join(dir, "absent")+": no such file or directory")
}

func TestDoubleForkedDaemonLeavesTheTree(t *testing.T) {
	// Documented edge: a grandchild that double-forks (setsid in a
	// subshell that exits) is reparented away from the child and leads its
	// own session, so the tree kill cannot find it, as with any supervisor
	// that does not use cgroups.
	marker := strayMarker(t)
	ctx, cancel := context.WithCancel(context.Background())
	p, err := childproc.Spawn(ctx, "sh", []string{"-c", "(setsid sleep " + marker + " </dev/null >/dev/null 2>&1 &); echo ready; exec sleep 30"}, &childproc.Options{Stdin: childproc.Ignore, Stderr: childproc.Ignore})
	require.NoError(t, err)
	line := make([]byte, 6)
	_, err = io.ReadFull(p.Stdout, line)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(pidsRunning(marker)) == 1 }, goneWithin, 10*time.Millisecond)
	daemon := pidsRunning(marker)[0]
	assert.NotEqual(t, p.Pid, procOf(t, daemon).PPid, "reparented away from the child")
	cancel()
	var ee *childproc.ExitError
	require.ErrorAs(t, p.Wait(), &ee)
	assert.True(t, ee.Killed)
	io.Copy(io.Discard, p.Stdout)
	collect(t, p)
	assert.True(t, testkit.Alive(daemon), "the double-forked daemon is not killed with the tree")
}

func TestNonCloexecDescriptorsReachChildren(t *testing.T) {
	// Documented edge: a descriptor the caller opened without close-on-exec
	// reaches every child, as with os/exec; those of the library and of
	// package os are close-on-exec.
	fd, err := syscall.Open(os.DevNull, syscall.O_RDONLY, 0) // no O_CLOEXEC
	require.NoError(t, err)
	defer syscall.Close(fd)
	f, err := os.Open(os.DevNull)
	require.NoError(t, err)
	defer f.Close()
	probe := `for fd in "$@"; do if [ -e /proc/$$/fd/$fd ]; then echo "$fd open"; else echo "$fd closed"; fi; done`
	res, err := childproc.ExecFile(context.Background(), "sh", []string{"-c", probe, "sh", strconv.Itoa(fd), strconv.Itoa(int(f.Fd()))}, nil)
	require.NoError(t, err)
	assert.Equal(t, strconv.Itoa(fd)+" open\n"+strconv.Itoa(int(f.Fd()))+" closed\n", string(res.Stdout))
}
