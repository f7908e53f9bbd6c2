package bench

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/spawnkit/spawnkit/internal/procfs"
	"github.com/spawnkit/spawnkit/ipc"
)

// BenchmarkChannelRoundTripBusy runs round trips on many channels at once:
// each channel is an ipc.Pair whose other end is an ipc.Channel echoing in
// this process, and one goroutine per channel sends and waits for the echo
// until b.N round trips are done in all. It reports the process's threads
// at the end (Go keeps the threads it started, so this is the peak): the
// cost of the readers that block in recvmsg on Linux (at most GOMAXPROCS−1
// at once; see ipc/wait_linux.go), against the netpoller's one thread for
// many sockets. ns/op is per round trip, all channels together.
func BenchmarkChannelRoundTripBusy(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprintf("channels=%d", n), func(b *testing.B) {
			parents := make([]*ipc.Channel, n)
			var echoes sync.WaitGroup
			for i := range parents {
				p, f, err := ipc.Pair()
				if err != nil {
					b.Fatal(err)
				}
				k, err := ipc.New(f, nil)
				if err != nil {
					b.Fatal(err)
				}
				parents[i] = p
				echoes.Add(1)
				go func() {
					defer echoes.Done()
					defer k.Close()
					for {
						m, err := k.Recv()
						if err != nil {
							return
						}
						if k.Send(m) != nil {
							return
						}
					}
				}()
			}
			b.Cleanup(func() {
				for _, p := range parents {
					p.Close()
				}
				echoes.Wait()
			})
			var left atomic.Int64
			left.Store(int64(b.N))
			msg := ipc.Message(`{"op":"ping","seq":1}`)
			b.ReportAllocs()
			b.ResetTimer()
			var wg sync.WaitGroup
			for _, p := range parents {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for left.Add(-1) >= 0 {
						if err := p.Send(msg); err != nil {
							b.Error(err)
							return
						}
						if _, err := p.Recv(); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.StopTimer()
			if t, err := procfs.SelfStatusCount("Threads"); err == nil {
				b.ReportMetric(float64(t), "threads")
			}
		})
	}
}
