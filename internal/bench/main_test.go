package bench

import (
	"os"
	"testing"

	"github.com/spawnkit/spawnkit/childproc"
	"github.com/spawnkit/spawnkit/ipc"
)

// TestMain lets the IPC benchmarks fork the test binary.
func TestMain(m *testing.M) {
	if childproc.Init() {
		return
	}
	if os.Getenv(rawEchoEnv) == "1" {
		rawEcho()
		return
	}
	os.Exit(m.Run())
}

// rawEchoEnv makes the test binary a bare ipc.Channel echo peer, started
// with os/exec by BenchmarkChannelRoundTrip: no childproc on either side.
const rawEchoEnv = "SPAWNKIT_BENCH_RAW_ECHO"

func rawEcho() {
	ch, err := ipc.FromParent()
	if err != nil {
		os.Exit(2)
	}
	for {
		m, err := ch.Recv()
		if err != nil {
			os.Exit(0)
		}
		if err := ch.Send(m); err != nil {
			os.Exit(1)
		}
	}
}
