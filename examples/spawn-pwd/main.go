// Command spawn-pwd runs pwd with childproc.Spawn and streams its output,
// reporting each event as Node's spawn example does.
package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/spawnkit/spawnkit/childproc"
)

func main() {
	p, err := childproc.Spawn(context.Background(), "pwd", nil, &childproc.Options{Stdin: childproc.Ignore})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	stdout, _ := io.ReadAll(p.Stdout)
	stderr, _ := io.ReadAll(p.Stderr)
	fmt.Printf("stdout: %s", stdout)
	if len(stderr) > 0 {
		fmt.Printf("stderr: %s", stderr)
	}
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
