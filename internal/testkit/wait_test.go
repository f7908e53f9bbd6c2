package testkit

import (
	"fmt"
	"runtime"
	"testing"
	"time"
)

// fatalRecorder is a testing.TB whose Fatalf records the message and ends
// the goroutine, as testing.T's does.
type fatalRecorder struct {
	testing.TB
	msg string
}

func (r *fatalRecorder) Helper() {}

func (r *fatalRecorder) Fatalf(format string, args ...any) {
	r.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// runRecorded runs fn with a fatalRecorder on a goroutine of its own and
// returns the Fatalf message ("" when fn returned normally).
func runRecorded(t *testing.T, fn func(tb testing.TB)) string {
	r := &fatalRecorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(r)
	}()
	<-done
	return r.msg
}

func TestRecvOrFail(t *testing.T) {
	c := make(chan int, 1)
	c <- 42
	var got int
	if msg := runRecorded(t, func(tb testing.TB) { got = RecvOrFail(tb, c, time.Minute, "no value") }); msg != "" || got != 42 {
		t.Errorf("a waiting value: got %d and failure %q, want 42 and none", got, msg)
	}

	closed := make(chan string)
	close(closed)
	var s string
	if msg := runRecorded(t, func(tb testing.TB) { s = RecvOrFail(tb, closed, time.Minute, "no value") }); msg != "" || s != "" {
		t.Errorf("a closed channel: got %q and failure %q, want the zero value and none", s, msg)
	}

	empty := make(chan int)
	reached := false
	msg := runRecorded(t, func(tb testing.TB) {
		RecvOrFail(tb, empty, time.Millisecond, "run %d: nothing came", 7)
		reached = true
	})
	if msg != "run 7: nothing came" || reached {
		t.Errorf("nothing sent: failure %q, returned %v; want \"run 7: nothing came\" and no return", msg, reached)
	}
}
