package bench

import (
	"context"
	"errors"
	"math"
	"os"
	"strings"
	"testing"
	"time"
)

// TestScenariosSmoke runs every variant of every scenario once at a tiny
// size, in this process (Node variants as node scripts), and checks that
// each produces a number; then it renders the table. It is what `go test`
// runs of the harness: the real comparison is `go run ./bench/cmd/compare`.
func TestScenariosSmoke(t *testing.T) {
	dir := t.TempDir()
	if err := WriteNodeScripts(dir); err != nil {
		t.Fatal(err)
	}
	r := &Runner{NodeDir: dir, Node: NodePath(), Preset: Smoke}
	// A bound for a hang only, below go test's default 10 minutes so that
	// the variant that hangs is named: the whole smoke took over 2 minutes
	// under -race at load 25 (the clusterbench runs were killed mid-way).
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	if os.Getenv(ClusterbenchEnv) == "" {
		// Build it here, into the test's own temporary directory.
		bin, err := BuildClusterbench(ctx, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Setenv(ClusterbenchEnv, bin)
	}
	scenarios := Scenarios()
	res := &Results{Command: "go test", Date: time.Now(), Machine: Machine(), Preset: Smoke, Rounds: 1, Samples: map[string]*Sample{}}
	for _, s := range scenarios {
		if _, ok := s.Sizes[Smoke]; !ok {
			t.Errorf("%s has no smoke size", s.Name)
		}
		for i := range s.Variants {
			v := &s.Variants[i]
			t.Run(s.Name+"/"+v.Name, func(t *testing.T) {
				raw, err := r.Run(ctx, s, v)
				if errors.Is(err, ErrNoNode) {
					t.Skip("node is not installed: the Node.js variants cannot run")
				}
				if err != nil {
					t.Fatal(err)
				}
				for _, m := range s.Metrics {
					x := m.From(raw)
					if math.IsNaN(x) || math.IsInf(x, 0) || x < 0 || x == 0 && !m.Zero {
						t.Errorf("%s = %v from %+v", m.Key, x, raw)
					}
				}
				res.Samples[s.Name+"/"+v.Name] = &Sample{Scenario: s.Name, Variant: v.Name, Raws: []Raw{raw}}
			})
		}
	}
	md := res.Markdown(scenarios)
	for _, s := range scenarios {
		if !strings.Contains(md, "| "+s.Name+" |") {
			t.Errorf("table has no row for %s:\n%s", s.Name, md)
		}
	}
	t.Log("\n" + md)
}

func TestPercentile(t *testing.T) {
	var ds []time.Duration
	for i := 1; i <= 100; i++ {
		ds = append(ds, time.Duration(i))
	}
	if p := Percentile(ds, 50); p != 50 {
		t.Errorf("p50 = %v", p)
	}
	if p := Percentile(ds, 99); p != 99 {
		t.Errorf("p99 = %v", p)
	}
	if p := Percentile(ds[:1], 99); p != 1 {
		t.Errorf("p99 of one = %v", p)
	}
}
