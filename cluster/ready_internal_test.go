package cluster

import (
	"testing"
	"time"
)

// A worker is never both reported ready and killed for not being ready,
// whichever of its ready message and the end of its ReadyTimeout the
// watchdog sees first (the watchdog's select picks at random when both
// are pending, as happens when it runs late).
func TestReadyAndReadyTimeoutNeverBoth(t *testing.T) {
	p := &Primary{events: newQueue[Event](eventsKept)}
	events := p.events.channel()
	t.Cleanup(func() {
		p.events.close()
		for range events {
		}
	})
	readyEvents := func() (n int) {
		for {
			select {
			case ev := <-events:
				if ev.Kind == EventReady {
					n++
				}
			case <-time.After(100 * time.Millisecond):
				return n
			}
		}
	}

	// Ready first: the timeout that fires next does not count.
	up := &child{ready: make(chan struct{})}
	p.markReady(up)
	if up.missedReady() {
		t.Error("a worker already up was found late for ready")
	}
	select {
	case <-up.ready:
	default:
		t.Error("ready not closed for a worker that is up")
	}
	if n := readyEvents(); n != 1 {
		t.Errorf("%d EventReady for the worker that is up, want 1", n)
	}

	// The timeout first: a ready message that comes later is ignored.
	late := &child{ready: make(chan struct{})}
	if !late.missedReady() {
		t.Fatal("a worker that is not up was not found late for ready")
	}
	p.markReady(late)
	select {
	case <-late.ready:
		t.Error("ready closed for a worker being killed for not being ready")
	default:
	}
	if n := readyEvents(); n != 0 {
		t.Errorf("%d EventReady for the worker killed for not being ready, want 0", n)
	}

	// Stopping: never late.
	stopping := &child{ready: make(chan struct{}), stopping: true}
	if stopping.missedReady() {
		t.Error("a stopping worker was found late for ready")
	}
}
