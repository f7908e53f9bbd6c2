//go:build unix

package bench

import (
	"syscall"
	"time"
)

// SelfCPU returns the CPU time (user and system) this process has used so
// far, all its threads included and its children excluded; 0 where it
// cannot be read.
func SelfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
