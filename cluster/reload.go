package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Reload replaces every worker, one slot at a time, without a moment when
// no worker accepts connections: it starts the replacement (from the
// executable's path as it is now, so a new binary installed there is
// picked up), waits until it is ready, then asks the old worker to stop
// accepting and drain (killing it after [Config].ShutdownTimeout), waits
// for it to exit, and moves on to the next slot. A slot that was given up
// as a crash loop, or is waiting to be restarted, gets a worker again.
//
// If a replacement exits or is not ready in time (Config.ReadyTimeout),
// or ctx ends while Reload waits for it, the replacement is stopped, the
// old worker keeps serving, and Reload returns an error naming the slot;
// slots already done keep their new workers. Reload returns an error
// matching [ErrClosed] once the cluster is shutting down. Only one Reload
// runs at a time; a second call waits for the first to finish and then
// reloads again.
func (p *Primary) Reload(ctx context.Context) error {
	p.reloadMu.Lock()
	defer p.reloadMu.Unlock()
	p.log(slog.LevelInfo, "reload started", slog.Int("workers", len(p.slots)))
	start := time.Now()
	for _, s := range p.slots {
		if err := p.reloadSlot(ctx, s); err != nil {
			if !errors.Is(err, ErrClosed) && p.closingCtx.Err() == nil { // not ended by a shutdown
				p.log(slog.LevelError, "reload failed", slog.Duration("duration", time.Since(start)), slog.Any("err", err))
			}
			return err
		}
	}
	p.log(slog.LevelInfo, "reload done", slog.Duration("duration", time.Since(start)))
	return nil
}

func (p *Primary) reloadSlot(ctx context.Context, s *slot) error {
	p.mu.Lock()
	if p.closing {
		p.mu.Unlock()
		return fmt.Errorf("cluster: reload: %w", ErrClosed)
	}
	p.cancelRestart(s)
	s.reloading = true
	nw, err := p.spawn(s, false)
	if err == nil {
		p.logStarted(nw, "reload") // before its exit can be logged
	}
	p.mu.Unlock()

	fail := func(err error) error {
		if nw != nil {
			p.stop(nw, p.cfg.ShutdownTimeout)
		}
		p.mu.Lock()
		s.reloading = false
		if s.current == nil && !s.gaveUp && !p.closing {
			p.scheduleRestart(s, p.cfg.RestartDelay)
		}
		p.mu.Unlock()
		return fmt.Errorf("cluster: reload slot %d: %w", s.index, err)
	}
	if err != nil {
		return fail(err)
	}
	select {
	case <-nw.ready:
	case <-nw.procDone:
		return fail(fmt.Errorf("%v exited before it was ready", nw.info))
	case <-ctx.Done():
		return fail(context.Cause(ctx))
	case <-p.closingCtx.Done():
		return fail(ErrClosed)
	}

	p.mu.Lock()
	if p.closing {
		p.mu.Unlock()
		return fail(ErrClosed)
	}
	old := s.current
	s.current, s.reloading, s.gaveUp = nw, false, false
	s.backoff.Reset()
	p.mu.Unlock()
	if old != nil {
		p.stop(old, p.cfg.ShutdownTimeout)
		<-old.exited
	}
	return nil
}
