package cluster

import (
	"testing"
	"time"
)

func TestBackoffDoublesUpToMaxAndReportsTheCrashLoop(t *testing.T) {
	b := Backoff{Delay: 100 * time.Millisecond, MaxDelay: 300 * time.Millisecond, Limit: 4, Window: time.Minute}
	now := time.Unix(1000, 0)
	want := []struct {
		delay time.Duration
		loop  bool
	}{{100 * time.Millisecond, false}, {200 * time.Millisecond, false}, {300 * time.Millisecond, false}, {300 * time.Millisecond, true}}
	for i, w := range want {
		delay, n, loop := b.Died(now.Add(time.Duration(i) * time.Second))
		if delay != w.delay || n != i+1 || loop != w.loop {
			t.Fatalf("death %d: Died = %v, %d, %v; want %v, %d, %v", i+1, delay, n, loop, w.delay, i+1, w.loop)
		}
	}
	// Deaths older than Window are forgotten.
	if delay, n, loop := b.Died(now.Add(2 * time.Minute)); delay != 100*time.Millisecond || n != 1 || loop {
		t.Fatalf("after the window: Died = %v, %d, %v; want 100ms, 1, false", delay, n, loop)
	}
	b.Reset()
	if _, n, _ := b.Died(now.Add(2 * time.Minute)); n != 1 {
		t.Fatalf("after Reset: %d deaths; want 1", n)
	}
	var zero Backoff
	if delay, _, _ := zero.Died(now); delay != DefaultRestartDelay {
		t.Fatalf("zero Backoff: delay %v; want DefaultRestartDelay", delay)
	}
}
