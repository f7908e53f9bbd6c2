package cluster

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"
)

// newConnGrace bounds how long Serve waits, once it stopped
// accepting, for connections it accepted to send their first request: the
// same 5 seconds after which http.Server.Shutdown treats such a
// connection as idle.
const newConnGrace = 5 * time.Second

// Serve serves srv on ln until ctx ends, then stops without losing a
// request it accepted, and returns nil (or [http.Server.Serve]'s error if serving failed
// before ctx ended).
//
// Stopping goes in three steps. First ln is closed, so this worker accepts
// no more connections (the other workers keep accepting on the shared
// socket). Then Serve waits until every connection it already accepted
// has had its first request reach the handler, or closed, or stayed silent
// for 5 seconds: http.Server.Shutdown alone would drop, unanswered, a
// request that arrives on a just-accepted connection after it began.
// Finally http.Server.Shutdown closes the idle keep-alive connections and
// waits for the requests in flight to be answered. A client that sends a
// request on a keep-alive connection at the moment it is closed sees the
// connection close without an answer, as with any HTTP server that closes
// idle connections; HTTP clients (net/http, browsers) retry idempotent
// requests in that case.
//
// Serve wraps srv.Handler, srv.ConnState and srv.ConnContext to track
// connections (the wrapped ones still run); set them before calling it. It
// does not bound the drain itself: the primary kills a worker that takes
// longer than [Config].ShutdownTimeout.
func Serve(ctx context.Context, srv *http.Server, ln net.Listener) error {
	t := track(srv)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	ln.Close()
	if err := <-served; err != nil && !errors.Is(err, net.ErrClosed) && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	t.waitStarted(newConnGrace)
	return srv.Shutdown(context.WithoutCancel(ctx))
}

// connTracker knows which accepted connections have not had a request
// reach the handler yet.
type connTracker struct {
	mu      sync.Mutex
	pending map[net.Conn]struct{}
	changed chan struct{}
}

type connKey struct{}

func track(srv *http.Server) *connTracker {
	t := &connTracker{pending: make(map[net.Conn]struct{}), changed: make(chan struct{}, 1)}
	state, connCtx, handler := srv.ConnState, srv.ConnContext, srv.Handler
	if handler == nil {
		handler = http.DefaultServeMux
	}
	srv.ConnState = func(c net.Conn, st http.ConnState) {
		switch st {
		case http.StateNew:
			t.mu.Lock()
			t.pending[c] = struct{}{}
			t.mu.Unlock()
		case http.StateClosed, http.StateHijacked:
			t.started(c)
		}
		if state != nil {
			state(c, st)
		}
	}
	srv.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
		if connCtx != nil {
			ctx = connCtx(ctx, c)
		}
		return context.WithValue(ctx, connKey{}, c)
	}
	srv.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, ok := r.Context().Value(connKey{}).(net.Conn); ok {
			t.started(c)
		}
		handler.ServeHTTP(w, r)
	})
	return t
}

func (t *connTracker) started(c net.Conn) {
	t.mu.Lock()
	_, ok := t.pending[c]
	delete(t.pending, c)
	t.mu.Unlock()
	if ok {
		select {
		case t.changed <- struct{}{}:
		default:
		}
	}
}

// waitStarted waits until no connection is pending, at most grace.
func (t *connTracker) waitStarted(grace time.Duration) {
	deadline := time.NewTimer(grace)
	defer deadline.Stop()
	for {
		t.mu.Lock()
		n := len(t.pending)
		t.mu.Unlock()
		if n == 0 {
			return
		}
		select {
		case <-t.changed:
		case <-deadline.C:
			return
		}
	}
}
