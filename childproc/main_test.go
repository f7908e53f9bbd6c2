//go:build unix

package childproc_test

import (
	"context"
	"fmt"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spawnkit/spawnkit/childproc"
	"github.com/spawnkit/spawnkit/internal/testkit"
)

func TestMain(m *testing.M) {
	registerRoles()
	if childproc.Init() {
		return
	}
	testkit.Main(m)
}

func init() {
	testkit.RegisterHelper("argv0", func([]string) int {
		fmt.Print(os.Args[0])
		return 0
	})
	// detach starts a detached sleeper, Unrefs it, prints its pid and
	// exits at once.
	testkit.RegisterHelper("detach", func(args []string) int {
		p, err := childproc.Spawn(context.Background(), "sleep", []string{args[0]}, &childproc.Options{
			Detached: true, Stdin: childproc.Ignore, Stdout: childproc.Ignore, Stderr: childproc.Ignore,
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		p.Unref()
		fmt.Println(p.Pid)
		return 0
	})
	// attached starts a sleeper that is not detached, prints its pid, then
	// hangs until killed; with a second argument "caller" it starts it
	// with Options.StartOnCallerThread.
	testkit.RegisterHelper("attached", func(args []string) int {
		p, err := childproc.Spawn(context.Background(), "sleep", []string{args[0]}, &childproc.Options{
			Stdin: childproc.Ignore, Stdout: childproc.Ignore, Stderr: childproc.Ignore,
			StartOnCallerThread: len(args) > 1 && args[1] == "caller",
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Println(p.Pid)
		p.Wait()
		return 0
	})
}

// helper returns the name, args and options that run the test binary as
// the registered helper name.
func helper(t *testing.T, name string, args ...string) (string, []string, *childproc.Options) {
	t.Helper()
	return testkit.Executable(t), args, &childproc.Options{ExtraEnv: []string{testkit.HelperEnvFor(t, name)}}
}

// collect reads every event until the channel closes, with a deadline.
func collect(t *testing.T, p *childproc.Process) []childproc.Event {
	t.Helper()
	var events []childproc.Event
	timeout := time.After(20 * time.Second)
	for {
		select {
		case ev, ok := <-p.Events():
			if !ok {
				return events
			}
			events = append(events, ev)
		case <-timeout:
			t.Fatalf("events did not close; got %v", events)
		}
	}
}

// kinds lists the kinds of events, for exact order assertions.
func kinds(events []childproc.Event) []string {
	out := make([]string, len(events))
	for i, ev := range events {
		out[i] = ev.String()
	}
	return out
}

// pidsRunning returns the pids of live "sleep MARKER" processes.
func pidsRunning(marker string) []int { return testkit.Argv("sleep", marker) }

// procOf returns what /proc says of pid, which must exist.
func procOf(t *testing.T, pid int) testkit.Proc {
	t.Helper()
	p, ok := testkit.Stat(pid)
	require.True(t, ok, "pid %d is gone", pid)
	return p
}

// goneWithin bounds waitGone. A marker is a sleep of at least 100 s
// (uniqueSleep), so a process the library failed to kill still runs then,
// while a killed one may take seconds to go on a loaded machine.
const goneWithin = 60 * time.Second

// waitGone waits until no process runs with marker in its command line,
// and fails the test if one still does after goneWithin.
func waitGone(t *testing.T, marker string) {
	t.Helper()
	within := goneWithin
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if len(pidsRunning(marker)) == 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	pids := pidsRunning(marker)
	for _, pid := range pids {
		syscall.Kill(pid, syscall.SIGKILL)
	}
	t.Fatalf("processes %v (%q) still running after %v", pids, marker, within)
}

// strayMarker returns a uniqueSleep marker for a test whose `sleep MARKER`
// may outlive the tree it was started in: when the test ends, those still
// running are killed, and waited for.
func strayMarker(t *testing.T) string {
	marker := uniqueSleep()
	t.Cleanup(func() {
		for _, pid := range pidsRunning(marker) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		waitGone(t, marker)
	})
	return marker
}

// uniqueSleep returns a sleep duration argument unique to this test run,
// so its processes can be found in /proc.
func uniqueSleep() string {
	return fmt.Sprintf("%d.%d", 100+os.Getpid()%100, time.Now().UnixNano()%1000000)
}
