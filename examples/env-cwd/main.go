// Command env-cwd runs a shell command with a custom environment and working
// directory: `echo $ANSWER` sees 42, and $HOME is not passed on because Env
// replaces the parent's environment entirely. The working directory is the
// -dir flag (default: os.TempDir()).
//
//	$ env-cwd -dir /etc
//	ANSWER=42 HOME=unset PWD=/etc
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/spawnkit/spawnkit/childproc"
)

func main() {
	dir := flag.String("dir", os.TempDir(), "working directory for the child")
	flag.Parse()
	res, err := childproc.Exec(context.Background(), `echo "ANSWER=$ANSWER HOME=${HOME:-unset} PWD=$(pwd)"`, &childproc.Options{
		Dir: *dir,
		Env: []string{"ANSWER=42", "PATH=/usr/bin:/bin"},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Print(string(res.Stdout))
}
