//go:build !unix

package childproc

import (
	"io/fs"
	"syscall"
)

// canExecute looks at the mode bits only where there is no access(2).
func canExecute(path string, mode fs.FileMode) error {
	if mode&0o111 != 0 {
		return nil
	}
	return syscall.EACCES
}
