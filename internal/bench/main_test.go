package bench

import (
	"os"
	"testing"

	"github.com/spawnkit/spawnkit/childproc"
)

// TestMain lets the IPC benchmarks fork the test binary.
func TestMain(m *testing.M) {
	if childproc.Init() {
		return
	}
	if InitPeer() {
		return
	}
	os.Exit(m.Run())
}
