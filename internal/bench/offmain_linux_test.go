package bench

import (
	"os"
	"runtime"
	"syscall"
	"testing"
)

// TestOffMainThread: fn runs on a thread other than the main one, whether
// the caller holds the main thread or not.
func TestOffMainThread(t *testing.T) {
	onMain := 0
	for range 20 {
		done := make(chan [2]int, 1)
		go func() {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			caller, ran := syscall.Gettid(), 0
			if err := OffMainThread(func() error { ran = syscall.Gettid(); return nil }); err != nil {
				t.Error(err)
			}
			done <- [2]int{caller, ran}
		}()
		tids := <-done
		if tids[0] == os.Getpid() {
			onMain++
		}
		if tids[1] == os.Getpid() || tids[1] == 0 {
			t.Fatalf("fn ran on thread %d, the main thread is %d", tids[1], os.Getpid())
		}
	}
	t.Logf("%d of 20 callers held the main thread", onMain)
}
