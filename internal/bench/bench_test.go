package bench

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"testing"

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
				b.ReportAllocs()
				for b.Loop() {
					if err := SpawnOnce(ctx, impl, stdio == "pipes"); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkSpawnTrueDetached is BenchmarkSpawnTrue/stdio=devnull with
// Options.Detached: no parent-death signal, no spawner thread (see
// ImplSpawnkitDetached).
func BenchmarkSpawnTrueDetached(b *testing.B) {
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := SpawnOnce(ctx, ImplSpawnkitDetached, false); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSpawnTrueCaller is BenchmarkSpawnTrue/stdio=devnull with
// Options.StartOnCallerThread (see ImplSpawnkitCaller).
func BenchmarkSpawnTrueCaller(b *testing.B) {
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := SpawnOnce(ctx, ImplSpawnkitCaller, false); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSpawnTrueOSExecSetsid is BenchmarkSpawnTrue/stdio=devnull/impl=osexec
// with SysProcAttr.Setsid, the anchor of BenchmarkSpawnTrueDetached (see
// ImplOSExecSetsid).
func BenchmarkSpawnTrueOSExecSetsid(b *testing.B) {
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := SpawnOnce(ctx, ImplOSExecSetsid, false); err != nil {
			b.Fatal(err)
		}
	}
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
			if errors.Is(err, ErrNoMainThread) {
				b.Skip(err)
			}
			if err != nil {
				b.Fatal(err)
			}
		})
	}
}

func BenchmarkSpawnTrue16InFlight(b *testing.B) {
	ctx := context.Background()
	for _, impl := range impls {
		b.Run("impl="+impl, func(b *testing.B) {
			b.ReportAllocs()
			if err := SpawnMany(ctx, impl, b.N, 16); err != nil {
				b.Fatal(err)
			}
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
	for _, impl := range impls {
		b.Run("impl="+impl, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := EchoHi(ctx, impl, shell); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func startPeer(b *testing.B, role string, args ...string) *Peer {
	b.Helper()
	pe, err := StartPeer(context.Background(), role, args...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { pe.Close() })
	return pe
}

func BenchmarkForkRoundTrip(b *testing.B) {
	pe := startPeer(b, RoleEcho)
	if err := pe.RoundTrips(100); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	if err := pe.RoundTrips(b.N); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkForkRoundTripRecv is BenchmarkForkRoundTrip with the replies
// read by Process.Recv (Options.IPCRecv) instead of from Events.
func BenchmarkForkRoundTripRecv(b *testing.B) {
	pe, err := StartPeerRecv(context.Background(), RoleEcho)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { pe.Close() })
	if err := pe.RoundTrips(100); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	if err := pe.RoundTrips(b.N); err != nil {
		b.Fatal(err)
	}
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
	rt := func(n int) {
		for i := 0; i < n; i++ {
			if err := parent.Send(Ping{Op: "ping", Seq: i, TS: "2026-11-26T00:00:00Z"}); err != nil {
				b.Fatal(err)
			}
			m, err := parent.Recv()
			if err != nil {
				b.Fatal(err)
			}
			var back Ping
			if err := m.Decode(&back); err != nil || back.Seq != i {
				b.Fatal(err, back.Seq, i)
			}
		}
	}
	rt(100)
	b.ReportAllocs()
	b.ResetTimer()
	rt(b.N)
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
	if err := fl.RoundTrips(100); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	if err := fl.RoundTrips(b.N); err != nil {
		b.Fatal(err)
	}
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
	for _, mode := range []string{"raw", "map"} {
		b.Run("msg="+mode, func(b *testing.B) {
			var msg any = Payload(size)
			var args []string
			if mode == "map" {
				msg, args = PayloadMap(size), []string{"map"}
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
			b.ReportAllocs()
			for b.Loop() {
				if err := fn(ctx, benchSize); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkStreamCat64MiB(b *testing.B) {
	ctx := context.Background()
	for _, impl := range []string{ImplSpawnkit, "spawnkit-rw", ImplOSExec} {
		b.Run("impl="+impl, func(b *testing.B) {
			b.SetBytes(benchSize)
			b.ReportAllocs()
			for b.Loop() {
				if err := StreamCat(ctx, impl, benchSize); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
