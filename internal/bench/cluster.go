package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"time"
)

// The cluster scenarios run the cluster engineer's own benchmark,
// cluster/cmd/clusterbench (a CPU-bound HTTP handler served by one process
// or by a cluster of workers, loaded by package internal/load), and parse
// its lines. ClusterbenchEnv names the binary; without it, it is built
// once per process with `go build`.
const ClusterbenchEnv = "SPAWNKIT_BENCH_CLUSTERBENCH"

var clusterbench struct {
	once sync.Once
	path string
	err  error
}

// BuildClusterbench builds cluster/cmd/clusterbench into dir and returns
// its path.
func BuildClusterbench(ctx context.Context, dir string) (string, error) {
	goCmd, err := exec.LookPath("go") // go test puts its own go first in PATH
	if err != nil {
		return "", fmt.Errorf("bench: build clusterbench: %w", err)
	}
	out := filepath.Join(dir, "clusterbench")
	cmd := exec.CommandContext(ctx, goCmd, "build", "-o", out, "github.com/spawnkit/spawnkit/cluster/cmd/clusterbench")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("bench: go build clusterbench: %w: %s", err, b)
	}
	return out, nil
}

func clusterbenchPath(ctx context.Context) (string, error) {
	if p := os.Getenv(ClusterbenchEnv); p != "" {
		return p, nil
	}
	clusterbench.once.Do(func() {
		dir, err := os.MkdirTemp("", "spawnkit-clusterbench-")
		if err != nil {
			clusterbench.err = err
			return
		}
		clusterbench.path, clusterbench.err = BuildClusterbench(ctx, dir)
	})
	return clusterbench.path, clusterbench.err
}

// "1 process:   221 requests, 221 ok, 0 failed in 1.035s (214 req/s)"
var clusterLine = regexp.MustCompile(`(?m)^(1 process|(\d+) worker\(s\)( reloading)?):\s+(\d+) requests, (\d+) ok, (\d+) failed in (\S+) `)
var restartsLine = regexp.MustCompile(`\((\d+) rolling restarts`)

// clusterVariant runs clusterbench with workers (0 = one plain process)
// for the scenario's duration (Size.N milliseconds) and returns the line
// for that case; with reload, the line measured while reloading.
func clusterVariant(workers, gomaxprocs int, reload bool) func(context.Context, Size) (Raw, error) {
	return func(ctx context.Context, sz Size) (Raw, error) {
		bin, err := clusterbenchPath(ctx)
		if err != nil {
			return Raw{}, err
		}
		args := []string{"-workers", strconv.Itoa(workers), "-duration", (time.Duration(sz.N) * time.Millisecond).String(), "-gomaxprocs", strconv.Itoa(gomaxprocs)}
		if reload {
			args = append(args, "-reload")
		}
		out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
		if err != nil {
			return Raw{}, fmt.Errorf("clusterbench %v: %w: %s", args, err, out)
		}
		for _, m := range clusterLine.FindAllSubmatch(out, -1) {
			if (m[3] != nil) != reload {
				continue
			}
			ok, _ := strconv.Atoi(string(m[5]))
			failed, _ := strconv.Atoi(string(m[6]))
			el, err := time.ParseDuration(string(m[7]))
			if err != nil {
				return Raw{}, fmt.Errorf("clusterbench: %q: %w", m[0], err)
			}
			r := Raw{Seconds: el.Seconds(), Ops: ok, Failed: failed}
			if rm := restartsLine.FindSubmatch(out); reload && rm != nil {
				r.Restarts, _ = strconv.Atoi(string(rm[1]))
			}
			return r, nil
		}
		return Raw{}, fmt.Errorf("clusterbench %v: no result line in %q", args, out)
	}
}

var (
	reqPerS    = Metric{Key: "req/s", Unit: "req/s", Higher: true, From: func(r Raw) float64 { return float64(r.Ops) / r.Seconds }}
	failedReqs = Metric{Key: "failed", Unit: "failed requests", Zero: true, From: func(r Raw) float64 { return float64(r.Failed) }}
	restarts   = Metric{Key: "restarts", Unit: "rolling restarts done", Higher: true, Zero: true, From: func(r Raw) float64 { return float64(r.Restarts) }}
)

func init() {
	sizes := map[Preset]Size{Full: {N: 5000}, Short: {N: 2000}, Smoke: {N: 300}}
	extraScenarios = append(extraScenarios,
		&Scenario{
			Name: "cluster-rps", Title: "cluster: CPU-bound HTTP requests/s, 1 process vs workers (clusterbench)",
			Metrics: []Metric{reqPerS}, Anchors: []string{"1-process"},
			Variants: []Variant{
				{Name: "1-process", Go: clusterVariant(0, 0, false)},
				{Name: "2-workers", Go: clusterVariant(2, 0, false)},
				{Name: "1-process-gomaxprocs1", Go: clusterVariant(0, 1, false)},
				{Name: "2-workers-gomaxprocs1", Go: clusterVariant(2, 1, false)},
			},
			Sizes: sizes,
			Note:  "clusterbench defaults: handler spins 10^7 iterations per request, 8 concurrent clients (package internal/load, one connection per request), Size.N ms per measurement; 1-process serves in the load generator's own process (as clusterbench does); gomaxprocs1 = each serving process limited to one thread, as Node is.",
		},
		&Scenario{
			Name: "cluster-reload", Title: "cluster: 2 workers under load, Primary.Reload back to back (clusterbench -reload)",
			Metrics:  []Metric{failedReqs, reqPerS, restarts},
			Variants: []Variant{{Name: "2-workers", Go: clusterVariant(2, 0, true)}},
			Sizes:    sizes,
			Targets:  []Target{{Variant: "2-workers", Metric: "failed", Op: "<=", Value: 0, Text: "no failed request during rolling restarts"}},
		},
	)
}
