package pool

import (
	"context"
	"log/slog"
	"strconv"
	"syscall"
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

// logCrashed writes "worker crashed"; err is the task's *WorkerError, or
// nil when the worker died idle.
func (p *Pool) logCrashed(slot, pid, code int, sig syscall.Signal, err error) {
	l := p.opts.Logger
	if l == nil {
		return
	}
	attrs := []slog.Attr{slog.String("role", p.role), slog.Int("slot", slot), slog.Int("pid", pid), exitAttr(code, sig)}
	if err != nil {
		attrs = append(attrs, slog.Any("err", err))
	}
	l.LogAttrs(context.Background(), slog.LevelWarn, "worker crashed", attrs...)
}

// exitAttr is code=N, or signal=NAME when a signal ended the process.
func exitAttr(code int, sig syscall.Signal) slog.Attr {
	if sig != 0 {
		return slog.String("signal", signalName(sig))
	}
	return slog.Int("code", code)
}

func signalName(sig syscall.Signal) string {
	if name := sigName(sig); name != "" {
		return name
	}
	return "signal " + strconv.Itoa(int(sig))
}
