// Command compare runs the spawnkit benchmarks against os/exec, Node.js and
// the shell, interleaved, and prints a markdown table of the results.
//
//	go run ./bench/cmd/compare [-rounds N] [-short] [-scenarios a,b] [-out FILE]
//
// Every measurement runs in a process of its own: Go variants in this
// binary re-executed with -child, Node variants as `node SCRIPT` (the
// scripts are embedded and written to a temporary directory). The IPC
// scenarios fork this binary, which therefore calls childproc.Init first.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"

	"github.com/spawnkit/spawnkit/childproc"
	"github.com/spawnkit/spawnkit/internal/bench"
)

func main() {
	if childproc.Init() || bench.InitPeer() {
		return
	}
	var (
		rounds    = flag.Int("rounds", 5, "rounds of every scenario (medians are over rounds)")
		short     = flag.Bool("short", false, "small sizes (about a tenth): a quick look, not for RESULTS.md")
		scenarios = flag.String("scenarios", "", "comma-separated scenario names (default all); -list shows them")
		out       = flag.String("out", "", "also write the markdown to this file")
		list      = flag.Bool("list", false, "list the scenarios and exit")
		child     = flag.String("child", "", "internal: run one Go variant SCENARIO/VARIANT and print its JSON")
		preset    = flag.String("preset", "", "internal: size preset for -child (full, short, smoke)")
		quiet     = flag.Bool("q", false, "no progress lines on stderr")
	)
	flag.Parse()
	if *child != "" {
		// No signal.Notify here: its goroutine blocks for good on the
		// thread it first runs on, often the main thread, and keeps every
		// other goroutine off it; a Spawn on the main thread starts its
		// child without the spawner hand-off, so that would change what
		// spawn-true measures. Ctrl-C ends the child by default anyway.
		if err := bench.RunChild(context.Background(), os.Stdout, *child, bench.Preset(*preset)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	all := bench.Scenarios()
	if *list {
		for _, s := range all {
			var vs []string
			for _, v := range s.Variants {
				vs = append(vs, v.Name)
			}
			fmt.Printf("%-18s %s [%s]\n", s.Name, s.Title, strings.Join(vs, " "))
		}
		return
	}
	chosen := all
	if *scenarios != "" {
		chosen = nil
		for _, name := range strings.Split(*scenarios, ",") {
			found := false
			for _, s := range all {
				if s.Name == strings.TrimSpace(name) {
					chosen, found = append(chosen, s), true
				}
			}
			if !found {
				fmt.Fprintf(os.Stderr, "compare: no scenario %q (see -list)\n", name)
				os.Exit(2)
			}
		}
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "compare:", err)
		os.Exit(1)
	}
	dir, err := os.MkdirTemp("", "spawnkit-bench-node-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "compare:", err)
		os.Exit(1)
	}
	defer os.RemoveAll(dir)
	if err := bench.WriteNodeScripts(dir); err != nil {
		fmt.Fprintln(os.Stderr, "compare:", err)
		os.Exit(1)
	}
	for _, s := range chosen {
		if strings.HasPrefix(s.Name, "cluster-") && os.Getenv(bench.ClusterbenchEnv) == "" {
			bin, err := bench.BuildClusterbench(ctx, dir)
			if err != nil {
				fmt.Fprintln(os.Stderr, "compare:", err)
				os.Exit(1)
			}
			os.Setenv(bench.ClusterbenchEnv, bin) // inherited by the -child processes
			break
		}
	}
	r := &bench.Runner{Self: self, NodeDir: dir, Node: bench.NodePath(), Preset: bench.Full, Stderr: os.Stderr}
	if *short {
		r.Preset = bench.Short
	}
	if r.Node == "" {
		fmt.Fprintln(os.Stderr, "compare: node not found in PATH; Node variants will be reported as failed")
	}
	progress := os.Stderr
	if *quiet {
		progress = nil
	}
	res := r.Compare(ctx, chosen, *rounds, progress)
	res.Command = "go run ./bench/cmd/compare " + strings.Join(os.Args[1:], " ")
	md := res.Markdown(chosen)
	fmt.Print(md)
	if *out != "" {
		if err := os.WriteFile(*out, []byte(md), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "compare:", err)
			os.Exit(1)
		}
	}
	if ctx.Err() != nil {
		os.Exit(130)
	}
}
