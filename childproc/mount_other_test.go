//go:build unix && !linux

package childproc_test

import (
	"errors"
	"fmt"
)

var errNoMount = fmt.Errorf("the tests mount tmpfs only on Linux: %w", errors.ErrUnsupported)

func mountTmpfs(string) error    { return errNoMount }
func remountNoexec(string) error { return errNoMount }
func unmount(string) error       { return errNoMount }
