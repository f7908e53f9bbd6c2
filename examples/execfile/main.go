// Command execfile runs a program without a shell using childproc.ExecFile
// and prints its output: by default `node --version`, as in the Node
// material, or any program given as arguments.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/spawnkit/spawnkit/childproc"
)

func main() {
	file, args := "node", []string{"--version"}
	if len(os.Args) > 1 {
		file, args = os.Args[1], os.Args[2:]
	}
	res, err := childproc.ExecFile(context.Background(), file, args, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Print(string(res.Stdout))
}
