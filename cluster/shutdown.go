package cluster

import (
	"context"
)

// Shutdown stops the cluster gracefully: no worker is started any more,
// every worker is asked to stop accepting and to drain (its ctx is
// cancelled), and a worker still running after [Config].ShutdownTimeout is
// killed with SIGKILL ([EventExit] with [ErrDrainTimeout], and a "worker
// killed" record on Config.Logger). The listening sockets are closed once every worker is gone;
// connections the kernel had queued but no worker had accepted then are
// reset. Shutdown returns when everything has ended: nil, or ctx's error
// if ctx ended first, in which case the workers still running were killed
// at that moment. Calling it again waits for the same end.
func (p *Primary) Shutdown(ctx context.Context) error {
	p.beginShutdown(nil)
	select {
	case <-p.done:
		return nil
	case <-ctx.Done():
	}
	p.mu.Lock()
	ws := make([]*child, 0, len(p.workers))
	for _, w := range p.workers {
		ws = append(ws, w)
	}
	p.mu.Unlock()
	for _, w := range ws {
		p.killFor(w, ErrDrainTimeout, 0)
	}
	<-p.done
	return ctx.Err()
}

// beginShutdown starts the shutdown once; cause, if not nil, is what Wait
// will return.
func (p *Primary) beginShutdown(cause error) {
	p.shutdownOnce.Do(func() {
		p.mu.Lock()
		p.closing = true
		if cause != nil && p.err == nil {
			p.err = cause
		}
		for _, s := range p.slots {
			p.cancelRestart(s)
		}
		ws := make([]*child, 0, len(p.workers))
		for _, w := range p.workers {
			ws = append(ws, w)
		}
		for _, l := range p.routers {
			l.Close() // Sticky: stop accepting before the workers drain
		}
		p.wg.Add(len(ws))
		p.mu.Unlock()
		p.cancelClosing()
		for _, w := range ws {
			go func() {
				defer p.wg.Done()
				p.stop(w, p.cfg.ShutdownTimeout)
			}()
		}
		go func() {
			p.wg.Wait()
			p.socks.close()
			p.events.close()
			close(p.done)
		}()
	})
}
