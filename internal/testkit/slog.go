package testkit

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"testing"
)

// LogRecorder keeps the records of a slog.Logger as JSON, so that tests can
// assert their exact attributes. It is safe for concurrent use.
type LogRecorder struct {
	buf SyncBuffer
}

// Logger returns a logger that writes every record, Debug included, to r,
// without its time.
func (r *LogRecorder) Logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(&r.buf, &slog.HandlerOptions{
		Level: slog.LevelDebug,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
}

// Records returns the records written so far, each as its decoded JSON
// object: "level", "msg" and the attributes (numbers are float64;
// durations are nanoseconds).
func (r *LogRecorder) Records(t testing.TB) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range bytes.Lines([]byte(r.buf.String())) {
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatalf("log record %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

// String returns the JSON lines written so far.
func (r *LogRecorder) String() string { return r.buf.String() }
