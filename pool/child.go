package pool

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spawnkit/spawnkit/childproc"
	"github.com/spawnkit/spawnkit/ipc"
)

// This file is the worker process's side of a pool: Register and the loop
// that serves tasks. The pool's own view of a worker, type worker, is in
// pool.go.
//
// The protocol between a Pool and its workers, one JSON object per message:
//
//	worker → pool  {"ready":true}                 once, when the worker can take tasks
//	pool → worker  {"id":N,"task":T,"deadline":D} run the handler on T; D (Unix ns, optional) is the TaskTimeout deadline
//	worker → pool  {"id":N,"started":true}        the worker took task N (sent before the handler runs)
//	pool → worker  {"id":N,"cancel":true}         cancel the ctx of task N
//	worker → pool  {"id":N,"result":R}            the handler returned R, nil
//	worker → pool  {"id":N,"error":"msg"}         the handler returned an error
//
// A worker runs one task at a time; the pool never sends a task to a busy
// worker. A worker stops when the pool closes the channel.

type request struct {
	ID       uint64      `json:"id"`
	Task     ipc.Message `json:"task,omitempty"`
	Deadline int64       `json:"deadline,omitempty"` // Unix nanoseconds; 0 = none
	Cancel   bool        `json:"cancel,omitempty"`
}

type reply struct {
	Ready   bool        `json:"ready,omitempty"`
	ID      uint64      `json:"id,omitempty"`
	Started bool        `json:"started,omitempty"`
	Result  ipc.Message `json:"result,omitempty"`
	Error   *string     `json:"error,omitempty"`
}

// Handler runs one task in a worker process. task is the JSON value given to
// Submit. The returned value is encoded by [ipc.Marshal] (an [ipc.Message] or
// json.RawMessage is taken as it is and arrives compacted) and becomes
// Submit's result; a returned error becomes Submit's *[TaskError], carrying
// err.Error(), and so does a value that cannot be encoded (invalid or
// empty raw JSON, a value JSON cannot represent) or that nests arrays and
// objects deeper than 9,999 levels (encoding/json, which decodes the
// reply, refuses more with the pool's envelope around it). ctx is cancelled
// when the caller of Submit gives up (its ctx ends) and when the worker is
// asked to stop by a signal; with Options.TaskTimeout, ctx carries its
// deadline (ctx.Deadline), at which the pool kills the worker if the
// handler has not returned.
type Handler func(ctx context.Context, task ipc.Message) (any, error)

// Register makes fn the task handler of role: a process forked by [New] with
// this role runs fn on every task it receives, one task at a time, until the
// pool closes. It registers role with [childproc.Register], so the same rules
// apply: call it from an init function or at the top of main (or TestMain),
// before [childproc.Init], and it panics if role is empty, fn is nil or role is
// already registered (with either package).
//
// A panic in fn, like os.Exit, ends the worker process: the pool reports the
// task as failed with [ErrWorkerCrashed] (or retries it, see [Options].Retry) and
// starts a new worker.
func Register(role string, fn Handler) {
	if fn == nil {
		panic("pool: Register with a nil handler")
	}
	childproc.Register(role, func(ctx context.Context, parent *ipc.Channel) error {
		return serve(ctx, parent, fn)
	})
}

type inbound struct {
	req request
	err error
}

type running struct {
	id     uint64
	cancel context.CancelFunc
}

type outcome struct {
	id     uint64
	result ipc.Message
	err    error
}

// serve is the worker's loop: it runs tasks one at a time and answers each.
// It returns nil when the pool closes the channel, and when ctx ends (the
// worker got SIGTERM; childproc.Init then re-raises the signal).
func serve(ctx context.Context, parent *ipc.Channel, fn Handler) error {
	if err := parent.Send(reply{Ready: true}); err != nil {
		return fmt.Errorf("pool worker: %w", err)
	}
	quit := make(chan struct{})
	defer close(quit)
	in := make(chan inbound)
	go func() {
		for {
			m, err := parent.Recv()
			var r inbound
			if err != nil {
				r.err = err
			} else if derr := m.Decode(&r.req); derr != nil {
				continue // not ours; the pool sends nothing else
			}
			select {
			case in <- r:
			case <-quit:
				return
			}
			if err != nil {
				return
			}
		}
	}()

	// cur is the task running, nil when idle.
	var cur *running
	defer func() {
		if cur != nil {
			cur.cancel()
		}
	}()
	done := make(chan outcome, 1)
	for {
		select {
		case <-ctx.Done():
			return nil
		case o := <-done:
			cur.cancel()
			cur = nil
			err := parent.Send(answer(o))
			if errors.Is(err, ipc.ErrTooLarge) {
				o.err = fmt.Errorf("pool: result of %d bytes: %w", len(o.result), err) // the envelope took it over
				err = parent.Send(answer(o))
			}
			if err != nil {
				return fmt.Errorf("pool worker: reply to task %d: %w", o.id, err)
			}
		case r := <-in:
			if r.err != nil {
				if errors.Is(r.err, io.EOF) {
					return nil
				}
				return fmt.Errorf("pool worker: %w", r.err)
			}
			if r.req.Cancel {
				if cur != nil && cur.id == r.req.ID {
					cur.cancel()
				}
				continue
			}
			if cur != nil {
				// Never happens with a Pool: it waits for each answer.
				msg := fmt.Sprintf("worker busy with task %d", cur.id)
				parent.Send(reply{ID: r.req.ID, Error: &msg})
				continue
			}
			// The pool learns that the task was taken before it runs: a
			// worker that dies before this reply never ran it.
			if err := parent.Send(reply{ID: r.req.ID, Started: true}); err != nil {
				return fmt.Errorf("pool worker: %w", err)
			}
			tctx, cancel := context.WithCancel(ctx)
			if r.req.Deadline > 0 {
				tctx, cancel = context.WithDeadline(ctx, time.Unix(0, r.req.Deadline))
			}
			cur = &running{id: r.req.ID, cancel: cancel}
			go run(tctx, fn, r.req, done)
		}
	}
}

// run calls fn and encodes its result. A panic in fn is not recovered: it
// ends the worker, which the pool reports as a crash.
func run(ctx context.Context, fn Handler, req request, done chan<- outcome) {
	v, err := fn(ctx, req.Task)
	o := outcome{id: req.ID, err: err}
	if err == nil {
		if o.result, err = encodeValue(v); err != nil {
			o.err = fmt.Errorf("pool: encode result: %w", err)
		} else if err = checkSize("result", o.result); err != nil {
			o.err, o.result = err, nil
		} else if err = checkNesting(o.result); err != nil {
			o.err = fmt.Errorf("pool: encode result: %w", err)
		}
	}
	done <- o
}

// answer is the reply to the task of o: its result, or its error.
func answer(o outcome) any {
	if o.err != nil {
		msg := o.err.Error()
		return reply{ID: o.id, Error: &msg}
	}
	return resultMessage(o.id, o.result)
}
