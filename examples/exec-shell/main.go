// Command exec-shell counts the files under a directory with a shell
// pipeline run by childproc.Exec: `find DIR -type f | wc -l`. The directory
// is the -dir flag (default "."), quoted with shell.Quote into the line;
// other arguments are ignored.
//
//	$ exec-shell -dir /etc/ssl
//	Number of files 6
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/spawnkit/spawnkit/childproc"
	"github.com/spawnkit/spawnkit/shell"
)

func main() {
	dir := flag.String("dir", ".", "directory to count files in")
	flag.Parse()
	// The directory is a value from outside: quote it into the command line.
	res, err := childproc.Exec(context.Background(), "find "+shell.Quote(*dir)+" -type f | wc -l", nil)
	if err != nil {
		fmt.Fprintf(os.Stderr, "exec error: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("Number of files %s\n", strings.TrimSpace(string(res.Stdout)))
}
