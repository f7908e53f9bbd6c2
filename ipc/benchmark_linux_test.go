//go:build linux && !spawnkit_portable

package ipc

import "testing"

// BenchmarkRoundTripSmallNetpoller is BenchmarkRoundTripSmall with the
// blocking read off (pollWindow 0: every read waits in the netpoller), to
// compare the two interleaved. At GOMAXPROCS=1 a reader blocked in recvmsg
// holds the only P, so the echo goroutine of the same process runs only
// once sysmon takes the P back or the window ends (bench/RESULTS.md).
func BenchmarkRoundTripSmallNetpoller(b *testing.B) {
	old := pollWindow
	pollWindow = 0
	defer func() { pollWindow = old }()
	BenchmarkRoundTripSmall(b)
}
