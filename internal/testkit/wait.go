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
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf(format, args...)
	}
}
