//go:build linux

package childproc_test

import (
	"context"
	"errors"
	"fmt"
	"os/signal"
	"strings"
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
	// sigchld-ignored sets SIGCHLD to SIG_IGN, so that the kernel reaps
	// every child at once, then runs `sh -c "exit 3"` and prints what
	// Wait, ExitStatus and Events say.
	testkit.RegisterHelper("sigchld-ignored", func([]string) int {
		signal.Ignore(syscall.SIGCHLD)
		p, err := childproc.Spawn(context.Background(), "sh", []string{"-c", "exit 3"}, &silent)
		if err != nil {
			fmt.Println(err)
			return 1
		}
		fmt.Println(describeReapedElsewhere(p, p.Wait()))
		return 0
	})
}

// describeReapedElsewhere says what Wait, ExitStatus and Events report of
// a child whose status someone else took.
func describeReapedElsewhere(p *childproc.Process, err error) string {
	var ee *childproc.ExitError
	st, reaped := p.ExitStatus()
	var events []string
	for ev := range p.Events() {
		events = append(events, ev.String())
	}
	return fmt.Sprintf("ECHILD=%v ExitError=%v ExitCode=%d ExitStatus=%+v,%v events=%s",
		errors.Is(err, syscall.ECHILD), errors.As(err, &ee), p.ExitCode(), st, reaped, strings.Join(events, " "))
}

const reapedElsewhere = "ECHILD=true ExitError=false ExitCode=-1 ExitStatus=exit status -1,true events=spawn exit(code=-1) close(code=-1)"

// TestWaitWhenTheKernelReapedTheChild: with SIGCHLD ignored (SIG_IGN,
// which os/signal's Reset does not undo) the kernel reaps every child
// itself and its status is lost: Wait returns an error matching
// syscall.ECHILD that is not an *ExitError, ExitCode is -1, and the Exit
// and Close events come with code -1, in order.
func TestWaitWhenTheKernelReapedTheChild(t *testing.T) {
	name, args, opts := helper(t, "sigchld-ignored")
	res, err := childproc.ExecFile(context.Background(), name, args, opts)
	require.NoError(t, err, "%s", res.Stderr)
	assert.Equal(t, reapedElsewhere+"\n", string(res.Stdout))
}

// TestWaitWhenAStrayWaitReapedTheChild: a wait4 of the program's own that
// takes the child's status first leaves Wait the same error as above; when
// the library reaps first, the stray wait4 gets ECHILD and Wait the
// child's status. Either way the child is reaped once, and nothing is
// left.
func TestWaitWhenAStrayWaitReapedTheChild(t *testing.T) {
	testkit.NoLeaks(t)
	stolen := 0
	for attempt := 0; attempt < 20 && stolen < 2; attempt++ {
		// The child waits for its stdin to close, so the stray wait4
		// is blocked in the kernel before it exits.
		p, err := childproc.Spawn(context.Background(), "sh", []string{"-c", "read x; exit 3"}, &childproc.Options{Stdout: childproc.Ignore, Stderr: childproc.Ignore})
		require.NoError(t, err)
		type result struct {
			pid int
			ws  syscall.WaitStatus
			err error
		}
		stray := make(chan result, 1)
		go func() {
			var r result
			r.pid, r.err = syscall.Wait4(p.Pid, &r.ws, 0, nil)
			stray <- r
		}()
		require.Eventually(t, func() bool { return testkit.ThreadsInSyscall(t, unix.SYS_WAIT4) > 0 }, goneWithin, 5*time.Millisecond)
		p.Stdin.Close()
		err = p.Wait()
		r := testkit.RecvOrFail(t, stray, goneWithin, "the stray wait4 did not return")
		if r.err == nil {
			stolen++
			assert.Equal(t, p.Pid, r.pid)
			assert.Equal(t, 3, r.ws.ExitStatus())
			assert.Equal(t, reapedElsewhere, describeReapedElsewhere(p, err))
			continue
		}
		assert.ErrorIs(t, r.err, syscall.ECHILD, "the stray wait4")
		assert.NoError(t, expectExit(err, 3, 0, false, false))
	}
	assert.NotZero(t, stolen, "the stray wait4 never took the status first")
}
