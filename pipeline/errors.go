package pipeline

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spawnkit/spawnkit/childproc"
	"github.com/spawnkit/spawnkit/internal/iox"
)

// Error reports the stage that made a pipeline fail: following sh's
// `set -o pipefail`, the first stage, counting from the left, that failed.
// (bash reports the status of the rightmost failing stage; the leftmost is
// reported here because it is usually the cause, as in `cat missing | wc -l`.)
//
// Err is what went wrong with that stage:
//   - for a [Command] that ran, the *[childproc.ExitError] of its exit (exit code
//     or signal; Killed when the pipeline killed it), with its Stderr set to
//     the stage's stderr tail;
//   - for a Command that could not start, the error of [childproc.Spawn], which
//     names the program and matches fs.ErrNotExist or fs.ErrPermission;
//   - for a [Func], the error it returned;
//   - for Output's overflow, an error matching [childproc.ErrMaxBuffer] (Stage is
//     then the last stage).
//
// After the ctx given to Run or Output ended, the error also matches ctx's
// error (context.Canceled or context.DeadlineExceeded).
type Error struct {
	Stage   int    // index of the stage in the pipeline, from 0
	Command string // the stage as a shell would show it (shell.Join of its words), or "func"
	Err     error
	Stderr  []byte // a Command stage's last bytes of stderr (up to 4 KiB), nil for a Func
}

// Error reads "pipeline: stage N (COMMAND) failed: REASON", where REASON is
// the exit status or signal, or the error, followed by the last line of the
// stage's stderr when there is one.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "pipeline: stage %d (%s) failed: ", e.Stage, e.Command)
	var ee *childproc.ExitError
	if errors.As(e.Err, &ee) && e.Err == error(ee) {
		// The ExitError's own text repeats the command; say only how it ended.
		if cause := ee.Unwrap(); cause != nil {
			fmt.Fprintf(&b, "%v, ", cause)
		} else if ee.TimedOut {
			b.WriteString("timed out, ")
		}
		b.WriteString(ee.Status().String())
	} else {
		fmt.Fprint(&b, e.Err)
	}
	if line := iox.LastLine(e.Stderr, 256); line != "" {
		b.WriteString(": ")
		b.WriteString(line)
	}
	return b.String()
}

// Unwrap returns Err, so errors.Is and errors.As see the stage's error.
func (e *Error) Unwrap() error { return e.Err }
