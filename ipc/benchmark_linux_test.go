//go:build linux && !spawnkit_portable

package ipc

import "testing"

// BenchmarkRoundTripSmallNetpoller is BenchmarkRoundTripSmall with the
// blocking read off (pollWindow 0: every read waits in the netpoller), to
// compare the two interleaved. At GOMAXPROCS=1 they are the same: no
// read blocks in recvmsg there (maxPollers), because a reader blocked in
// recvmsg held the only P and the echo goroutine of the same process ran
// only once sysmon took the P back or the window ended, ~6 times slower
// (bench/RESULTS.md).
func BenchmarkRoundTripSmallNetpoller(b *testing.B) {
	old := pollWindow
	pollWindow = 0
	defer func() { pollWindow = old }()
	BenchmarkRoundTripSmall(b)
}
