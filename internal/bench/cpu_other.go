//go:build !unix

package bench

import "time"

// SelfCPU returns 0: this process's CPU time is not read here.
func SelfCPU() time.Duration { return 0 }
