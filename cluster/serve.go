package cluster

import (
	"context"
	"errors"
	"net"
	"net/http"
)

// ServeHTTP serves srv on ln until ctx ends, then shuts srv down
// gracefully (http.Server.Shutdown): ln is closed so this worker accepts
// no more connections (the other workers keep accepting on the shared
// socket), idle keep-alive connections are closed, and the requests in
// flight are answered before it returns. It returns nil after such a
// shutdown, and Serve's error if serving failed before ctx ended. It does
// not bound the drain itself: the primary kills a worker that takes longer
// than Config.ShutdownTimeout.
func ServeHTTP(ctx context.Context, srv *http.Server, ln net.Listener) error {
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	err := srv.Shutdown(context.WithoutCancel(ctx))
	if serr := <-served; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		return serr
	}
	return err
}
