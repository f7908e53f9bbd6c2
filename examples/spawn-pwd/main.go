// Command spawn-pwd runs pwd (or the command given as arguments, such as
// `ls -lh /usr`, as in Node's spawn example) with childproc.Spawn, prints
// its output line by line as it comes, and reports each event as Node's
// spawn example does. With -v, each child's start and end are logged on
// stderr (Options.Logger).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"

	"github.com/spawnkit/spawnkit/childproc"
)

func main() {
	verbose := flag.Bool("v", false, "log the child's start and end on stderr")
	flag.Parse()
	name, args := "pwd", []string(nil)
	if flag.NArg() > 0 {
		name, args = flag.Arg(0), flag.Args()[1:]
	}
	opts := &childproc.Options{Stdin: childproc.Ignore}
	if *verbose {
		opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}

	p, err := childproc.Spawn(context.Background(), name, args, opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var mu sync.Mutex // one line at a time on our stdout
	var wg sync.WaitGroup
	for prefix, stream := range map[string]io.Reader{"stdout": p.Stdout, "stderr": p.Stderr} {
		wg.Go(func() {
			for line, err := range childproc.Lines(stream) {
				mu.Lock()
				if err != nil {
					fmt.Printf("%s: error: %v\n", prefix, err)
				} else {
					fmt.Printf("%s: %s\n", prefix, line)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	p.Stdout.Close() // after a read error Lines stops; let the child go
	p.Stderr.Close()

	for ev := range p.Events() {
		switch ev.Kind {
		case childproc.EventExit:
			fmt.Printf("child process exited with code %d\n", ev.ExitCode)
		case childproc.EventClose:
			fmt.Printf("child process closed with code %d\n", ev.ExitCode)
		}
	}
	if err := p.Wait(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
