package cluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/spawnkit/spawnkit/ipc"
)

// messagesKept is how many messages a worker keeps while nobody has called
// Messages yet.
const messagesKept = 1024

// self is this process's identity as a worker, read from the environment
// when the package is initialised (and removed from it, so that the
// worker's own children are not workers).
var self = func() (s struct {
	ok       bool
	id, slot int
}) {
	v, ok := os.LookupEnv(workerEnv)
	if !ok {
		return s
	}
	os.Unsetenv(workerEnv)
	id, slot, _ := strings.Cut(v, ":")
	s.id, _ = strconv.Atoi(id)
	s.slot, _ = strconv.Atoi(slot)
	s.ok = true
	return s
}()

// IsWorker reports whether this process was started by a cluster primary
// as one of its workers.
func IsWorker() bool { return self.ok }

// IsPrimary reports whether this process is not a worker: where [Run]
// starts workers instead of running [Config].Worker.
func IsPrimary() bool { return !self.ok }

// Worker is a worker process's side of the cluster, given to
// [Config].Worker. Its methods are safe for concurrent use.
type Worker struct {
	// ID is unique within the primary; a replacement gets a new one.
	ID int
	// Slot is the worker's place, 0 to Config.Workers-1; a replacement
	// takes the slot of the worker it replaces.
	Slot int

	ch       *ipc.Channel
	cancel   context.CancelFunc
	messages *queue[ipc.Message]
	gone     chan struct{} // closed when the channel to the primary closed

	mu       sync.Mutex
	seq      uint64
	pending  map[uint64]chan listenReply
	sticky   map[int]*stickyListener // Config.Sticky: by socket id
	stopping bool
	ready    bool
}

type listenReply struct {
	env  envelope
	file *os.File
	err  error
}

// current is the Worker of this process while Run runs Config.Worker.
var current struct {
	sync.Mutex
	w *Worker
}

// Listen returns a listener for network and address that the worker
// shares with the other workers: the primary opens the socket on the first
// request for that network and address (port 0 is chosen once: every
// worker gets the same port) and hands it to every worker that asks; with
// [Config].ReusePort the worker binds its own socket with SO_REUSEPORT on
// the address the primary resolved; with Config.Sticky the listener
// returns the connections the primary accepted and routed to this worker.
// A socket systemd passed to the primary (LISTEN_FDS) is used when its
// address matches.
//
// Networks: "tcp", "tcp4", "tcp6", "unix" and "unixpacket" (ReusePort: TCP
// only). The first successful Listen makes the worker ready, unless
// Config.ManualReady is set; every one sends [EventListening] to the
// primary. Closing the listener stops this worker accepting; the socket
// stays open for the others. Listen fails when the primary cannot open the
// socket, or once the channel to the primary has closed.
func (w *Worker) Listen(network, address string) (net.Listener, error) {
	reply := make(chan listenReply, 1)
	w.mu.Lock()
	w.seq++
	seq := w.seq
	if w.pending == nil {
		w.pending = make(map[uint64]chan listenReply)
	}
	w.pending[seq] = reply
	w.mu.Unlock()
	fail := func(err error) (net.Listener, error) {
		return nil, fmt.Errorf("cluster: listen %s %s: %w", network, address, err)
	}
	if err := w.ch.Send(envelope{Op: opListen, Seq: seq, Network: network, Addr: address}); err != nil {
		w.mu.Lock()
		delete(w.pending, seq)
		w.mu.Unlock()
		return fail(err)
	}
	var r listenReply
	select {
	case r = <-reply:
	case <-w.gone:
		select {
		case r = <-reply:
		default:
			r.err = errors.New("the channel to the primary closed")
		}
	}
	if r.err != nil {
		return fail(r.err)
	}
	if r.env.Err != "" {
		if r.file != nil {
			r.file.Close()
		}
		return fail(errors.New(r.env.Err))
	}
	var l net.Listener
	var err error
	if r.env.Sticky {
		id := r.env.Socket
		var sl *stickyListener
		sl = newStickyListener(stickyAddr{network, r.env.Addr}, func() {
			w.mu.Lock()
			if w.sticky[id] == sl {
				delete(w.sticky, id)
			}
			w.mu.Unlock()
			// The primary stops passing connections for it; those
			// already on their way are handed back (see receive).
			w.ch.Send(envelope{Op: opUnlisten, Socket: id})
		})
		w.mu.Lock()
		if w.sticky == nil {
			w.sticky = make(map[int]*stickyListener)
		}
		w.sticky[id] = sl
		w.mu.Unlock()
		l = sl
	} else if r.env.ReusePort {
		lc := net.ListenConfig{Control: setReusePort}
		l, err = lc.Listen(context.Background(), network, r.env.Addr)
	} else if r.file == nil {
		err = errors.New("the primary sent no socket")
	} else {
		l, err = net.FileListener(r.file)
		r.file.Close()
	}
	if err != nil {
		return fail(err)
	}
	w.ch.Send(envelope{Op: opListening, Network: network, Addr: l.Addr().String()})
	return l, nil
}

// Ready tells the primary that the worker is up: the event a Reload waits
// for before stopping the worker it replaces. Without [Config].ManualReady
// the first [Worker.Listen] already did; calling Ready as well is harmless. Only
// the first call sends anything.
func (w *Worker) Ready() error {
	w.mu.Lock()
	if w.ready {
		w.mu.Unlock()
		return nil
	}
	w.ready = true
	w.mu.Unlock()
	return w.ch.Send(envelope{Op: opReady})
}

// Send sends v to the primary, where it arrives as [EventMessage], encoded
// by [ipc.Marshal] (an [ipc.Message] or json.RawMessage is taken as it is,
// arrives compacted, and must be valid JSON). It fails once the channel to
// the primary has closed.
func (w *Worker) Send(v any) error {
	data, err := ipc.Marshal(v)
	if err != nil {
		return fmt.Errorf("cluster: send: %w", err)
	}
	if err := w.ch.Send(envelope{Op: opMessage, Data: data}); err != nil {
		return fmt.Errorf("cluster: send: %w", err)
	}
	return nil
}

// Messages returns the channel of messages the primary sent with Send or
// Broadcast, in order. Until Messages is first called only the last 1024
// are kept; from then on every message is kept until read. The channel is
// closed when the channel to the primary closes (the worker is ending).
func (w *Worker) Messages() <-chan ipc.Message { return w.messages.channel() }

// Stopping reports whether the primary has asked this worker to stop
// (Shutdown or Reload), as opposed to ctx ending for another reason.
func (w *Worker) Stopping() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.stopping
}

// receive handles what the primary sends until the channel closes.
func (w *Worker) receive() {
	defer func() {
		close(w.gone)
		w.cancel()
		w.messages.close()
		w.mu.Lock()
		for seq, r := range w.pending {
			r <- listenReply{err: errors.New("the channel to the primary closed")}
			delete(w.pending, seq)
		}
		w.mu.Unlock()
	}()
	for {
		env, f, err := recvEnvelope(w.ch)
		if err != nil {
			return
		}
		switch env.Op {
		case opPing:
			w.ch.Send(envelope{Op: opPong, Seq: env.Seq})
		case opListenReply:
			w.mu.Lock()
			r := w.pending[env.Seq]
			delete(w.pending, env.Seq)
			w.mu.Unlock()
			if r != nil {
				r <- listenReply{env: env, file: f}
				f = nil
			}
		case opStop:
			w.mu.Lock()
			w.stopping = true
			w.mu.Unlock()
			w.cancel()
		case opMessage:
			w.messages.push(env.Data)
		case opConn:
			w.mu.Lock()
			l := w.sticky[env.Socket]
			w.mu.Unlock()
			if f == nil {
				break
			}
			if l != nil {
				if c, err := net.FileConn(f); err == nil && !l.push(c) {
					c.Close()
					l = nil
				}
			}
			if l == nil {
				// Its listener was closed: back to the primary, which
				// passes it to another worker.
				w.ch.SendFile(envelope{Op: opConnBack, Socket: env.Socket}, f)
			}
		}
		if f != nil {
			f.Close()
		}
	}
}

// Listen is [Worker.Listen] of the worker this process runs as, while [Run]
// runs [Config].Worker; in any other process (the primary, a program not
// run as a cluster) it is net.Listen. Code that serves either way can use
// it.
func Listen(network, address string) (net.Listener, error) {
	current.Lock()
	w := current.w
	current.Unlock()
	if w == nil {
		return net.Listen(network, address)
	}
	return w.Listen(network, address)
}
