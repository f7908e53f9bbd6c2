package childproc

import (
	"sync"
	"sync/atomic"
)

// eventBuffer is the capacity of the Events channel. Without IPC a process
// has fewer events than that, so they all go straight into the channel.
const eventBuffer = 16

// maxQueuedAfterExit is how many IPC messages may wait unread in the queue
// once the child has exited before the reader waits for Events to be read
// again: what is left on the channel of a dead child is read without
// waiting (its EOF must be seen), but a grandchild that inherited the
// channel and keeps writing is pushed back like the child was.
const maxQueuedAfterExit = 4096

// maxQueuedBytesWhileWaited is how many bytes of IPC messages may wait
// unread in the queue once Wait was called, before the child exited: a
// caller blocked in Wait cannot read Events, and pushing back then would
// keep a child that sends before it exits from ever exiting. Past this
// bound the reader pushes back again, so memory stays bounded.
const maxQueuedBytesWhileWaited = 64 << 20

// eventQueue delivers a Process's events to its channel in order without
// ever blocking the caller: an event goes straight into the channel when
// nothing is queued and the channel has room, and otherwise into an
// unbounded queue that a single feeder goroutine empties into the channel.
// The feeder refers to the queue only, never to the Process.
type eventQueue struct {
	ch    chan Event
	taken atomic.Bool // Events was called: someone may read ch

	mu        sync.Mutex
	pending   []Event       // queued, in order; pending[0] is being fed
	feeding   bool          // the feeder runs
	closing   bool          // close ch once pending is empty
	closed    bool          // the last event was pushed: drop any other
	abandoned bool          // nobody can read ch any more: drop everything
	empty     chan struct{} // closed when pending becomes empty; nil while it is
	abandon   chan struct{} // closed when abandoned is set
	bytes     int           // the size of the messages in pending

	waitOnce sync.Once
	waited   chan struct{} // closed once Wait was called
}

func newEventQueue() *eventQueue {
	return &eventQueue{ch: make(chan Event, eventBuffer), abandon: make(chan struct{}), waited: make(chan struct{})}
}

// markWaited records that Wait was called; see maxQueuedBytesWhileWaited.
func (q *eventQueue) markWaited() {
	q.waitOnce.Do(func() { close(q.waited) })
}

// queuedBytes returns the size of the messages waiting for room in the
// channel.
func (q *eventQueue) queuedBytes() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.bytes
}

// push delivers ev after every event pushed before it. It never blocks. It
// returns nil when ev is already in the channel (or was dropped), and
// otherwise a channel that is closed once the queue has been emptied.
func (q *eventQueue) push(ev Event) <-chan struct{} {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed || q.abandoned {
		dropEvent(ev)
		return nil
	}
	if len(q.pending) == 0 {
		select {
		case q.ch <- ev:
			return nil
		default:
		}
	}
	q.enqueue(ev)
	return q.empty
}

// tryPush delivers ev only if it can go into the channel at once, after
// nothing; otherwise ev is dropped (its file closed). It reports whether ev
// was delivered.
func (q *eventQueue) tryPush(ev Event) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.closed && !q.abandoned && len(q.pending) == 0 {
		select {
		case q.ch <- ev:
			return true
		default:
		}
	}
	dropEvent(ev)
	return false
}

// queued returns how many events wait for room in the channel.
func (q *eventQueue) queued() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.pending)
}

// close delivers last after everything else, then closes the channel. Events
// pushed after it are dropped.
func (q *eventQueue) close(last Event) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return
	}
	q.closed = true
	if q.abandoned {
		if q.feeding {
			q.closing = true // the feeder may be sending: it closes ch
		} else {
			close(q.ch)
		}
		return
	}
	if len(q.pending) == 0 {
		select {
		case q.ch <- last:
			close(q.ch)
			return
		default:
		}
	}
	q.closing = true
	q.enqueue(last)
}

// enqueue appends ev and starts the feeder if it is not running. q.mu is held.
func (q *eventQueue) enqueue(ev Event) {
	q.pending = append(q.pending, ev)
	q.bytes += len(ev.Message)
	if q.empty == nil {
		q.empty = make(chan struct{})
	}
	if !q.feeding {
		q.feeding = true
		go q.feed()
	}
}

// feed moves the queued events into the channel, one at a time, until the
// queue is empty or abandoned.
func (q *eventQueue) feed() {
	for {
		q.mu.Lock()
		if q.abandoned {
			for _, ev := range q.pending {
				dropEvent(ev)
			}
			q.pending = q.pending[:0]
			q.bytes = 0
		}
		if len(q.pending) == 0 {
			q.feeding = false
			q.pending = nil
			if q.empty != nil {
				close(q.empty)
				q.empty = nil
			}
			if q.closing {
				close(q.ch)
			}
			q.mu.Unlock()
			return
		}
		ev := q.pending[0]
		q.mu.Unlock()
		select {
		case q.ch <- ev:
			q.mu.Lock()
			q.pending[0] = Event{}
			q.pending = q.pending[1:]
			q.bytes -= len(ev.Message)
			q.mu.Unlock()
		case <-q.abandon:
			q.mu.Lock()
			for _, ev := range q.pending {
				dropEvent(ev)
			}
			q.pending = q.pending[:0]
			q.bytes = 0
			q.mu.Unlock()
		}
	}
}

// drop is called once nobody can read the channel any more: everything
// queued is dropped and every later event too, so the feeder ends.
func (q *eventQueue) drop() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.abandoned {
		return
	}
	q.abandoned = true
	close(q.abandon)
	for {
		select {
		case ev, ok := <-q.ch:
			if ok {
				dropEvent(ev)
				continue
			}
		default:
		}
		break
	}
	if !q.feeding {
		for _, ev := range q.pending {
			dropEvent(ev)
		}
		q.pending = nil
		q.bytes = 0
	}
}

// dropEvent releases what an event that will never be read holds.
func dropEvent(ev Event) {
	if ev.File != nil {
		ev.File.Close()
	}
}
