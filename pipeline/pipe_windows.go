package pipeline

import (
	"errors"
	"fmt"
	"os"
)

// errUnsupported is returned by Run and Output on Windows, where
// childproc starts no process.
var errUnsupported = fmt.Errorf("not supported on windows (childproc cannot start processes there): %w", errors.ErrUnsupported)

// supported refuses every pipeline, Func-only ones included, so that
// nothing untested runs.
func supported() error { return errUnsupported }

func rawPipe() ([2]int, error) { return [2]int{-1, -1}, errUnsupported }

func writerOpen(*os.File) bool { return false }
