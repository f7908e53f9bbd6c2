package childproc

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// badInterpreter explains an exec of path that failed with err (ENOENT or
// EACCES) although path itself is there: when path is a script whose #!
// line names an interpreter that is missing or cannot be run, the kernel
// reports that interpreter's error as if it were the script's. It returns
// an error naming the interpreter and wrapping err, or nil when that is not
// the cause. dir is the child's working directory, for a relative path.
func badInterpreter(path, dir string, err error) error {
	if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, fs.ErrPermission) {
		return nil
	}
	if !filepath.IsAbs(path) && dir != "" {
		path = filepath.Join(dir, path)
	}
	f, oerr := os.Open(path)
	if oerr != nil {
		return nil // the script itself is the problem
	}
	defer f.Close()
	head := make([]byte, 256) // Linux reads at most 256 bytes of a #! line
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	if !bytes.HasPrefix(head, []byte("#!")) {
		return nil
	}
	// As the kernel reads it: blanks skipped, then the name up to the next
	// blank or the end of the line; a DOS \r stays part of the name.
	line, _, _ := bytes.Cut(head[2:], []byte("\n"))
	line = bytes.TrimLeft(line, " \t")
	if i := bytes.IndexAny(line, " \t"); i >= 0 {
		line = line[:i]
	}
	if len(line) == 0 {
		return nil
	}
	interp := string(line)
	if _, serr := os.Stat(interp); serr == nil && errors.Is(err, fs.ErrNotExist) {
		return nil // there after all: not the cause
	}
	return fmt.Errorf("bad interpreter %q in its #! line: %w", interp, err)
}
