package testkit

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// LeakWait is how long [NoLeaks] waits for descriptors, children and
// goroutines to go before it reports them: long enough for a loaded
// machine, since a leak never goes away.
const LeakWait = 20 * time.Second

// NoLeaks records what the test process has now and, when t ends (after
// the cleanups registered later), fails t if a descriptor opened since is
// still open, a child started since still runs, a child of the test
// process is a zombie, or a goroutine started since still runs. Each is
// given [LeakWait] to go. It cannot tell a parallel test's leaks from
// another's: use it in tests that do not call t.Parallel.
func NoLeaks(t testing.TB) {
	t.Helper()
	s := takeSnapshot()
	t.Cleanup(func() {
		for _, l := range s.leaks(LeakWait) {
			t.Error(l)
		}
	})
}

// snapshot is what the test process had when NoLeaks was called.
type snapshot struct {
	fds        []string
	children   []int
	goroutines goleak.Option
}

func takeSnapshot() snapshot {
	// The runtime's netpoller opens an epoll set and an eventfd the
	// first time a descriptor is registered with it, and keeps them:
	// have that done before counting, or a test that is the first to
	// register one (run alone, with -run) reports them as leaked.
	if r, w, err := os.Pipe(); err == nil {
		r.Close()
		w.Close()
	}
	return snapshot{fds: OpenFDs(), children: Children(), goroutines: goleak.IgnoreCurrent()}
}

// leaks waits up to wait for the process to be back to s, and returns
// what is still not: one line per kind of leak.
func (s snapshot) leaks(wait time.Duration) []string {
	deadline := time.Now().Add(wait)
	for {
		var out []string
		var fds, children, zombies []string
		for _, fd := range OpenFDs() {
			if !slices.Contains(s.fds, fd) {
				fds = append(fds, fd)
			}
		}
		for _, pid := range Children() {
			if !slices.Contains(s.children, pid) {
				children = append(children, describe(pid))
			}
		}
		for _, pid := range Zombies() {
			zombies = append(zombies, describe(pid))
		}
		if len(fds) > 0 {
			out = append(out, fmt.Sprintf("descriptors left open: %q", fds))
		}
		if len(children) > 0 {
			out = append(out, fmt.Sprintf("children still running: %s", strings.Join(children, ", ")))
		}
		if len(zombies) > 0 {
			out = append(out, fmt.Sprintf("zombie children: %s", strings.Join(zombies, ", ")))
		}
		if err := goleak.Find(s.goroutines); err != nil {
			out = append(out, fmt.Sprintf("goroutines left running: %v", err))
		}
		if len(out) == 0 || time.Now().After(deadline) {
			return out
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// describe returns pid with its command line, for a failure message.
func describe(pid int) string {
	cmdline, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	return strconv.Itoa(pid) + " " + strconv.Quote(strings.TrimRight(strings.ReplaceAll(string(cmdline), "\x00", " "), " "))
}
