package testkit

import (
	"sync"
	"testing"
	"time"

	"github.com/spawnkit/spawnkit/internal/procfs"
)

// Threads returns the number of OS threads of the test process (Threads
// in /proc/self/status), failing t when it cannot be read.
func Threads(t testing.TB) int {
	t.Helper()
	n, err := procfs.SelfStatusCount("Threads")
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

// WaitOrFail waits for wg, failing t with the message when that takes
// longer than d: a stress loop that hangs reports which loop, rather than
// running into the test binary's timeout.
func WaitOrFail(t testing.TB, wg *sync.WaitGroup, d time.Duration, format string, args ...any) {
	t.Helper()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	RecvOrFail(t, done, d, format, args...)
}

// RecvOrFail receives from c and returns the value, failing t with the
// message (t.Fatalf, which ends the calling goroutine) when nothing arrives
// within d. A closed c returns T's zero value at once, as a receive does.
// The bound is for a hang, not a timing check: make d generous (a minute),
// so that a slow machine never reaches it.
func RecvOrFail[T any](t testing.TB, c <-chan T, d time.Duration, format string, args ...any) T {
	t.Helper()
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case v := <-c:
		return v
	case <-tm.C:
		t.Fatalf(format, args...)
		panic("unreachable: Fatalf returned")
	}
}
