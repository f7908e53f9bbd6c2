//go:build !unix

package childproc

import "syscall"

// sigCont is 0 where processes cannot be stopped by a signal.
const sigCont syscall.Signal = 0
