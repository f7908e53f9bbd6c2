//go:build !spawnkit_portable

package childproc_test

import (
	"syscall"
	"testing"
)

// skipUnlessLinux skips a test of a guarantee only the Linux build gives;
// helpers names the testkit helpers the test would start.
func skipUnlessLinux(*testing.T, string, ...string) {}

func gettid() int { return syscall.Gettid() }
