//go:build unix && !linux

package main

import "time"

var start = time.Now()

// monotonicNow is a monotonic clock in ns; systemd only runs on Linux, so
// its epoch does not matter elsewhere.
func monotonicNow() int64 { return int64(time.Since(start)) }
