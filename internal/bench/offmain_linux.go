//go:build linux

package bench

import (
	"errors"
	"os"
	"runtime"
	"time"

	"golang.org/x/sys/unix"
)

// ErrNoMainThread is returned by OffMainThread when no goroutine got onto
// the main thread within 30 seconds (the Go scheduler kept it busy; the
// search takes well under a second even at load 15).
var ErrNoMainThread = errors.New("bench: no goroutine reached the main thread")

// OffMainThread runs fn while the process's main thread is held by a
// goroutine locked to it, so that no other goroutine runs there: not fn's,
// which is not locked and moves between the other threads as an ordinary
// caller does. On Linux childproc starts a child that has a parent-death
// signal directly when the caller runs on the main thread (which Go never
// ends), and hands the start to a spawner thread otherwise; under
// OffMainThread every Spawn takes the hand-off.
//
// To get onto the main thread it starts goroutines one at a time, each
// locking the thread it lands on; one that is not on the main thread
// returns still locked, so that the runtime ends its thread. A new
// goroutine runs on the thread its starter moves to next, an idle one
// (the runtime takes the last one to go idle first) or a new one: with
// every other thread ended as it is tried, the idle main thread comes up
// within a few tries. (Holding the other threads instead, and letting them
// go idle afterwards, buried the main thread under hundreds of idle
// threads: searches that gave up after 256 failed in 79 of 300 runs of
// TestOffMainThread, and the process kept the threads.)
func OffMainThread(fn func() error) error {
	// The caller may be on the main thread: then it holds it, and fn runs
	// on a new goroutine, which cannot get there.
	runtime.LockOSThread()
	if unix.Gettid() == os.Getpid() {
		done := make(chan error, 1)
		go func() { done <- fn() }()
		err := <-done
		runtime.UnlockOSThread()
		return err
	}
	runtime.UnlockOSThread()

	done := make(chan struct{}) // closed: the goroutine on the main thread lets go
	defer close(done)
	held := make(chan bool)
	deadline := time.NewTimer(30 * time.Second)
	defer deadline.Stop()
	for {
		go func() {
			runtime.LockOSThread()
			main := unix.Gettid() == os.Getpid()
			held <- main
			if main {
				<-done
				runtime.UnlockOSThread() // Go never ends the main thread
			}
			// Otherwise return locked: the runtime ends this thread.
		}()
		select {
		case main := <-held:
			if main {
				return fn()
			}
		case <-deadline.C:
			// The goroutine started last may still send on held: let it,
			// and let it go (done is closed on return).
			go func() { <-held }()
			return ErrNoMainThread
		}
	}
}
