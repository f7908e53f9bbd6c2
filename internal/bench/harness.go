package bench

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	"github.com/spawnkit/spawnkit/internal/iox"
)

//go:embed node/*.js
var nodeScripts embed.FS

// WriteNodeScripts copies the Node scripts into dir.
func WriteNodeScripts(dir string) error {
	ents, err := nodeScripts.ReadDir("node")
	if err != nil {
		return err
	}
	for _, e := range ents {
		b, err := nodeScripts.ReadFile("node/" + e.Name())
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// NodePath returns the node binary to run, or "" when there is none.
func NodePath() string {
	if p, err := exec.LookPath("node"); err == nil {
		return p
	}
	return ""
}

// ErrNoNode is returned for Node variants when node is not installed.
var ErrNoNode = errors.New("bench: node is not installed (not in PATH)")

// Runner measures variants. Go variants run in a child process (Self with
// "-child SCENARIO/VARIANT -preset P") so that each has a fresh runtime
// and its own peak RSS, unless Self is empty, when they run in this process.
type Runner struct {
	Self    string // executable that understands -child; "" = in process
	NodeDir string // where WriteNodeScripts put the scripts
	Node    string // node binary
	Preset  Preset
	Stderr  io.Writer
}

// Run measures one variant of s once (an Op variant alone).
func (r *Runner) Run(ctx context.Context, s *Scenario, v *Variant) (Raw, error) {
	sz := s.Sizes[r.Preset]
	switch {
	case v.Op != nil:
		m, err := r.RunPaired(ctx, s, []*Variant{v})
		return m[v.Name], err
	case v.Node != nil:
		if r.Node == "" {
			return Raw{}, ErrNoNode
		}
		args := v.Node(sz)
		args[0] = filepath.Join(r.NodeDir, args[0])
		return r.runJSON(ctx, r.Node, args)
	case r.Self != "":
		return r.runJSON(ctx, r.Self, []string{"-child", s.Name + "/" + v.Name, "-preset", string(r.Preset)})
	default:
		return v.Go(ctx, sz)
	}
}

// RunPaired measures the Op variants vs of s together, in one process
// (see RunOps).
func (r *Runner) RunPaired(ctx context.Context, s *Scenario, vs []*Variant) (map[string]Raw, error) {
	if r.Self == "" {
		return RunScenarioOps(ctx, s, s.Sizes[r.Preset], vs)
	}
	var names []string
	for _, v := range vs {
		names = append(names, v.Name)
	}
	args := []string{"-child", s.Name + "/" + strings.Join(names, "+"), "-preset", string(r.Preset)}
	out, err := r.output(ctx, r.Self, args)
	if err != nil {
		return nil, err
	}
	var m map[string]Raw
	if err := json.Unmarshal(out, &m); err != nil {
		return nil, fmt.Errorf("%s %s: output %q: %w", filepath.Base(r.Self), strings.Join(args, " "), out, err)
	}
	for _, v := range vs {
		if m[v.Name].Ops <= 0 {
			return nil, fmt.Errorf("%s %s: no measurement of %s in %q", filepath.Base(r.Self), strings.Join(args, " "), v.Name, out)
		}
	}
	return m, nil
}

// output runs name with args and returns the last line of its stdout; the
// error carries the last line of its stderr.
func (r *Runner) output(ctx context.Context, name string, args []string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if r.Stderr != nil {
		cmd.Stderr = io.MultiWriter(&stderr, r.Stderr)
	}
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w: %s", filepath.Base(name), strings.Join(args, " "), err, iox.LastLine(stderr.Bytes(), 4<<10))
	}
	return []byte(iox.LastLine(out, len(out))), nil
}

func (r *Runner) runJSON(ctx context.Context, name string, args []string) (Raw, error) {
	out, err := r.output(ctx, name, args)
	if err != nil {
		return Raw{}, err
	}
	var raw Raw
	if err := json.Unmarshal(out, &raw); err != nil {
		return Raw{}, fmt.Errorf("%s %s: output %q: %w", filepath.Base(name), strings.Join(args, " "), out, err)
	}
	if raw.Seconds <= 0 || raw.Ops <= 0 {
		return Raw{}, fmt.Errorf("%s %s: no measurement in %q", filepath.Base(name), strings.Join(args, " "), out)
	}
	return raw, nil
}

// RunChild is the -child side: it runs the named Go variant in this
// process and prints its Raw as one line of JSON to w. For Op variants
// name is SCENARIO/V1+V2+…, which are measured together (RunOps), and the
// line is an object of Raws by variant name.
func RunChild(ctx context.Context, w io.Writer, name string, preset Preset) error {
	sn, vn, _ := strings.Cut(name, "/")
	for _, s := range Scenarios() {
		if s.Name != sn {
			continue
		}
		if names := strings.Split(vn, "+"); s.Variant(names[0]) != nil && s.Variant(names[0]).Op != nil {
			var vs []*Variant
			for _, n := range names {
				v := s.Variant(n)
				if v == nil || v.Op == nil {
					return fmt.Errorf("bench: no paired variant %s/%s", sn, n)
				}
				vs = append(vs, v)
			}
			m, err := RunScenarioOps(ctx, s, s.Sizes[preset], vs)
			if err != nil {
				return err
			}
			return json.NewEncoder(w).Encode(m)
		}
		v := s.Variant(vn)
		if v == nil || v.Go == nil {
			break
		}
		raw, err := v.Go(ctx, s.Sizes[preset])
		if err != nil {
			return err
		}
		return json.NewEncoder(w).Encode(raw)
	}
	return fmt.Errorf("bench: no Go variant %q", name)
}

// Sample is every measurement of one variant of one scenario.
type Sample struct {
	Scenario, Variant string
	Raws              []Raw  // one per round
	Err               string // the last error, if any round failed
}

// Results are the samples of a whole comparison run.
type Results struct {
	Command  string
	Date     time.Time
	Machine  string
	Preset   Preset
	Rounds   int
	Samples  map[string]*Sample // key "scenario/variant"
	Failures []string
	Elapsed  time.Duration
	LoadEnd  string // /proc/loadavg when the run ended
}

// Compare runs rounds rounds of the scenarios; in each round every
// scenario's variants run one after the other, the order rotated by one each
// round, so that A and B are measured interleaved under the same machine
// load. progress, if not nil, gets one line per measurement.
func (r *Runner) Compare(ctx context.Context, scenarios []*Scenario, rounds int, progress io.Writer) *Results {
	res := &Results{Date: time.Now().UTC(), Machine: Machine(), Preset: r.Preset, Rounds: rounds, Samples: map[string]*Sample{}}
	sample := func(key, scen, variant string) *Sample {
		smp := res.Samples[key]
		if smp == nil {
			smp = &Sample{Scenario: scen, Variant: variant}
			res.Samples[key] = smp
		}
		return smp
	}
	for round := 0; round < rounds; round++ {
		for _, s := range scenarios {
			// The units of a round: every Op variant together (one
			// process), then every other variant on its own.
			var units [][]*Variant
			var paired []*Variant
			for i := range s.Variants {
				if s.Variants[i].Op != nil {
					paired = append(paired, &s.Variants[i])
				}
			}
			if len(paired) > 0 {
				units = append(units, paired)
			}
			for i := range s.Variants {
				if s.Variants[i].Op == nil {
					units = append(units, []*Variant{&s.Variants[i]})
				}
			}
			for i := range units {
				u := units[(i+round)%len(units)]
				t0 := time.Now()
				var raws map[string]Raw
				var err error
				if u[0].Op != nil {
					// rotate the starting variant inside the process too
					rot := append(append([]*Variant(nil), u[round%len(u):]...), u[:round%len(u)]...)
					raws, err = r.RunPaired(ctx, s, rot)
				} else {
					var raw Raw
					raw, err = r.Run(ctx, s, u[0])
					raws = map[string]Raw{u[0].Name: raw}
				}
				for _, v := range u {
					key := s.Name + "/" + v.Name
					smp := sample(key, s.Name, v.Name)
					if err != nil {
						smp.Err = err.Error()
						continue
					}
					smp.Raws = append(smp.Raws, raws[v.Name])
					if progress != nil {
						fmt.Fprintf(progress, "round %d/%d %-30s %s (%.1fs)\n", round+1, rounds, key, brief(s, raws[v.Name]), time.Since(t0).Seconds())
					}
				}
				if err != nil {
					var names []string
					for _, v := range u {
						names = append(names, v.Name)
					}
					res.Failures = append(res.Failures, fmt.Sprintf("round %d %s/%s: %v", round+1, s.Name, strings.Join(names, "+"), err))
					if progress != nil {
						fmt.Fprintf(progress, "round %d/%d %s/%s FAILED: %v\n", round+1, rounds, s.Name, strings.Join(names, "+"), err)
					}
				}
			}
		}
	}
	res.Elapsed = time.Since(res.Date)
	res.LoadEnd = loadavg()
	return res
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func brief(s *Scenario, raw Raw) string {
	var parts []string
	for _, m := range s.Metrics {
		parts = append(parts, fmt.Sprintf("%s %s", num(m.From(raw)), m.Unit))
	}
	return strings.Join(parts, ", ")
}

// Machine describes this machine: cores, CPU model, kernel, Go and Node.
func Machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	kernel := "?"
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		kernel = strings.TrimSpace(string(b))
	}
	nodeV := "absent"
	if n := NodePath(); n != "" {
		if out, err := exec.Command(n, "--version").Output(); err == nil {
			nodeV = strings.TrimSpace(string(out))
		}
	}
	return fmt.Sprintf("%d cores (%s), %s/%s, Linux %s, %s, node %s; load average at start %s; source: %s",
		runtime.NumCPU(), model, runtime.GOOS, runtime.GOARCH, kernel, runtime.Version(), nodeV, loadavg(), sourceState())
}

// sourceState names the code this binary was built from, for the "source:"
// part of the Machine header. It prefers the version control information Go
// stamped into the binary (go build with -buildvcs): "commit <revision>
// (stamped in the binary), clean" or ", modified" when the tree had
// uncommitted changes at build time. Without a stamp (go run, go test, or
// -buildvcs=false) it asks git about the module root this package was
// compiled from (found through runtime.Caller, so not the current
// directory): "commit <short> (from working tree <root>)" and either
// "library clean" or "modified: <library files>"; that tree may have moved
// on since the build. Without either it says "unknown".
func sourceState() string {
	var settings []debug.BuildSetting
	if bi, ok := debug.ReadBuildInfo(); ok {
		settings = bi.Settings
	}
	root := ""
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		root = filepath.Dir(filepath.Dir(filepath.Dir(file))) // internal/bench/harness.go
	}
	return describeSource(settings, root)
}

// describeSource is sourceState given the binary's build settings and the
// module root to ask git about ("" for none).
func describeSource(settings []debug.BuildSetting, root string) string {
	var rev, modified string
	for _, s := range settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if rev != "" {
		state := "clean"
		if modified == "true" {
			state = "modified"
		}
		return "commit " + rev + " (stamped in the binary), " + state
	}
	if root == "" {
		return "unknown (no version control stamp, no source path)"
	}
	head, err := exec.Command("git", "-C", root, "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "unknown (no version control stamp; no git at " + root + ")"
	}
	s := "commit " + strings.TrimSpace(string(head)) + " (from working tree " + root + ")"
	out, err := exec.Command("git", "-C", root, "status", "--porcelain", "--untracked-files=no", "--", "childproc", "ipc", "pipeline", "cluster", "shell", "pool").Output()
	if err != nil {
		return s + ", state unknown"
	}
	var dirty []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && !strings.HasSuffix(f[len(f)-1], "_test.go") {
			dirty = append(dirty, f[len(f)-1])
		}
	}
	if len(dirty) == 0 {
		return s + ", library clean"
	}
	return s + ", modified: " + strings.Join(dirty, " ")
}

// stats of one metric over rounds.
type stats struct{ med, lo, hi float64 }

func statsOf(xs []float64) (stats, bool) {
	if len(xs) == 0 {
		return stats{}, false
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return stats{med: m, lo: s[0], hi: s[len(s)-1]}, true
}

func (res *Results) values(s *Scenario, variant string, m *Metric) []float64 {
	smp := res.Samples[s.Name+"/"+variant]
	if smp == nil {
		return nil
	}
	var xs []float64
	for _, r := range smp.Raws {
		xs = append(xs, m.From(r))
	}
	return xs
}

// Median returns the median of metric of variant in s.
func (res *Results) Median(s *Scenario, variant, metric string) (float64, bool) {
	m := s.Metric(metric)
	if m == nil {
		return 0, false
	}
	st, ok := statsOf(res.values(s, variant, m))
	return st.med, ok
}

// pairedRatios returns, per round in which both ran, a/b.
func (res *Results) pairedRatios(s *Scenario, a, b string, m *Metric) []float64 {
	sa, sb := res.Samples[s.Name+"/"+a], res.Samples[s.Name+"/"+b]
	if sa == nil || sb == nil {
		return nil
	}
	var out []float64
	for i := 0; i < len(sa.Raws) && i < len(sb.Raws); i++ {
		if d := m.From(sb.Raws[i]); d != 0 {
			out = append(out, m.From(sa.Raws[i])/d)
		}
	}
	return out
}

func num(x float64) string {
	switch ax := abs(x); {
	case ax >= 10000:
		return fmt.Sprintf("%.0f", x)
	case ax >= 100:
		return fmt.Sprintf("%.0f", x)
	case ax >= 10:
		return fmt.Sprintf("%.1f", x)
	default:
		return fmt.Sprintf("%.2f", x)
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// Markdown renders the results: one table row per scenario, variant and
// metric with median [min–max] and the ratio of medians to each anchor
// (with the range of the per-round ratios), then the targets.
func (res *Results) Markdown(scenarios []*Scenario) string {
	var b strings.Builder
	fmt.Fprintf(&b, "- machine: %s\n", res.Machine)
	fmt.Fprintf(&b, "- date: %s\n", res.Date.Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&b, "- command: `%s` (took %s; load average at end %s)\n", res.Command, res.Elapsed.Round(time.Second), res.LoadEnd)
	fmt.Fprintf(&b, "- preset %s, %d rounds; every figure is the median over rounds [min–max]; a ratio is median(variant)/median(anchor) in the row's unit, with the range of the per-round ratios. In each round a scenario's variants run back to back, order rotated; the Go variants of spawn-*, exec-*, execfile-* and pipeline run in one process taking turns call by call (see bench.RunOps), so their ratios are paired closely in time\n\n", res.Preset, res.Rounds)
	b.WriteString("| scenario | variant | metric | median [min–max] | ratios |\n|---|---|---|---|---|\n")
	for _, s := range scenarios {
		for _, m := range s.Metrics {
			m := m
			for _, v := range s.Variants {
				xs := res.values(s, v.Name, &m)
				st, ok := statsOf(xs)
				cell := "—"
				if ok {
					cell = fmt.Sprintf("**%s** [%s–%s]", num(st.med), num(st.lo), num(st.hi))
				} else if smp := res.Samples[s.Name+"/"+v.Name]; smp != nil && smp.Err != "" {
					cell = "failed: " + truncate(smp.Err, 80)
				}
				var rs []string
				for _, a := range s.Anchors {
					if a == v.Name {
						continue
					}
					ast, aok := statsOf(res.values(s, a, &m))
					if !ok || !aok || ast.med == 0 {
						continue
					}
					pr, _ := statsOf(res.pairedRatios(s, v.Name, a, &m))
					rs = append(rs, fmt.Sprintf("%.2f× %s [%.2f–%.2f]", st.med/ast.med, a, pr.lo, pr.hi))
				}
				dir := "lower is better"
				if m.Higher {
					dir = "higher is better"
				}
				fmt.Fprintf(&b, "| %s | %s | %s (%s) | %s | %s |\n", s.Name, v.Name, m.Unit, dir, cell, strings.Join(rs, ", "))
			}
		}
	}
	b.WriteString("\n| target | scenario | figure | status |\n|---|---|---|---|\n")
	for _, s := range scenarios {
		for _, t := range s.Targets {
			fmt.Fprintf(&b, "| %s | %s (%s) | %s |\n", t.Text, s.Name, t.Variant, res.checkTarget(s, t))
		}
	}
	var notes []string
	for _, s := range scenarios {
		if s.Note != "" {
			notes = append(notes, fmt.Sprintf("- %s — %s: %s", s.Name, s.Title, s.Note))
		} else {
			notes = append(notes, fmt.Sprintf("- %s — %s", s.Name, s.Title))
		}
	}
	b.WriteString("\nScenarios:\n\n" + strings.Join(notes, "\n") + "\n")
	if len(res.Failures) > 0 {
		b.WriteString("\nFailures:\n\n")
		for _, f := range res.Failures {
			fmt.Fprintf(&b, "- %s\n", truncate(f, 300))
		}
	}
	return b.String()
}

func (res *Results) checkTarget(s *Scenario, t Target) string {
	m := s.Metric(t.Metric)
	v, ok := res.Median(s, t.Variant, t.Metric)
	if m == nil || !ok {
		return "— | not measured"
	}
	got, want, unit := v, t.Value, m.Unit
	if t.Anchor != "" {
		a, aok := res.Median(s, t.Anchor, t.Metric)
		if !aok || a == 0 {
			return "— | not measured (no " + t.Anchor + ")"
		}
		got, unit = v/a, "× "+t.Anchor
	}
	met := false
	switch t.Op {
	case "<=":
		met = got <= want
	case ">=":
		met = got >= want
	case "<":
		met = got < want
	}
	status := "**missed**"
	if met {
		status = "met"
	}
	return fmt.Sprintf("%.3g %s (want %s %.3g) | %s", got, unit, t.Op, want, status)
}

func truncate(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", " ")
	s = strings.ReplaceAll(s, "|", "/")
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
