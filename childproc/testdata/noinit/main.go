// Command noinit forks itself without calling childproc.Init first (with
// -init-parent it calls Init in the first copy only). Every copy of main
// appends a line to the file named by $NOINIT_LOG; past five copies it
// stops, so the old fork-without-end behaviour ends too.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"

	"github.com/spawnkit/spawnkit/childproc"
	"github.com/spawnkit/spawnkit/ipc"
)

func main() {
	initParent := flag.Bool("init-parent", false, "call childproc.Init in the first copy only")
	flag.Parse()
	depth, _ := strconv.Atoi(os.Getenv("NOINIT_DEPTH"))
	if *initParent && depth == 0 && childproc.Init() {
		return
	}
	childproc.Register("worker", func(ctx context.Context, parent *ipc.Channel) error { return nil })

	f, err := os.OpenFile(os.Getenv("NOINIT_LOG"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(4)
	}
	fmt.Fprintf(f, "main %d\n", depth)
	f.Close()
	if depth >= 5 {
		os.Exit(5)
	}
	os.Setenv("NOINIT_DEPTH", strconv.Itoa(depth+1))
	p, err := childproc.Fork(context.Background(), "worker", os.Args[1:], nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	if err := p.Wait(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
