package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/spawnkit/spawnkit/ipc"
)

// The Go benchmarks. Run them with
//
//	go test -run '^$' -bench . -benchmem -count 6 ./internal/bench/ > bench/out/go.txt
//	go run golang.org/x/perf/cmd/benchstat@latest -col /impl bench/out/go.txt
//
// Each spawnkit sub-benchmark has an osexec sibling doing the same work
// with the same stdio; allocs/op of the spawn benchmarks is allocations per
// Spawn+Wait in the parent.

var impls = []string{ImplSpawnkit, ImplOSExec}

func BenchmarkSpawnTrue(b *testing.B) {
	ctx := context.Background()
	for _, impl := range impls {
		for _, stdio := range []string{"devnull", "pipes"} {
			b.Run("stdio="+stdio+"/impl="+impl, func(b *testing.B) {
				loop(b, func() error { return SpawnOnce(ctx, impl, stdio == "pipes") })
			})
		}
	}
}

// BenchmarkSpawnTrueDetached is BenchmarkSpawnTrue/stdio=devnull with
// Options.Detached: no parent-death signal, no spawner thread (see
// ImplSpawnkitDetached).
func BenchmarkSpawnTrueDetached(b *testing.B) {
	loop(b, func() error { return SpawnOnce(context.Background(), ImplSpawnkitDetached, false) })
}

// BenchmarkSpawnTrueCaller is BenchmarkSpawnTrue/stdio=devnull with
// Options.StartOnCallerThread (see ImplSpawnkitCaller).
func BenchmarkSpawnTrueCaller(b *testing.B) {
	loop(b, func() error { return SpawnOnce(context.Background(), ImplSpawnkitCaller, false) })
}

// BenchmarkSpawnTrueOSExecSetsid is BenchmarkSpawnTrue/stdio=devnull/impl=osexec
// with SysProcAttr.Setsid, the anchor of BenchmarkSpawnTrueDetached (see
// ImplOSExecSetsid).
func BenchmarkSpawnTrueOSExecSetsid(b *testing.B) {
	loop(b, func() error { return SpawnOnce(context.Background(), ImplOSExecSetsid, false) })
}

// BenchmarkSpawnTrueOffMain is BenchmarkSpawnTrue/stdio=devnull with the
// main thread held (OffMainThread): on Linux every spawnkit Spawn then
// hands the start to a spawner thread.
func BenchmarkSpawnTrueOffMain(b *testing.B) {
	ctx := context.Background()
	for _, impl := range impls {
		b.Run("impl="+impl, func(b *testing.B) {
			b.ReportAllocs()
			err := OffMainThread(func() error {
				for range b.N {
					if err := SpawnOnce(ctx, impl, false); err != nil {
						return err
					}
				}
				return nil
			})
			// ErrNoMainThread fails too: nothing in this binary holds
			// the main thread, so OffMainThread reaches it within a few
			// tries (TestOffMainThread and TestScenariosSmoke fail on it
			// as well).
			if err != nil {
				b.Fatal(err)
			}
		})
	}
}

func BenchmarkSpawnTrue16InFlight(b *testing.B) {
	ctx := context.Background()
	for _, impl := range []string{ImplSpawnkit, ImplSpawnkitCaller, ImplOSExec} {
		b.Run("impl="+impl, func(b *testing.B) {
			b.ReportAllocs()
			cpu := SelfCPU()
			if err := SpawnMany(ctx, impl, b.N, 16); err != nil {
				b.Fatal(err)
			}
			reportCPU(b, cpu)
		})
	}
}

func BenchmarkExecEcho(b *testing.B) {
	benchEcho(b, true)
}

func BenchmarkExecFileEcho(b *testing.B) {
	benchEcho(b, false)
}

func benchEcho(b *testing.B, shell bool) {
	ctx := context.Background()
	ims := impls
	if !shell {
		ims = []string{ImplSpawnkit, ImplSpawnkitCaller, ImplOSExec}
	}
	for _, impl := range ims {
		b.Run("impl="+impl, func(b *testing.B) {
			loop(b, func() error { return EchoHi(ctx, impl, shell) })
		})
	}
}

// loop runs fn b.N times (b.Loop), reporting allocations; an error fails b.
func loop(b *testing.B, fn func() error) {
	b.Helper()
	b.ReportAllocs()
	cpu := SelfCPU()
	for b.Loop() {
		if err := fn(); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu)
}

// reportCPU reports the CPU time this process (not its children) used
// per op since cpu was read, as parent-cpu-µs/op: what a library spends
// around each start and wait, without the child's own fork, exec and
// exit.
func reportCPU(b *testing.B, cpu time.Duration) {
	if cpu == 0 || b.N == 0 {
		return
	}
	b.ReportMetric(float64(SelfCPU()-cpu)/float64(time.Microsecond)/float64(b.N), "parent-cpu-µs/op")
}

// roundTrips runs rt(100) to warm up, then rt(b.N) timed, reporting
// allocations; an error fails b.
func roundTrips(b *testing.B, rt func(n int) error) {
	b.Helper()
	if err := rt(100); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	if err := rt(b.N); err != nil {
		b.Fatal(err)
	}
}

// keep returns the peer start returned, closed when b ends; an error fails b.
func keep(b *testing.B, start func() (*Peer, error)) *Peer {
	b.Helper()
	pe, err := start()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { pe.Close() })
	return pe
}

func startPeer(b *testing.B, role string, args ...string) *Peer {
	b.Helper()
	return keep(b, func() (*Peer, error) { return StartPeer(context.Background(), role, args...) })
}

func BenchmarkForkRoundTrip(b *testing.B) {
	roundTrips(b, startPeer(b, RoleEcho).RoundTrips)
}

// BenchmarkForkRoundTripRecv is BenchmarkForkRoundTrip with the replies
// read by Process.Recv (Options.IPCRecv) instead of from Events.
func BenchmarkForkRoundTripRecv(b *testing.B) {
	pe := keep(b, func() (*Peer, error) { return StartPeerRecv(context.Background(), RoleEcho) })
	roundTrips(b, pe.RoundTrips)
}

// BenchmarkChannelRoundTrip is BenchmarkForkRoundTrip without childproc:
// a bare ipc.Channel on both sides (the child started with os/exec), the
// parent receiving on its own goroutine rather than through Events. The
// difference between the two is what Process.Send/Events add.
func BenchmarkChannelRoundTrip(b *testing.B) {
	parent, child, err := ipc.Pair()
	if err != nil {
		b.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), rawEchoEnv+"=1", "NODE_CHANNEL_FD=3")
	cmd.ExtraFiles = []*os.File{child}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	child.Close()
	b.Cleanup(func() { parent.Close(); cmd.Wait() })
	roundTrips(b, func(n int) error {
		for i := 0; i < n; i++ {
			if err := parent.Send(Ping{Op: "ping", Seq: i, TS: "2026-11-26T00:00:00Z"}); err != nil {
				return err
			}
			m, err := parent.Recv()
			if err != nil {
				return err
			}
			var back Ping
			if err := m.Decode(&back); err != nil || back.Seq != i {
				return fmt.Errorf("echo of ping %d: seq %d, %v", i, back.Seq, err)
			}
		}
		return nil
	})
}

// BenchmarkSocketpairFloor is the floor of the round trip: the same Ping
// structs over a bare socketpair with blocking reads through bufio, the
// child echoing raw lines (see Floor).
func BenchmarkSocketpairFloor(b *testing.B) {
	fl, err := StartFloor(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { fl.Close() })
	roundTrips(b, fl.RoundTrips)
}

// BenchmarkSocketpairFloorRaw is BenchmarkSocketpairFloor without JSON
// or bufio: one encoded line and its echo over read(2)/write(2) on a
// locked thread (see Floor.RawRoundTrips).
func BenchmarkSocketpairFloorRaw(b *testing.B) {
	fl, err := StartFloor(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { fl.Close() })
	roundTrips(b, fl.RawRoundTrips)
}

// BenchmarkSocketpairFloorHop is BenchmarkSocketpairFloor with the replies
// read (in the netpoller, as Events' reader does) and decoded by a
// goroutine of their own and handed to the caller over a Go channel (see
// FloorHop): the floor plus one goroutine hop.
func BenchmarkSocketpairFloorHop(b *testing.B) {
	h, err := StartFloorHop(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { h.Close() })
	roundTrips(b, h.RoundTrips)
}

// BenchmarkSocketpairFloorHopBlock is BenchmarkSocketpairFloorHop with a
// reader that blocks in read(2).
func BenchmarkSocketpairFloorHopBlock(b *testing.B) {
	h, err := StartFloorHopBlock(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { h.Close() })
	roundTrips(b, h.RoundTrips)
}

func BenchmarkIPCSendSmall(b *testing.B) {
	pe := startPeer(b, RoleSink)
	b.ReportAllocs()
	b.ResetTimer()
	if err := pe.SendSmall(b.N); err != nil {
		b.Fatal(err)
	}
}

func BenchmarkIPC64KiB(b *testing.B) {
	const size = 64 << 10
	// raw: the child receives with Recv (a new message each); append: with
	// AppendRecv into one reused message; map: the parent encodes a map
	// per send and the child decodes each.
	for _, mode := range []string{"raw", "append", "map"} {
		b.Run("msg="+mode, func(b *testing.B) {
			var msg any = Payload(size)
			var args []string
			switch mode {
			case "map":
				msg, args = PayloadMap(size), []string{"map"}
			case "append":
				args = []string{"append"}
			}
			pe := startPeer(b, RoleSink, args...)
			b.SetBytes(size)
			b.ReportAllocs()
			b.ResetTimer()
			if _, err := pe.SendPayload(b.N, msg); err != nil {
				b.Fatal(err)
			}
		})
	}
}

// benchSize is the bytes per op of the streaming benchmarks.
const benchSize = 64 << 20

func BenchmarkPipeline64MiB(b *testing.B) {
	ctx := context.Background()
	variants := map[string]func(context.Context, int64) error{
		"childproc": PipelineChildproc, ImplOSExec: PipelineOSExec, ImplSh: PipelineSh,
	}
	for name, fn := range extraPipelineBench {
		variants[name] = fn
	}
	for _, name := range []string{ImplSpawnkit, "parse", "childproc", ImplOSExec, ImplSh} {
		fn := variants[name]
		if fn == nil {
			continue
		}
		b.Run("impl="+name, func(b *testing.B) {
			b.SetBytes(benchSize)
			loop(b, func() error { return fn(ctx, benchSize) })
		})
	}
}

func BenchmarkStreamCat64MiB(b *testing.B) {
	ctx := context.Background()
	for _, impl := range []string{ImplSpawnkit, "spawnkit-rw", ImplOSExec} {
		b.Run("impl="+impl, func(b *testing.B) {
			b.SetBytes(benchSize)
			loop(b, func() error { return StreamCat(ctx, impl, benchSize) })
		})
	}
}
