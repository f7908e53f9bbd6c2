package pipeline_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/spawnkit/spawnkit/internal/testkit"
	"github.com/spawnkit/spawnkit/pipeline"
)

func TestMain(m *testing.M) {
	testkit.Main(m)
}

func init() {
	// bulk pushes args[0] bytes through head | cat | wc -c and reports the
	// output, this process's peak RSS and the elapsed time, so the
	// measurement covers nothing but the pipeline.
	testkit.RegisterHelper("bulk", func(args []string) int {
		start := time.Now()
		out, err := pipeline.New(
			pipeline.Command("head", "-c", args[0], "/dev/zero"),
			pipeline.Command("cat"),
			pipeline.Command("wc", "-c"),
		).Output(context.Background())
		elapsed := time.Since(start)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		hwm := testkit.PeakRSS()
		if hwm <= 0 {
			fmt.Fprintln(os.Stderr, "no VmHWM in /proc/self/status")
			return 1
		}
		fmt.Printf("%s %d %d\n", strings.TrimSpace(string(out)), hwm, elapsed.Nanoseconds())
		return 0
	})
}
