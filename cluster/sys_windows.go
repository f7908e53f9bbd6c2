package cluster

import (
	"os"
	"syscall"
)

// reloadSignal is never delivered on Windows (Run listens for it anyway, to
// keep one code path); Start fails there before any worker runs, since
// childproc.Fork returns an error matching errors.ErrUnsupported.
const reloadSignal = syscall.Signal(0x1f)

// systemdSockets returns nil: there is no systemd socket activation.
func systemdSockets() []*os.File { return nil }
