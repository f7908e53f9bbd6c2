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
func OffMainThread(fn func() error) error {
	deadline := time.Now().Add(5 * time.Second)
	for {
		// The caller may be on the main thread: then it holds it, and
		// fn runs on a new goroutine, which cannot get there.
		runtime.LockOSThread()
		if unix.Gettid() == os.Getpid() {
			done := make(chan error, 1)
			go func() { done <- fn() }()
			err := <-done
			runtime.UnlockOSThread()
			return err
		}
		runtime.UnlockOSThread()
		// Else a new goroutine may land there and hold it.
		held, release := make(chan bool), make(chan struct{})
		go func() {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			if unix.Gettid() != os.Getpid() {
				held <- false
				return
			}
			held <- true
			<-release
		}()
		if <-held {
			defer close(release)
			return fn()
		}
		if time.Now().After(deadline) {
			return ErrNoMainThread
		}
		time.Sleep(time.Millisecond)
	}
}
