package bench

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"sort"
	"strconv"
	"time"

	"github.com/spawnkit/spawnkit/internal/testkit"
	"github.com/spawnkit/spawnkit/ipc"
)

// Raw is what one measurement of one variant reports; Go variants and the
// Node scripts print it as the same one line of JSON.
type Raw struct {
	Seconds float64 `json:"seconds"`          // timed part only, after warm-up
	Ops     int     `json:"ops"`              // operations in the timed part
	Bytes   int64   `json:"bytes,omitempty"`  // payload bytes moved in the timed part
	P50us   float64 `json:"p50_us,omitempty"` // latency percentiles, µs
	P99us   float64 `json:"p99_us,omitempty"`
	RSS     int64   `json:"rss"` // peak RSS of the measuring process, bytes

	Failed   int `json:"failed,omitempty"`   // cluster: failed requests
	Restarts int `json:"restarts,omitempty"` // cluster: rolling restarts completed
}

// Preset selects the size of every scenario.
type Preset string

// The presets: Full for RESULTS.md, Short for a quick look, Smoke for the
// test that only checks each scenario produces a number.
const (
	Full  Preset = "full"
	Short Preset = "short"
	Smoke Preset = "smoke"
)

// Size is how much work one measurement does.
type Size struct {
	N     int   // operations (for Op variants: calls per turn)
	Turns int   // Op variants: turns each; Node gets N×Turns operations
	Bytes int64 // bytes (streaming) or bytes per message (IPC payload)
}

// total is the operation count of a whole measurement.
func (sz Size) total() int { return sz.N * max(1, sz.Turns) }

// Metric is one figure derived from Raw.
type Metric struct {
	Key    string
	Unit   string
	Higher bool // higher is better
	Zero   bool // 0 is a valid figure (counts of failures)
	From   func(Raw) float64
}

// Variant is one way of doing a scenario's work: a Go function run in
// this process (the harness runs it in a child process of its own), or a
// Node script with arguments.
//
// A Variant with Op instead of Go is paired: all the Op variants of a
// scenario run in one process, taking turns of Size.N calls each (the
// order rotated every turn) for Size.Turns turns, so that a load change on
// the machine hits them alike; per-call durations give the percentiles.
type Variant struct {
	Name string
	Go   func(ctx context.Context, sz Size) (Raw, error)
	Op   func(ctx context.Context, sz Size) (ops int, bytes int64, err error)
	Node func(sz Size) []string // script name in node/ and its arguments
}

// Target is a goal from the issues: Variant's Metric compared (Op "<=",
// ">=" or "<") with Value times Anchor's median, or with Value itself when
// Anchor is empty.
type Target struct {
	Variant, Metric, Anchor, Op string
	Value                       float64
	Text                        string
}

// Scenario is one row group of the comparison table.
type Scenario struct {
	Name     string
	Title    string
	Metrics  []Metric
	Anchors  []string // variant names ratios are given against
	Variants []Variant
	Sizes    map[Preset]Size
	Targets  []Target
	Note     string

	// OffMainThread runs the paired Op variants under OffMainThread, so
	// that no Spawn runs on the main thread.
	OffMainThread bool
}

// Variant returns the named variant, or nil.
func (s *Scenario) Variant(name string) *Variant {
	for i := range s.Variants {
		if s.Variants[i].Name == name {
			return &s.Variants[i]
		}
	}
	return nil
}

// Metric returns the named metric, or nil.
func (s *Scenario) Metric(key string) *Metric {
	for i := range s.Metrics {
		if s.Metrics[i].Key == key {
			return &s.Metrics[i]
		}
	}
	return nil
}

var (
	usPerOp = Metric{Key: "us/op", Unit: "µs/op", From: func(r Raw) float64 { return r.Seconds * 1e6 / float64(r.Ops) }}
	opsPerS = Metric{Key: "ops/s", Unit: "ops/s", Higher: true, From: func(r Raw) float64 { return float64(r.Ops) / r.Seconds }}
	mbPerS  = Metric{Key: "MB/s", Unit: "MB/s", Higher: true, From: func(r Raw) float64 { return float64(r.Bytes) / 1e6 / r.Seconds }}
	p50     = Metric{Key: "p50", Unit: "µs p50", From: func(r Raw) float64 { return r.P50us }}
	p99     = Metric{Key: "p99", Unit: "µs p99", From: func(r Raw) float64 { return r.P99us }}
	rssMiB  = Metric{Key: "rss", Unit: "MiB peak RSS", From: func(r Raw) float64 { return float64(r.RSS) / (1 << 20) }}
)

// timed runs warm (not timed) then fn, and reports fn's duration and the
// process's peak RSS.
func timed(ops int, bytes int64, warm, fn func() error) (Raw, error) {
	if warm != nil {
		if err := warm(); err != nil {
			return Raw{}, err
		}
	}
	t0 := time.Now()
	if err := fn(); err != nil {
		return Raw{}, err
	}
	return Raw{Seconds: time.Since(t0).Seconds(), Ops: ops, Bytes: bytes, RSS: testkit.PeakRSS()}, nil
}

type opFunc = func(ctx context.Context, sz Size) (int, int64, error)

func spawnOp(impl string, pipes bool, inflight int) opFunc {
	return func(ctx context.Context, sz Size) (int, int64, error) {
		if inflight > 1 {
			return inflight, 0, SpawnMany(ctx, impl, inflight, inflight)
		}
		return 1, 0, SpawnOnce(ctx, impl, pipes)
	}
}

func echoOp(impl string, shell bool) opFunc {
	return func(ctx context.Context, sz Size) (int, int64, error) {
		return 1, 0, EchoHi(ctx, impl, shell)
	}
}

func bytesOp(fn func(ctx context.Context, size int64) error) opFunc {
	return func(ctx context.Context, sz Size) (int, int64, error) {
		return 1, sz.Bytes, fn(ctx, sz.Bytes)
	}
}

// RunScenarioOps is RunOps for the Op variants vs of s, under
// OffMainThread when s asks for it.
func RunScenarioOps(ctx context.Context, s *Scenario, sz Size, vs []*Variant) (m map[string]Raw, err error) {
	if !s.OffMainThread {
		return RunOps(ctx, sz, vs)
	}
	err = OffMainThread(func() error {
		m, err = RunOps(ctx, sz, vs)
		return err
	})
	return m, err
}

// RunOps measures the Op variants vs together: one warm-up call each, then
// sz.Turns turns of sz.N calls of each variant, the order rotated by one
// every turn. Each variant's Raw sums its calls' durations and gives the
// percentiles of their durations; RSS is this process's (shared by all).
func RunOps(ctx context.Context, sz Size, vs []*Variant) (map[string]Raw, error) {
	durs := make([][]time.Duration, len(vs))
	raws := make([]Raw, len(vs))
	for _, v := range vs {
		if _, _, err := v.Op(ctx, sz); err != nil {
			return nil, fmt.Errorf("%s: %w", v.Name, err)
		}
	}
	for turn := 0; turn < max(1, sz.Turns); turn++ {
		for k := range vs {
			i := (k + turn) % len(vs)
			for c := 0; c < max(1, sz.N); c++ {
				t0 := time.Now()
				ops, bytes, err := vs[i].Op(ctx, sz)
				d := time.Since(t0)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", vs[i].Name, err)
				}
				durs[i] = append(durs[i], d)
				raws[i].Seconds += d.Seconds()
				raws[i].Ops += ops
				raws[i].Bytes += bytes
			}
		}
	}
	out := make(map[string]Raw, len(vs))
	rss := testkit.PeakRSS()
	for i, v := range vs {
		ds := durs[i]
		sort.Slice(ds, func(a, b int) bool { return ds[a] < ds[b] })
		raws[i].P50us = float64(Percentile(ds, 50)) / 1e3
		raws[i].P99us = float64(Percentile(ds, 99)) / 1e3
		raws[i].RSS = rss
		out[v.Name] = raws[i]
	}
	return out, nil
}

// withPeer forks a peer in role, runs fn on it, and closes it.
func withPeer(ctx context.Context, role string, args []string, fn func(*Peer) (Raw, error)) (Raw, error) {
	pe, err := StartPeer(ctx, role, args...)
	return closeAfter(pe, err, fn)
}

// closeAfter runs fn on c, which a start function returned with err, then
// closes c: the error of Close counts when fn had none. When err is not
// nil it returns err and touches nothing.
func closeAfter[C io.Closer](c C, err error, fn func(C) (Raw, error)) (Raw, error) {
	if err != nil {
		return Raw{}, err
	}
	r, err := fn(c)
	if cerr := c.Close(); err == nil && cerr != nil {
		err = cerr
	}
	return r, err
}

// timedWithWarmUp times ops(sz.N) (sz.N operations: round trips, sends),
// after an untimed ops(min(1000, sz.N)) as a warm-up.
func timedWithWarmUp(sz Size, ops func(n int) error) (Raw, error) {
	return timed(sz.N, 0, func() error { return ops(min(1000, sz.N)) }, func() error { return ops(sz.N) })
}

func forkRTT(ctx context.Context, sz Size) (Raw, error) {
	return withPeer(ctx, RoleEcho, nil, func(pe *Peer) (Raw, error) {
		return timedWithWarmUp(sz, pe.RoundTrips)
	})
}

// forkRTTRecv is forkRTT with the replies read by Process.Recv
// (Options.IPCRecv) instead of from Events.
func forkRTTRecv(ctx context.Context, sz Size) (Raw, error) {
	pe, err := StartPeerRecv(ctx, RoleEcho)
	return closeAfter(pe, err, func(pe *Peer) (Raw, error) { return timedWithWarmUp(sz, pe.RoundTrips) })
}

// forkRTTOneProc is forkRTT with GOMAXPROCS=1 in the parent and the child:
// no idle P to wake and no spinning M on each message, the way Node's one
// event-loop thread works. Diagnostic: it shows what the Go scheduler's
// wake-ups cost on a round trip.
func forkRTTOneProc(ctx context.Context, sz Size) (Raw, error) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	pe, err := StartPeerEnv(ctx, []string{"GOMAXPROCS=1"}, RoleEcho)
	if err != nil {
		return Raw{}, err
	}
	defer pe.Close()
	return timedWithWarmUp(sz, pe.RoundTrips)
}

func ipcSend(ctx context.Context, sz Size) (Raw, error) {
	return withPeer(ctx, RoleSink, nil, func(pe *Peer) (Raw, error) {
		return timedWithWarmUp(sz, pe.SendSmall)
	})
}

func ipcRecv(ctx context.Context, sz Size) (Raw, error) {
	return withPeer(ctx, RoleSource, []string{strconv.Itoa(sz.N)}, func(pe *Peer) (Raw, error) {
		recv := func() error {
			n, err := pe.ReceiveSmall()
			if err == nil && n != sz.N {
				err = fmt.Errorf("bench: received %d messages, want %d", n, sz.N)
			}
			return err
		}
		return timed(sz.N, 0, nil, recv)
	})
}

func ipcPayload(mode string) func(context.Context, Size) (Raw, error) {
	return func(ctx context.Context, sz Size) (Raw, error) {
		var msg any = Payload(int(sz.Bytes))
		var args []string
		switch mode {
		case "map":
			msg, args = PayloadMap(int(sz.Bytes)), []string{"map"}
		case "append":
			args = []string{"append"}
		}
		return withPeer(ctx, RoleSink, args, func(pe *Peer) (Raw, error) {
			var total int
			r, err := timed(sz.N, 0,
				func() error { _, err := pe.SendPayload(min(16, sz.N), msg); return err },
				func() (err error) { total, err = pe.SendPayload(sz.N, msg); return err })
			r.Bytes = int64(total)
			return r, err
		})
	}
}

// ipcPayloadNode is ipcPayload("raw") with Node's child (fork_child.js
// sink, which parses every message) instead of the Go sink: the Go parent
// beside Node's parent, the child the same.
func ipcPayloadNode(ctx context.Context, sz Size) (Raw, error) {
	return withNodePeer(ctx, "sink", sz, func(pe *Peer, n int, msg ipc.Message) (int, error) { return pe.SendPayload(n, msg) })
}

// ipcEchoNode sends the same message to Node's echo child (fork_child.js
// echo, which parses every message and sends it back with process.send)
// and reads every echo from Events while sending; the bytes count one way.
func ipcEchoNode(ctx context.Context, sz Size) (Raw, error) {
	return withNodePeer(ctx, "echo", sz, (*Peer).Echo)
}

func withNodePeer(ctx context.Context, mode string, sz Size, run func(pe *Peer, n int, msg ipc.Message) (int, error)) (Raw, error) {
	pe, err := StartNodePeer(ctx, mode)
	return closeAfter(pe, err, func(pe *Peer) (Raw, error) {
		msg := Payload(int(sz.Bytes))
		var total int
		r, err := timed(sz.N, 0,
			func() error { _, err := run(pe, min(16, sz.N), msg); return err },
			func() (err error) { total, err = run(pe, sz.N, msg); return err })
		r.Bytes = int64(total)
		return r, err
	})
}

func bytesVariant(fn func(ctx context.Context, size int64) error) func(context.Context, Size) (Raw, error) {
	return func(ctx context.Context, sz Size) (Raw, error) {
		return timed(1, sz.Bytes, nil, func() error { return fn(ctx, sz.Bytes) })
	}
}

func streamVariant(impl string) func(context.Context, Size) (Raw, error) {
	return bytesVariant(func(ctx context.Context, size int64) error { return StreamCat(ctx, impl, size) })
}

func nodeArgs(script string, args ...string) func(Size) []string {
	return func(sz Size) []string {
		out := []string{script}
		for _, a := range args {
			switch a {
			case "$N":
				a = strconv.Itoa(sz.total())
			case "$BYTES":
				a = strconv.FormatInt(sz.Bytes, 10)
			}
			out = append(out, a)
		}
		return out
	}
}

const (
	kib = 1 << 10
	mib = 1 << 20
	gib = 1 << 30
)

// extraScenarios is filled by files that depend on packages written
// elsewhere (pipeline, cluster) once they exist.
var extraVariants = map[string][]Variant{}

// Scenarios returns every scenario, in the order they are run and shown.
func Scenarios() []*Scenario {
	spawnTarget := func(m string) []Target {
		return []Target{{Variant: ImplSpawnkit, Metric: m, Anchor: ImplOSExec, Op: "<=", Value: 1.05, Text: "Spawn ≤1.05× os/exec"}}
	}
	ss := []*Scenario{
		{
			Name: "spawn-true", Title: "spawn+wait /bin/true, sequential, stdio /dev/null",
			Metrics: []Metric{usPerOp}, Anchors: []string{ImplOSExec, ImplOSExecSetsid, "node"},
			Variants: []Variant{
				{Name: ImplSpawnkit, Op: spawnOp(ImplSpawnkit, false, 1)},
				{Name: ImplSpawnkitDetached, Op: spawnOp(ImplSpawnkitDetached, false, 1)},
				{Name: ImplSpawnkitCaller, Op: spawnOp(ImplSpawnkitCaller, false, 1)},
				{Name: ImplOSExec, Op: spawnOp(ImplOSExec, false, 1)},
				{Name: ImplOSExecSetsid, Op: spawnOp(ImplOSExecSetsid, false, 1)},
				{Name: "node", Node: nodeArgs("spawn.js", "devnull", "$N", "1")},
			},
			Sizes:   map[Preset]Size{Full: {N: 20, Turns: 50}, Short: {N: 10, Turns: 20}, Smoke: {N: 1, Turns: 2}},
			Targets: spawnTarget("us/op"),
			Note:    "spawnkit starts the child on the calling thread when that is the main thread (in this benchmark's process nearly every call), and hands it to a spawner thread otherwise (spawn-true-offmain measures that). spawnkit-detached is Spawn with Options.Detached (a new session, no parent-death signal, never a hand-off); its like is osexec-setsid, os/exec with SysProcAttr.Setsid. spawnkit-caller is Spawn with Options.StartOnCallerThread: parent-death signal kept, hand-off skipped.",
		},
		{
			Name: "spawn-true-offmain", Title: "spawn+wait /bin/true, sequential, stdio /dev/null, never called on the main thread",
			Metrics: []Metric{usPerOp}, Anchors: []string{ImplOSExec},
			Variants: []Variant{
				{Name: ImplSpawnkit, Op: spawnOp(ImplSpawnkit, false, 1)},
				{Name: ImplSpawnkitCaller, Op: spawnOp(ImplSpawnkitCaller, false, 1)},
				{Name: ImplOSExec, Op: spawnOp(ImplOSExec, false, 1)},
			},
			Sizes:         map[Preset]Size{Full: {N: 20, Turns: 50}, Short: {N: 10, Turns: 20}, Smoke: {N: 1, Turns: 2}},
			OffMainThread: true,
			Note:          "spawn-true with the main thread held by a parked goroutine (bench.OffMainThread), so that the calls, made from an ordinary unlocked goroutine, never run on it: on Linux spawnkit then always hands the start to a spawner thread (the parent-death signal follows the starting thread, and only the main thread is sure never to end), as in a program whose os/signal goroutine sits on the main thread. spawnkit-caller (Options.StartOnCallerThread) never hands off.",
		},
		{
			Name: "spawn-true-pipes", Title: "spawn+wait /bin/true, sequential, stdin/stdout/stderr pipes",
			Metrics: []Metric{usPerOp}, Anchors: []string{ImplOSExec, "node"},
			Variants: []Variant{
				{Name: ImplSpawnkit, Op: spawnOp(ImplSpawnkit, true, 1)},
				{Name: ImplOSExec, Op: spawnOp(ImplOSExec, true, 1)},
				{Name: "node", Node: nodeArgs("spawn.js", "pipes", "$N", "1")},
			},
			Sizes:   map[Preset]Size{Full: {N: 20, Turns: 50}, Short: {N: 10, Turns: 20}, Smoke: {N: 1, Turns: 2}},
			Targets: spawnTarget("us/op"),
		},
		{
			Name: "spawn-true-16", Title: "spawn+wait /bin/true, 16 in flight, stdio /dev/null",
			Metrics: []Metric{opsPerS}, Anchors: []string{ImplOSExec, "node"},
			Variants: []Variant{
				{Name: ImplSpawnkit, Op: spawnOp(ImplSpawnkit, false, 16)},
				{Name: ImplSpawnkitCaller, Op: spawnOp(ImplSpawnkitCaller, false, 16)},
				{Name: ImplOSExec, Op: spawnOp(ImplOSExec, false, 16)},
				{Name: "node", Node: nodeArgs("spawn.js", "devnull", "$N", "16")},
			},
			Sizes:   map[Preset]Size{Full: {N: 4, Turns: 30}, Short: {N: 2, Turns: 12}, Smoke: {N: 1, Turns: 1}},
			Targets: []Target{{Variant: ImplSpawnkit, Metric: "ops/s", Anchor: ImplOSExec, Op: ">=", Value: 1 / 1.05, Text: "Spawn ≤1.05× os/exec (as throughput: ≥0.952×)"}},
			Note:    "Each op starts 16 goroutines that Spawn+Wait at once. spawnkit-caller is Spawn with Options.StartOnCallerThread (parent-death signal kept, spawner hand-off skipped).",
		},
		{
			Name: "exec-echo", Title: `Exec("echo hi") latency (sh -c)`,
			Metrics: []Metric{p50, p99}, Anchors: []string{ImplOSExec, "node"},
			Variants: []Variant{
				{Name: ImplSpawnkit, Op: echoOp(ImplSpawnkit, true)},
				{Name: ImplOSExec, Op: echoOp(ImplOSExec, true)},
				{Name: "node", Node: nodeArgs("exec.js", "exec", "$N")},
			},
			Sizes:   map[Preset]Size{Full: {N: 10, Turns: 50}, Short: {N: 5, Turns: 20}, Smoke: {N: 1, Turns: 3}},
			Targets: spawnTarget("p50"),
			Note:    "os/exec: exec.Command(\"/bin/sh\", \"-c\", \"echo hi\").Output(); node: child_process.exec",
		},
		{
			Name: "execfile-echo", Title: `ExecFile("/bin/echo", "hi") latency`,
			Metrics: []Metric{p50, p99}, Anchors: []string{ImplOSExec, "node"},
			Variants: []Variant{
				{Name: ImplSpawnkit, Op: echoOp(ImplSpawnkit, false)},
				{Name: ImplSpawnkitCaller, Op: echoOp(ImplSpawnkitCaller, false)},
				{Name: ImplOSExec, Op: echoOp(ImplOSExec, false)},
				{Name: "node", Node: nodeArgs("exec.js", "execFile", "$N")},
			},
			Sizes:   map[Preset]Size{Full: {N: 10, Turns: 50}, Short: {N: 5, Turns: 20}, Smoke: {N: 1, Turns: 3}},
			Targets: spawnTarget("p50"),
			Note:    "os/exec: exec.Command(\"/bin/echo\", \"hi\").Output(); node: child_process.execFile. spawnkit-caller is ExecFile with Options.StartOnCallerThread (parent-death signal kept, spawner hand-off skipped).",
		},
		{
			Name: "fork-rtt", Title: "Fork IPC round trip of a small object (Go↔Go vs Node↔Node)",
			Metrics: []Metric{opsPerS, usPerOp}, Anchors: []string{"floor", "floor-hop", "node"},
			Variants: []Variant{
				{Name: ImplSpawnkit, Go: forkRTT},
				{Name: "spawnkit-recv", Go: forkRTTRecv},
				{Name: "floor", Go: forkRTTFloor},
				{Name: "floor-raw", Go: forkRTTFloorRaw},
				{Name: "floor-hop", Go: forkRTTFloorHop},
				{Name: "floor-hop-block", Go: forkRTTFloorHopBlock},
				{Name: "spawnkit-gomaxprocs1", Go: forkRTTOneProc},
				{Name: "node", Node: nodeArgs("fork.js", "rtt", "$N")},
			},
			Sizes: map[Preset]Size{Full: {N: 20000}, Short: {N: 5000}, Smoke: {N: 10}},
			Targets: []Target{
				{Variant: ImplSpawnkit, Metric: "us/op", Anchor: "floor", Op: "<=", Value: 1.2, Text: "IPC round trip ≤1.2× the bare-socket floor"},
				{Variant: ImplSpawnkit, Metric: "ops/s", Anchor: "node", Op: ">=", Value: 4, Text: "IPC round trips ≥4× Node"},
			},
			Note: "Go parent encodes a struct per send and decodes each reply into a struct; the Go child echoes the raw message. Node parses and re-stringifies on both sides. spawnkit-gomaxprocs1 is the same with GOMAXPROCS=1 in parent and child (diagnostic, see RESULTS.md). spawnkit-recv reads the replies with Process.Recv (Options.IPCRecv) instead of Events. floor is the bare-socket floor: the same structs encoded and decoded with encoding/json over a socketpair read through bufio with blocking reads, the child (os/exec) echoing raw lines. floor-raw is that floor without JSON or bufio: one encoded line written and its echo read with read(2) on a locked thread, the least two Go processes spend per round trip. floor-hop is the floor with one goroutine hop: a reader goroutine waiting in the netpoller decodes each reply and hands it to the caller over a Go channel, the shape of Events without the library (its ratio to floor is what a hand-off between goroutines costs here, and spawnkit's ratio to it what the library adds to that hop); floor-hop-block's reader blocks in read(2) instead, which costs more (RESULTS.md).",
		},
		{
			Name: "ipc-send", Title: "IPC one-way small messages, parent → child",
			Metrics: []Metric{opsPerS}, Anchors: []string{"node"},
			Variants: []Variant{
				{Name: ImplSpawnkit, Go: ipcSend},
				{Name: "node", Node: nodeArgs("fork.js", "send", "$N")},
			},
			Sizes: map[Preset]Size{Full: {N: 200000}, Short: {N: 50000}, Smoke: {N: 10}},
			Note:  "{\"seq\":i} encoded per send; the Go child counts raw messages, the Node child parses them; the time ends when the child's count comes back.",
		},
		{
			Name: "ipc-recv", Title: "IPC one-way small messages, child → parent (Events)",
			Metrics: []Metric{opsPerS}, Anchors: []string{"node"},
			Variants: []Variant{
				{Name: ImplSpawnkit, Go: ipcRecv},
				{Name: "node", Node: nodeArgs("fork.js", "recv", "$N")},
			},
			Sizes: map[Preset]Size{Full: {N: 200000}, Short: {N: 50000}, Smoke: {N: 10}},
			Note:  "the Go parent reads Process.Events and does not decode; Node's parent parses every message.",
		},
		{
			Name: "ipc-64k", Title: "IPC 64 KiB messages, parent → child",
			Metrics: []Metric{mbPerS}, Anchors: []string{"node"},
			Variants: []Variant{
				{Name: ImplSpawnkit, Go: ipcPayload("raw")},
				{Name: "spawnkit-append", Go: ipcPayload("append")},
				{Name: "spawnkit-map", Go: ipcPayload("map")},
				{Name: "spawnkit-nodechild", Go: ipcPayloadNode},
				{Name: "spawnkit-nodeecho", Go: ipcEchoNode},
				{Name: "node", Node: nodeArgs("fork.js", "payload", "$N", "$BYTES")},
			},
			Sizes:   map[Preset]Size{Full: {N: 8192, Bytes: 64 * kib}, Short: {N: 2048, Bytes: 64 * kib}, Smoke: {N: 4, Bytes: 64 * kib}},
			Targets: []Target{{Variant: ImplSpawnkit, Metric: "MB/s", Op: ">=", Value: 1500, Text: "64 KiB IPC ≥1.5 GB/s"}},
			Note:    "spawnkit sends one pre-encoded ipc.Message and the child counts it raw (Recv: a new message each); spawnkit-append is the same with the child receiving by AppendRecv into one reused message (no allocation per message); spawnkit-map encodes a map[string]any per send and the child decodes each into map[string]any (the honest like-for-like with Node, which stringifies and parses every message); spawnkit-nodechild sends the same pre-encoded message to Node's own child (fork_child.js sink, which parses every message), the child of the node variant; spawnkit-nodeecho sends it to Node's echo child (fork_child.js echo: JSON.parse, then process.send of the object) and reads every echo from Events while sending, bytes counted one way.",
		},
		{
			Name: "pipeline", Title: "head -c SIZE /dev/zero | cat | wc -c",
			Metrics: []Metric{mbPerS}, Anchors: []string{ImplSh, "node"},
			Variants: []Variant{
				{Name: "childproc", Op: bytesOp(PipelineChildproc)},
				{Name: ImplOSExec, Op: bytesOp(PipelineOSExec)},
				{Name: ImplSh, Op: bytesOp(PipelineSh)},
				{Name: "node", Node: nodeArgs("pipeline.js", "$BYTES")},
			},
			Sizes:   map[Preset]Size{Full: {N: 1, Turns: 3, Bytes: gib}, Short: {N: 1, Turns: 2, Bytes: 128 * mib}, Smoke: {N: 1, Turns: 1, Bytes: mib}},
			Targets: []Target{{Variant: ImplSpawnkit, Metric: "MB/s", Anchor: ImplSh, Op: ">=", Value: 0.95, Text: "pipeline ≥0.95× sh -c"}},
			Note:    "spawnkit = package pipeline; childproc = three childproc.Spawn joined with os.Pipe via childproc.File; osexec = the same with exec.Cmd; sh = `sh -c LINE` timed from Go; node = Node streams .pipe() between the stages.",
		},
		{
			Name: "stream-cat", Title: "stream SIZE bytes through one spawned cat, parent writes and reads",
			Metrics: []Metric{mbPerS, rssMiB}, Anchors: []string{ImplOSExec, "node"},
			Variants: []Variant{
				{Name: ImplSpawnkit, Go: streamVariant(ImplSpawnkit)},
				{Name: "spawnkit-rw", Go: streamVariant("spawnkit-rw")},
				{Name: ImplOSExec, Go: streamVariant(ImplOSExec)},
				{Name: "node", Node: nodeArgs("stream.js", "$BYTES")},
			},
			Sizes:   map[Preset]Size{Full: {Bytes: gib}, Short: {Bytes: 128 * mib}, Smoke: {Bytes: mib}},
			Targets: []Target{{Variant: ImplSpawnkit, Metric: "rss", Op: "<", Value: 32, Text: "streaming RSS <32 MiB"}, {Variant: "spawnkit-rw", Metric: "rss", Op: "<", Value: 32, Text: "streaming RSS <32 MiB"}},
			Note:    "each variant runs in a process of its own; RSS is that process's VmHWM (Node: resourceUsage().maxRSS). spawnkit = Process.Stdin/Stdout pipes with a 64 KiB buffer; spawnkit-rw = childproc.Reader/Writer stdio.",
		},
	}
	for _, s := range ss {
		s.Variants = append(extraVariants[s.Name], s.Variants...)
	}
	return append(ss, extraScenarios...)
}

// extraScenarios are added by files that depend on packages written
// elsewhere (cluster) once they exist.
var extraScenarios []*Scenario
