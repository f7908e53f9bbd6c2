// Command stdin-wc pipes its own standard input into `wc` and prints what wc
// says: the parent's stdin is handed to the child as is.
//
//	$ echo "a b c" | stdin-wc
//	wc:       1       3       6
package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/spawnkit/spawnkit/childproc"
)

func main() {
	p, err := childproc.Spawn(context.Background(), "wc", nil, &childproc.Options{
		Stdin:  childproc.Inherit,
		Stderr: childproc.Inherit,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	out, err := io.ReadAll(p.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := p.Wait(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("wc: %s", out)
}
