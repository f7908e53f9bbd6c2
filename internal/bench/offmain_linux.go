//go:build linux

package bench

import (
	"os"
	"runtime"

	"golang.org/x/sys/unix"
)

// OffMainThread runs fn on a goroutine locked to an OS thread other than
// the process's main one, and returns its error. On Linux childproc starts
// a child that has a parent-death signal directly when the caller runs on
// the main thread (which Go never ends), and hands the start to a spawner
// thread otherwise; run under OffMainThread, every Spawn takes the
// hand-off. fn runs on one goroutine from start to end, so the cost of
// getting there is paid once, not per Spawn.
func OffMainThread(fn func() error) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if unix.Gettid() != os.Getpid() {
		return fn()
	}
	// This goroutine holds the main thread: a new one runs on another.
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		done <- fn()
	}()
	return <-done
}
