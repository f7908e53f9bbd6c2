package childproc

import (
	"io"
	"os"
)

type stdioKind int

const (
	stdioDefault stdioKind = iota // the zero value: Pipe, or Inherit for Fork
	stdioPipe
	stdioInherit
	stdioIgnore
	stdioFile
	stdioReader
	stdioWriter
)

// Stdio says where one of a child's standard streams goes. The zero value is
// [Pipe] for [Spawn], /dev/null (stdin) and a capture buffer (stdout, stderr)
// for [Exec] and [ExecFile], and [Inherit] for [Fork], as in Node.
type Stdio struct {
	kind stdioKind
	file *os.File
	r    io.Reader
	w    io.Writer
}

var (
	// Pipe connects the stream to the parent: Process.Stdin, Stdout or
	// Stderr is set to the parent's end. It is the default.
	Pipe = Stdio{kind: stdioPipe}
	// Inherit gives the child the parent's own stdin, stdout or stderr.
	Inherit = Stdio{kind: stdioInherit}
	// Ignore connects the stream to /dev/null.
	Ignore = Stdio{kind: stdioIgnore}
)

// File gives the child f itself (a file, a pipe end, a socket); the child
// reads or writes it directly and the bytes never pass through the parent.
// The caller keeps ownership of f and may close it once [Spawn] returns.
// A nil f is the same as [Ignore].
func File(f *os.File) Stdio {
	if f == nil {
		return Ignore
	}
	return Stdio{kind: stdioFile, file: f}
}

// Reader feeds r to the child's stdin. If r is an *os.File the child reads it
// directly; otherwise a goroutine copies r into a pipe and closes the pipe at
// EOF or at the first error, or when Wait returns (a grandchild that keeps
// stdin open without reading it does not keep r being read). A Reader that
// blocks forever keeps that goroutine alive until it returns. Use it for
// Stdin only.
func Reader(r io.Reader) Stdio {
	if r == nil {
		return Ignore
	}
	if f, ok := r.(*os.File); ok {
		return File(f)
	}
	return Stdio{kind: stdioReader, r: r}
}

// Writer copies the child's stdout or stderr into w. If w is an *os.File the
// child writes it directly; otherwise a goroutine copies from a pipe, and
// Wait returns only once that copy has finished (at most KillDelay after the
// child exits, in case a grandchild holds the pipe open). A Write into w
// that blocks holds Wait up for as long as it blocks, KillDelay and the
// ctx notwithstanding, since no Write can be interrupted: w must keep up
// (or be an *os.File). Use it for Stdout
// and Stderr only. The same w (==) given as both Stdout and Stderr gets
// one pipe for both streams: its writes never run at once, and come in the
// order the child wrote them.
func Writer(w io.Writer) Stdio {
	if w == nil {
		return Ignore
	}
	if f, ok := w.(*os.File); ok {
		return File(f)
	}
	return Stdio{kind: stdioWriter, w: w}
}

// String names the kind of stream, for error messages.
func (s Stdio) String() string {
	switch s.kind {
	case stdioDefault, stdioPipe:
		return "Pipe"
	case stdioInherit:
		return "Inherit"
	case stdioIgnore:
		return "Ignore"
	case stdioFile:
		return "File"
	case stdioReader:
		return "Reader"
	case stdioWriter:
		return "Writer"
	}
	return "Stdio(?)"
}
