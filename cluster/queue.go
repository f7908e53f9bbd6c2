package cluster

import "sync"

// queue delivers values in order on a channel without ever blocking the
// sender. Until the channel is asked for, it keeps only the last keep
// values (nobody is listening, but a late listener still sees the recent
// past); once it has been asked for, it keeps everything until read. After
// close, the channel is closed once the values queued so far have been
// delivered; values pushed after close are dropped.
type queue[T any] struct {
	mu      sync.Mutex
	items   []T
	keep    int
	out     chan T
	wake    chan struct{}
	closed  bool
	started bool
}

func newQueue[T any](keep int) *queue[T] {
	return &queue[T]{keep: keep, out: make(chan T), wake: make(chan struct{}, 1)}
}

func (q *queue[T]) push(v T) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return
	}
	q.items = append(q.items, v)
	if !q.started && len(q.items) > q.keep {
		n := copy(q.items, q.items[len(q.items)-q.keep:])
		clear(q.items[n:])
		q.items = q.items[:n]
	}
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// channel returns the output channel, starting delivery on the first call.
func (q *queue[T]) channel() <-chan T {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.started {
		q.started = true
		go q.pump()
	}
	return q.out
}

// close stops accepting values; the channel closes after the rest are
// delivered (those kept, when delivery starts only after close).
func (q *queue[T]) close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return
	}
	q.closed = true
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

func (q *queue[T]) pump() {
	for {
		q.mu.Lock()
		if len(q.items) == 0 {
			closed := q.closed
			q.mu.Unlock()
			if closed {
				close(q.out)
				return
			}
			<-q.wake
			continue
		}
		v := q.items[0]
		var zero T
		q.items[0] = zero
		q.items = q.items[1:]
		q.mu.Unlock()
		q.out <- v
	}
}
