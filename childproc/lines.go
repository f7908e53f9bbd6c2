package childproc

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"iter"
	"strings"
)

// MaxLineLength is the longest line, in bytes and without its line ending,
// that [Lines] yields.
const MaxLineLength = 1 << 20

// ErrLineTooLong is matched (errors.Is) by the error [Lines] yields for a line
// longer than [MaxLineLength].
var ErrLineTooLong = errors.New("childproc: line too long")

// Lines returns an iterator over the lines read from r, typically a
// [Process]'s Stdout or Stderr: each line without its ending ("\n" or
// "\r\n"; a lone "\r" inside a line is kept, one just before the end of
// input is dropped), empty lines included, and a last line that has no
// ending. Empty input yields nothing.
//
// Reading stops at the first error, which is yielded with an empty line and
// ends the iteration: r's own error (not io.EOF, which just ends it; what
// was read before the error is yielded first, a last partial line
// included), or,
// for a line longer than [MaxLineLength] bytes, an error matching
// [ErrLineTooLong], so a child that never prints a newline cannot make the
// parent's memory grow without bound.
//
// The iterator reads r as the loop goes, in blocks, and does not close it;
// what it read ahead is lost when the loop breaks early, so do not read r
// again after that. A Process stream left unread must be closed, or the
// child may block on a full pipe and [EventClose] will not come.
func Lines(r io.Reader) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 0, 4096), MaxLineLength+3)
		sc.Split(scanLines)
		for sc.Scan() {
			if !yield(sc.Text(), nil) {
				return
			}
		}
		if err := sc.Err(); err != nil {
			yield("", err)
		}
	}
}

var errTooLong = fmt.Errorf("%w (over %d bytes)", ErrLineTooLong, MaxLineLength)

// scanLines is bufio.ScanLines that refuses a line longer than
// MaxLineLength before the Scanner's own limit (MaxLineLength+3) is hit.
func scanLines(data []byte, atEOF bool) (int, []byte, error) {
	adv, tok, err := bufio.ScanLines(data, atEOF)
	if len(tok) > MaxLineLength {
		return 0, nil, errTooLong
	}
	if adv == 0 {
		// No "\n" yet: all of data is the line, but for a last "\r" that
		// may start its "\r\n".
		n := len(data)
		if n > 0 && data[n-1] == '\r' {
			n--
		}
		if n > MaxLineLength {
			return 0, nil, errTooLong
		}
	}
	return adv, tok, err
}

// Text returns Stdout as a string without its final line ending ("\n" or
// "\r\n"; only one is removed), as execa's stripFinalNewline does: the
// usual way to read a one-line answer such as `git rev-parse HEAD`. It
// returns "" for a nil [Result].
func (r *Result) Text() string {
	if r == nil {
		return ""
	}
	s := string(r.Stdout)
	if t, ok := strings.CutSuffix(s, "\n"); ok {
		return strings.TrimSuffix(t, "\r")
	}
	return s
}

// Lines returns an iterator over the lines of Stdout, split as Lines
// splits a stream. There is no length limit: Stdout is already bounded by
// MaxBuffer. A nil [Result] yields nothing.
func (r *Result) Lines() iter.Seq[string] {
	return func(yield func(string) bool) {
		if r == nil {
			return
		}
		for line := range strings.Lines(string(r.Stdout)) {
			line = strings.TrimSuffix(line, "\n")
			line = strings.TrimSuffix(line, "\r")
			if !yield(line) {
				return
			}
		}
	}
}
