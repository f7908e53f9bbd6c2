//go:build unix

package childproc

import (
	"os"
	"syscall"
)

// Credential is the user and groups a child runs as (Options.Credential):
// syscall.Credential, so a *syscall.Credential may be given.
type Credential = syscall.Credential

// raise sends sig to this process.
func raise(sig syscall.Signal) { syscall.Kill(os.Getpid(), sig) }

// supported returns nil: children start on every Unix system.
func supported() error { return nil }
