package pipeline_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/spawnkit/spawnkit/pipeline"
)

// helperEnv makes the test binary run one helper mode instead of the tests;
// see helperMain.
const helperEnv = "PIPELINE_TEST_HELPER"

func TestMain(m *testing.M) {
	if mode, ok := os.LookupEnv(helperEnv); ok {
		os.Exit(helperMain(mode, os.Args[1:]))
	}
	goleak.VerifyTestMain(m)
}

// helperMain runs one helper mode of the test binary and returns its exit
// status.
func helperMain(mode string, args []string) int {
	switch mode {
	case "bulk":
		// Push args[0] bytes through head | cat | wc -c and report the
		// output, this process's peak RSS and the elapsed time, so the
		// measurement covers nothing but the pipeline.
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
		hwm, err := vmHWM()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Printf("%s %d %d\n", strings.TrimSpace(string(out)), hwm, elapsed.Nanoseconds())
		return 0
	}
	fmt.Fprintf(os.Stderr, "unknown helper mode %q\n", mode)
	return 2
}

// vmHWM returns this process's peak resident set size in bytes.
func vmHWM() (int64, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/self/status")
}
