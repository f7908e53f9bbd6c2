package pool

import (
	"context"
	"log/slog"
)

// logStarted writes "worker started"; why is "start" (New) or "restart".
func (p *Pool) logStarted(slot, pid int, why string) {
	if l := p.opts.Logger; l != nil {
		l.LogAttrs(context.Background(), slog.LevelInfo, "worker started",
			slog.String("role", p.role), slog.Int("slot", slot), slog.Int("pid", pid), slog.String("why", why))
	}
}

// logStartFailed writes "worker start failed".
func (p *Pool) logStartFailed(slot int, err error) {
	if l := p.opts.Logger; l != nil {
		l.LogAttrs(context.Background(), slog.LevelWarn, "worker start failed",
			slog.String("role", p.role), slog.Int("slot", slot), slog.Any("err", err))
	}
}

// logCrashed writes "worker crashed" for w, which reap has waited for; err
// is the task's *WorkerError, or nil when the worker died idle.
func (p *Pool) logCrashed(slot int, w *worker, err error) {
	l := p.opts.Logger
	if l == nil {
		return
	}
	st, _ := w.proc.ExitStatus()
	attrs := []slog.Attr{slog.String("role", p.role), slog.Int("slot", slot), slog.Int("pid", w.proc.Pid), st.Attr()}
	if err != nil {
		attrs = append(attrs, slog.Any("err", err))
	}
	l.LogAttrs(context.Background(), slog.LevelWarn, "worker crashed", attrs...)
}
