package bench

import (
	"os"
	"runtime"
	"syscall"
	"testing"
)

// TestOffMainThread: nothing fn does runs on the main thread, though fn's
// goroutine is not locked to its thread.
func TestOffMainThread(t *testing.T) {
	for range 5 {
		var onMain, checks int
		err := OffMainThread(func() error {
			for range 200 {
				runtime.Gosched()
				done := make(chan int)
				go func() { done <- syscall.Gettid() }()
				for _, tid := range []int{syscall.Gettid(), <-done} {
					checks++
					if tid == os.Getpid() {
						onMain++
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if onMain > 0 {
			t.Fatalf("%d of %d checks ran on the main thread", onMain, checks)
		}
	}
}
