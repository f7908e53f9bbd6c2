package childproc

import (
	"context"
	"log/slog"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spawnkit/spawnkit/shell"
)

// The messages of the records [Options].Logger receives (see its doc).
const (
	logSpawn       = "spawn"
	logSpawnFailed = "spawn failed"
	logExit        = "exit"
)

// procLog is what a Process needs to write its "exit" record.
type procLog struct {
	logger         *slog.Logger // nil = silent
	cmd            string
	start          time.Time
	stdout, stderr *atomic.Int64 // nil when the library does not read the stream
}

// logSpawnError writes the "spawn failed" record.
func logSpawnError(l *slog.Logger, argv []string, err error) {
	if l == nil {
		return
	}
	l.LogAttrs(context.Background(), slog.LevelWarn, logSpawnFailed,
		slog.String("cmd", shell.Join(argv)), slog.Any("err", err))
}

// logStarted writes the "spawn" record.
func (p *Process) logStarted() {
	if p.log.logger == nil {
		return
	}
	p.log.logger.LogAttrs(context.Background(), slog.LevelInfo, logSpawn,
		slog.String("cmd", p.log.cmd), slog.Int("pid", p.Pid))
}

// logExited writes the "exit" record; call it once the child was reaped and
// the library's own copies ended, before Wait returns.
func (p *Process) logExited() {
	l := p.log.logger
	if l == nil {
		return
	}
	attrs := make([]slog.Attr, 0, 7)
	attrs = append(attrs, slog.String("cmd", p.log.cmd), slog.Int("pid", p.Pid))
	attrs = append(attrs, StatusOf(p.state).Attr())
	attrs = append(attrs, slog.Duration("duration", p.duration))
	if p.log.stdout != nil {
		attrs = append(attrs, slog.Int64("stdout", p.log.stdout.Load()))
	}
	if p.log.stderr != nil {
		attrs = append(attrs, slog.Int64("stderr", p.log.stderr.Load()))
	}
	level := slog.LevelInfo
	if err := p.result(); err != nil {
		level = slog.LevelWarn
		attrs = append(attrs, slog.Any("err", err))
	}
	l.LogAttrs(context.Background(), level, logExit, attrs...)
}

// Attr returns the attribute by which [Options].Logger, and the Loggers of
// packages pool and cluster, report s: code=N (an Int), or signal=NAME (a
// String, "SIGKILL"; "signal N" for a signal without a name) when a
// signal ended the process.
func (s ExitStatus) Attr() slog.Attr {
	if s.Signal != 0 {
		return slog.String("signal", signalName(s.Signal))
	}
	return slog.Int("code", s.Code)
}

// signalName returns sig's name, "SIGKILL", or "signal N" when it has none.
func signalName(sig syscall.Signal) string {
	if name := sigName(sig); name != "" {
		return name
	}
	return "signal " + strconv.Itoa(int(sig))
}
