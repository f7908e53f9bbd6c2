//go:build linux && !spawnkit_portable

package childproc

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/spawnkit/spawnkit/internal/testkit"
)

func init() {
	// pid-reused-before-watch runs as the first process of a new pid
	// namespace, where it alone starts processes. It starts `sh -c "exit
	// 3"` and, before the exit watcher watches it, reaps it with a waitid
	// of its own and starts `sleep 1000` under its pid (ns_last_pid).
	// Then it reads the child's events, without Wait, for up to 20 s,
	// calls Wait and prints what both said.
	testkit.RegisterHelper("pid-reused-before-watch", func([]string) int {
		var impostor *exec.Cmd
		var hookErr error
		testHookBeforeWatch = func(p *Process) {
			var info unix.Siginfo
			if err := unix.Waitid(unix.P_PID, p.Pid, &info, unix.WEXITED, nil); err != nil {
				hookErr = fmt.Errorf("stray waitid: %w", err)
				return
			}
			err := os.WriteFile("/proc/sys/kernel/ns_last_pid", []byte(strconv.Itoa(p.Pid-1)), 0)
			if err != nil {
				hookErr = err
				return
			}
			impostor = exec.Command("sleep", "1000")
			if err := impostor.Start(); err != nil {
				impostor, hookErr = nil, err
				return
			}
			if impostor.Process.Pid != p.Pid {
				hookErr = fmt.Errorf("the impostor got pid %d, not %d", impostor.Process.Pid, p.Pid)
			}
		}
		p, err := Spawn(context.Background(), "sh", []string{"-c", "exit 3"}, &Options{Stdin: Ignore, Stdout: Ignore, Stderr: Ignore})
		testHookBeforeWatch = nil
		if impostor != nil {
			defer func() {
				impostor.Process.Kill()
				impostor.Wait()
			}()
		}
		if err != nil || hookErr != nil {
			fmt.Println(err, hookErr)
			return 1
		}
		var events []string
		timeout := time.After(20 * time.Second)
	read:
		for {
			select {
			case ev, ok := <-p.Events():
				if !ok {
					break read
				}
				events = append(events, ev.String())
			case <-timeout:
				events = append(events, "(none for 20 s)")
				break read
			}
		}
		err = p.Wait()
		var ee *ExitError
		fmt.Printf("events=%s ECHILD=%v ExitError=%v impostor alive=%v\n", strings.Join(events, " "),
			errors.Is(err, syscall.ECHILD), errors.As(err, &ee), testkit.Alive(impostor.Process.Pid))
		return 0
	})
}

// TestExitWatcherWatchesItsChildWhenItsPidIsReused: the exit watcher's
// pidfd is the child's from its clone on, so a child that something else
// reaped, and whose pid another process took, before the watcher got to it
// is reported as one reaped elsewhere, at once (exit and close with code
// -1, Wait an error matching ECHILD), and the process with its pid is left
// alone. (A pidfd opened by pid then would watch the other process: no
// event until it ends.) The reuse is certain in a pid namespace of the
// test's own, where nothing else starts processes.
func TestExitWatcherWatchesItsChildWhenItsPidIsReused(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root, for a pid namespace and its ns_last_pid")
	}
	cmd := exec.Command(testkit.Executable(t))
	cmd.Env = append(os.Environ(), testkit.HelperEnvFor(t, "pid-reused-before-watch"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "%s%s", out, stderr.String())
	assert.Equal(t, "events=spawn exit(code=-1) close(code=-1) ECHILD=true ExitError=false impostor alive=true\n", string(out))
}

// TestWaitTakesThePidfdOutOfTheEpollSet: a Wait caller that reaps the
// child itself takes its pidfd out of the exit watcher's epoll set before
// it blocks in waitid. Closing the pidfd is not enough: os.Process holds
// a duplicate (one open file description), so the item would stay and
// wake the watcher, for nothing, when the child exits.
func TestWaitTakesThePidfdOutOfTheEpollSet(t *testing.T) {
	testkit.NoLeaks(t)
	p, err := Spawn(context.Background(), "sh", []string{"-c", "read x; exit 0"}, &Options{Stdout: Ignore, Stderr: Ignore})
	require.NoError(t, err)
	require.Equal(t, reapWatching, p.reaper.Load(), "the exit watcher watches the child")
	token := p.watcher.token
	require.True(t, inExitWatchSet(t, token), "the child's pidfd is in the epoll set")
	done := make(chan error, 1)
	go func() { done <- p.Wait() }()
	require.Eventually(t, func() bool {
		return p.reaper.Load() == reapByWaiter && threadsInWaitid(t) > 0
	}, time.Minute, 5*time.Millisecond, "Wait never blocked in waitid")
	assert.False(t, inExitWatchSet(t, token), "the child's pidfd is still in the epoll set while Wait blocks in waitid")
	p.Stdin.Close()
	assert.NoError(t, testkit.RecvOrFail(t, done, time.Minute, "Wait did not return"))
}

// TestReaperWithoutPidfd: without pidfds (as on a kernel before 5.3), a
// goroutine reaps each child; Wait and the events are as usual, and
// nothing is left.
func TestReaperWithoutPidfd(t *testing.T) {
	testkit.NoLeaks(t)
	noPidfd.Store(true)
	defer noPidfd.Store(false)
	for _, wait := range []bool{true, false} {
		p, err := Spawn(context.Background(), "sh", []string{"-c", "exit 3"}, &Options{Stdin: Ignore, Stdout: Ignore, Stderr: Ignore})
		require.NoError(t, err)
		assert.Equal(t, reapByGoroutine, p.reaper.Load())
		var events []string
		if !wait {
			for ev := range p.Events() {
				events = append(events, ev.String())
			}
			assert.Equal(t, []string{"spawn", "exit(code=3)", "close(code=3)"}, events)
		}
		var ee *ExitError
		if assert.ErrorAs(t, p.Wait(), &ee) {
			assert.Equal(t, 3, ee.ExitCode)
		}
	}
}

// inExitWatchSet reports whether the exit watcher's epoll set holds an
// item with token (its /proc/self/fdinfo lists one line per item, with
// "data: TOKEN" in hexadecimal).
func inExitWatchSet(t *testing.T, token uint64) bool {
	t.Helper()
	exitWatch.mu.Lock()
	epfd := exitWatch.epfd
	running := exitWatch.ep != nil
	exitWatch.mu.Unlock()
	if !running {
		return false
	}
	b, err := os.ReadFile("/proc/self/fdinfo/" + strconv.Itoa(epfd))
	require.NoError(t, err)
	for line := range strings.Lines(string(b)) {
		_, after, ok := strings.Cut(line, "data:")
		if !ok {
			continue
		}
		f := strings.Fields(after)
		if len(f) > 0 && f[0] == strconv.FormatUint(token, 16) {
			return true
		}
	}
	return false
}

// threadsInWaitid counts the threads of this process blocked in waitid.
func threadsInWaitid(t *testing.T) int {
	t.Helper()
	tasks, err := os.ReadDir("/proc/self/task")
	require.NoError(t, err)
	n := 0
	for _, task := range tasks {
		b, err := os.ReadFile("/proc/self/task/" + task.Name() + "/syscall")
		if err == nil && strings.HasPrefix(string(b), strconv.Itoa(unix.SYS_WAITID)+" ") {
			n++
		}
	}
	return n
}

// TestExecFileReapsItsChildWithoutTheExitWatcher: Exec and ExecFile wait
// for the child right after the start, so with a wait slot free they
// reap it themselves, blocked in waitid as os/exec is, and the exit
// watcher is not started for it (its netpoller wait and read deadline
// made the Go scheduler poll the network 3.3 more times per call).
func TestExecFileReapsItsChildWithoutTheExitWatcher(t *testing.T) {
	testkit.NoLeaks(t)
	watching := func() bool {
		exitWatch.mu.Lock()
		defer exitWatch.mu.Unlock()
		return exitWatch.ep != nil
	}
	// The watcher of earlier tests' children leaves exitLinger after the last.
	require.Eventually(t, func() bool { return !watching() }, time.Minute, 10*time.Millisecond)
	for range 3 {
		res, err := ExecFile(context.Background(), "/bin/echo", []string{"hi"}, nil)
		require.NoError(t, err)
		assert.Equal(t, "hi\n", string(res.Stdout))
		res, err = Exec(context.Background(), "exit 3", nil)
		var ee *ExitError
		if assert.ErrorAs(t, err, &ee) {
			assert.Equal(t, 3, ee.ExitCode)
			assert.Equal(t, 3, res.ExitCode)
		}
		assert.False(t, watching(), "the exit watcher runs")
	}
}

// TestExecFileWithoutAWaitSlotUsesTheExitWatcher: while GOMAXPROCS Wait
// callers hold every wait slot (blocked in waitid), ExecFile's child goes
// to the exit watcher, as a Spawn's does, and ExecFile returns its output
// as usual; with a slot free again, the watcher does not hear of it.
func TestExecFileWithoutAWaitSlotUsesTheExitWatcher(t *testing.T) {
	testkit.NoLeaks(t)
	n := runtime.GOMAXPROCS(0)
	waits := make(chan error, n)
	var blockers []*Process
	for range n {
		p, err := Spawn(context.Background(), "sh", []string{"-c", "read x; exit 0"}, &Options{Stdout: Ignore, Stderr: Ignore})
		require.NoError(t, err)
		blockers = append(blockers, p)
		go func() { waits <- p.Wait() }()
	}
	require.Eventually(t, func() bool {
		return waitSlots.Load() == int32(n) && threadsInWaitid(t) >= n
	}, time.Minute, 5*time.Millisecond, "the Wait callers never all blocked in waitid")
	tokens := func() uint64 {
		exitWatch.mu.Lock()
		defer exitWatch.mu.Unlock()
		return exitWatch.next
	}
	before := tokens()
	res, err := ExecFile(context.Background(), "/bin/echo", []string{"hi"}, nil)
	require.NoError(t, err)
	assert.Equal(t, "hi\n", string(res.Stdout))
	assert.Equal(t, before+1, tokens(), "ExecFile without a wait slot: its child in the exit watcher's set")
	for _, p := range blockers {
		p.Stdin.Close()
	}
	for range n {
		assert.NoError(t, testkit.RecvOrFail(t, waits, time.Minute, "Wait did not return"))
	}
	before = tokens()
	res, err = ExecFile(context.Background(), "/bin/echo", []string{"hi"}, nil)
	require.NoError(t, err)
	assert.Equal(t, "hi\n", string(res.Stdout))
	assert.Equal(t, before, tokens(), "ExecFile with a wait slot: its child never in the exit watcher's set")
}
