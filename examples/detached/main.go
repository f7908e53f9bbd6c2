// Command detached starts a timer child that outlives it: the child runs in
// its own session, the parent calls Unref and exits at once, and the child
// writes to -out when its timer fires.
//
//	$ detached -after 2s -out /tmp/done.txt
//	started detached child 12627; parent exiting
//	$ sleep 2; cat /tmp/done.txt
//	timer child 12627 done
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/spawnkit/spawnkit/childproc"
	"github.com/spawnkit/spawnkit/shell"
)

func main() {
	after := flag.Duration("after", 2*time.Second, "how long the child waits")
	out := flag.String("out", "detached-done.txt", "file the child writes when done")
	flag.Parse()

	script := fmt.Sprintf("sleep %g; echo \"timer child $$ done\" > %s", after.Seconds(), shell.Quote(*out))
	p, err := childproc.Spawn(context.Background(), "sh", []string{"-c", script}, &childproc.Options{
		Detached: true,
		Stdin:    childproc.Ignore,
		Stdout:   childproc.Ignore,
		Stderr:   childproc.Ignore,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	p.Unref()
	fmt.Printf("started detached child %d; parent exiting\n", p.Pid)
}
