package cluster

import (
	"context"
	"log/slog"
	"time"

	"github.com/spawnkit/spawnkit/childproc"
)

// log writes one record on Config.Logger.
func (p *Primary) log(level slog.Level, msg string, attrs ...slog.Attr) {
	p.cfg.Logger.LogAttrs(context.Background(), level, msg, attrs...)
}

// workerAttrs are the attributes naming a worker: worker (its ID), slot, pid.
func workerAttrs(w WorkerInfo, more ...slog.Attr) []slog.Attr {
	return append([]slog.Attr{slog.Int("worker", w.ID), slog.Int("slot", w.Slot), slog.Int("pid", w.Pid)}, more...)
}

// logStarted writes "worker started"; why is "start", "restart" or "reload".
func (p *Primary) logStarted(w *child, why string) {
	p.log(slog.LevelInfo, "worker started", workerAttrs(w.info, slog.String("why", why))...)
}

// logExit writes "worker exited" for a worker that was asked to stop and
// "worker crashed" for one that was not.
func (p *Primary) logExit(w WorkerInfo, st childproc.ExitStatus, stopped bool, reason error) {
	attrs := workerAttrs(w, st.Attr())
	if reason != nil {
		attrs = append(attrs, slog.String("reason", reason.Error()))
	}
	if stopped {
		p.log(slog.LevelInfo, "worker exited", attrs...)
		return
	}
	p.log(slog.LevelWarn, "worker crashed", attrs...)
}

// logKilled writes "worker killed": the primary killed w for reason, after
// waiting that long (0: Shutdown's ctx ended, no attribute).
func (p *Primary) logKilled(w WorkerInfo, reason error, after time.Duration) {
	attrs := workerAttrs(w, slog.String("reason", reason.Error()))
	if after > 0 {
		attrs = append(attrs, slog.Duration("after", after))
	}
	p.log(slog.LevelWarn, "worker killed", attrs...)
}

// minLevel passes on the records at min and above only.
type minLevel struct {
	h   slog.Handler
	min slog.Level
}

func (m minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= m.min && m.h.Enabled(ctx, l)
}

func (m minLevel) Handle(ctx context.Context, r slog.Record) error { return m.h.Handle(ctx, r) }

func (m minLevel) WithAttrs(attrs []slog.Attr) slog.Handler {
	return minLevel{m.h.WithAttrs(attrs), m.min}
}

func (m minLevel) WithGroup(name string) slog.Handler { return minLevel{m.h.WithGroup(name), m.min} }
