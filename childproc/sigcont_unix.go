//go:build unix

package childproc

import "syscall"

// sigCont continues a stopped process; see terminate.
const sigCont = syscall.SIGCONT
