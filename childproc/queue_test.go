package childproc

import (
	"runtime"
	"testing"
)

// TestEventQueueDropThenClose: a Process dropped with IPC messages queued
// (abandon drops the queue) whose last goroutine then closes the queue
// (finish) must not close the Events channel under the feeder, which may
// still be sending the event it took before the drop ("send on closed
// channel" panic in the library's goroutine).
func TestEventQueueDropThenClose(t *testing.T) {
	for range 5000 {
		q := newEventQueue()
		for range 2 * eventBuffer {
			q.push(Event{Kind: EventMessage})
		}
		runtime.Gosched() // let the feeder take an event and block on the full channel
		q.drop()
		q.close(Event{Kind: EventClose})
		for range q.ch { // closed once the feeder ended, nothing but dropped events in it
		}
	}
}
