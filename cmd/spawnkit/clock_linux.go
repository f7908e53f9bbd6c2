package main

import "golang.org/x/sys/unix"

// monotonicNow is CLOCK_MONOTONIC in ns (systemd's clock for MONOTONIC_USEC).
func monotonicNow() int64 {
	var ts unix.Timespec
	unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return ts.Nano()
}
