package bench

import (
	"errors"
	"io"
	"os"
)

func osArgs() []string { return os.Args }

func isEOF(err error) bool { return errors.Is(err, io.EOF) }
