package testkit

import (
	"runtime"
	"syscall"
	"testing"
)

// TestPeakRSS checks that PeakRSS reads the peak resident set, in bytes:
// with 64 MiB touched it is at least that, and never more than the
// kernel's own peak from getrusage (ru_maxrss, in KiB) by more than 4 MiB,
// which a reading of virtual size (VmPeak, gigabytes for a Go program) or
// a wrong unit would exceed. (The two readings sum the kernel's per-CPU
// page counters differently, so they differ by some pages.)
func TestPeakRSS(t *testing.T) {
	const n = 64 << 20
	b := make([]byte, n)
	for i := 0; i < n; i += 4096 {
		b[i] = 1
	}
	peak := PeakRSS()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	runtime.KeepAlive(b)
	if peak < n {
		t.Errorf("PeakRSS = %d with %d bytes touched", peak, n)
	}
	if max := ru.Maxrss<<10 + 4<<20; peak > max {
		t.Errorf("PeakRSS = %d, more than getrusage's peak + 4 MiB = %d", peak, max)
	}
}
