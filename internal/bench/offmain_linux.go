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
// the main thread within a few seconds (the Go scheduler kept it idle).
var ErrNoMainThread = errors.New("bench: no goroutine reached the main thread")

// OffMainThread runs fn while the process's main thread is held by a
// goroutine locked to it, so that no other goroutine runs there: not fn's,
// which is not locked and moves between the other threads as an ordinary
// caller does. On Linux childproc starts a child that has a parent-death
// signal directly when the caller runs on the main thread (which Go never
// ends), and hands the start to a spawner thread otherwise; under
// OffMainThread every Spawn takes the hand-off.
//
// To get onto the main thread it starts goroutines that each lock the
// thread they land on and keep it while the search goes on: a thread so
// held runs nothing else, so the scheduler has to use its other threads,
// the idle main thread among them, and new ones; once one of the
// goroutines is on the main thread the others let theirs go.
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

	const maxHolders = 256         // threads the search may hold at once
	release := make(chan struct{}) // closed: the holders not on the main thread let go
	done := make(chan struct{})    // closed: the one on the main thread lets go
	defer close(done)
	defer close(release)
	held := make(chan bool)
	deadline := time.After(5 * time.Second)
	for range maxHolders {
		go func() {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			main := unix.Gettid() == os.Getpid()
			select {
			case held <- main:
			case <-release:
				return
			}
			if main {
				<-done
			} else {
				<-release
			}
		}()
		select {
		case main := <-held:
			if main {
				return fn()
			}
		case <-deadline:
			return ErrNoMainThread
		}
	}
	return ErrNoMainThread
}
