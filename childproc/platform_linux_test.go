//go:build !spawnkit_portable

package childproc_test

import (
	"syscall"
	"testing"
)

// skipUnlessLinux skips a test of a guarantee only the Linux build gives.
func skipUnlessLinux(*testing.T, string) {}

func gettid() int { return syscall.Gettid() }
