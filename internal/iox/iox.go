// Package iox holds the small I/O steps that childproc, pipeline and
// cluster share: a pooled copy, the "wait, or close after a grace period"
// that bounds how long a copy or a reader may outlive its process, the
// last line of captured output that errors quote, and an endless reader of
// zeros for tests and benchmarks.
package iox

import (
	"io"
	"strings"
	"sync"
	"time"
)

var buffers = sync.Pool{New: func() any {
	b := make([]byte, 32<<10)
	return &b
}}

// Copy copies r to w until EOF or an error, like io.Copy, through a pooled
// 32 KiB buffer. It hides r's WriteTo and w's ReadFrom, which for an
// *os.File would copy through a fresh buffer of their own each time (a pipe
// cannot splice to an arbitrary io.Writer anyway).
func Copy(w io.Writer, r io.Reader) (int64, error) {
	buf := buffers.Get().(*[]byte)
	defer buffers.Put(buf)
	return io.CopyBuffer(onlyWriter{w}, onlyReader{r}, *buf)
}

type (
	onlyReader struct{ io.Reader }
	onlyWriter struct{ io.Writer }
)

// WaitOrClose waits until done is closed. If it is still open delay after
// the call, it calls giveUp, which must make done close (by closing the
// pipe or channel whose reader closes done), and waits for done again. A
// negative delay waits for done as long as it takes and never calls giveUp;
// a zero delay calls giveUp at once unless done is already closed.
func WaitOrClose(done <-chan struct{}, delay time.Duration, giveUp func()) {
	select {
	case <-done:
		return
	default:
	}
	if delay >= 0 {
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-done:
			return
		case <-t.C:
			giveUp()
		}
	}
	<-done
}

// LastLine returns the last non-blank line of b without its line end and
// trailing blanks, its last max bytes behind "…" when it is longer; ""
// when b holds only blanks.
func LastLine(b []byte, max int) string {
	s := strings.TrimRight(string(b), "\r\n\t ")
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	if len(s) > max {
		s = "…" + s[len(s)-max:]
	}
	return s
}

// Zeros is an endless reader of zero bytes: every Read fills b and returns
// len(b), nil (what /dev/zero gives, without a descriptor). Wrap it in an
// io.LimitReader for a stream of a given size.
type Zeros struct{}

func (Zeros) Read(b []byte) (int, error) {
	clear(b)
	return len(b), nil
}
