// Command find-wc counts the regular files under a directory three ways and
// checks that they agree:
//
//  1. spawn: childproc.Spawn starts `find DIR -type f` and `wc -l`, and an
//     os.Pipe connects them by hand, the write end as find's stdout and the
//     read end as wc's stdin (the Go shape of Node's
//     find.stdout.pipe(wc.stdin));
//  2. pipeline: pipeline.Parse runs the same line without any shell;
//  3. exec: childproc.Exec hands the line to /bin/sh.
//
// It prints one line per way and a verdict, and exits with status 1 when a
// way failed or the counts differ:
//
//	$ find-wc -dir /etc/ssl
//	spawn:    12
//	pipeline: 12
//	exec:     12
//	all three agree
//
// All three count lines of find's output, not files: a file whose name holds
// a newline is counted once per line of its name, by all three alike. And a
// find that fails (say, a missing -dir) is an error for spawn and pipeline
// (pipefail), while sh, without pipefail, only reports wc's count.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/spawnkit/spawnkit/childproc"
	"github.com/spawnkit/spawnkit/pipeline"
	"github.com/spawnkit/spawnkit/shell"
)

func main() {
	dir := flag.String("dir", ".", "directory to count the files of (a name starting with - needs a ./ prefix, for find)")
	flag.Parse()
	ctx := context.Background()
	line := "find " + shell.Quote(*dir) + " -type f | wc -l"

	ways := []struct {
		name  string
		count func() (int, error)
	}{
		{"spawn", func() (int, error) { return bySpawn(ctx, *dir) }},
		{"pipeline", func() (int, error) { return byPipeline(ctx, line) }},
		{"exec", func() (int, error) { return byExec(ctx, line) }},
	}
	ok := true
	counts := map[int]bool{}
	for _, w := range ways {
		n, err := w.count()
		if err != nil {
			fmt.Printf("%-9s error: %v\n", w.name+":", err)
			ok = false
			continue
		}
		fmt.Printf("%-9s %d\n", w.name+":", n)
		counts[n] = true
	}
	switch {
	case !ok:
		fmt.Println("some ways failed")
		os.Exit(1)
	case len(counts) != 1:
		fmt.Println("the counts differ")
		os.Exit(1)
	}
	fmt.Println("all three agree")
}

// bySpawn connects find's stdout to wc's stdin with an os.Pipe: both
// children get one end each, and the parent closes its copies once both
// started, so wc sees end of file when find is done.
func bySpawn(ctx context.Context, dir string) (int, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return 0, err
	}
	defer r.Close()
	defer w.Close()

	find, err := childproc.Spawn(ctx, "find", []string{dir, "-type", "f"}, &childproc.Options{
		Stdin:  childproc.Ignore,
		Stdout: childproc.File(w),
		Stderr: childproc.Inherit,
	})
	if err != nil {
		return 0, err
	}
	wc, err := childproc.Spawn(ctx, "wc", []string{"-l"}, &childproc.Options{
		Stdin:  childproc.File(r),
		Stderr: childproc.Inherit,
	})
	if err != nil {
		find.Kill()
		find.Wait()
		return 0, err
	}
	r.Close()
	w.Close()

	out, readErr := io.ReadAll(wc.Stdout)
	findErr := find.Wait()
	wcErr := wc.Wait()
	switch {
	case findErr != nil:
		return 0, findErr
	case wcErr != nil:
		return 0, wcErr
	case readErr != nil:
		return 0, readErr
	}
	return parseCount(out)
}

// byPipeline runs line with no shell involved.
func byPipeline(ctx context.Context, line string) (int, error) {
	p, err := pipeline.Parse(line)
	if err != nil {
		return 0, err
	}
	p.Stderr = os.Stderr
	out, err := p.Output(ctx)
	if err != nil {
		return 0, err
	}
	return parseCount(out)
}

// byExec runs line through /bin/sh.
func byExec(ctx context.Context, line string) (int, error) {
	res, err := childproc.Exec(ctx, line, nil)
	if err != nil {
		return 0, err
	}
	os.Stderr.Write(res.Stderr)
	return parseCount(res.Stdout)
}

// parseCount reads wc -l's output, a number possibly padded with blanks.
func parseCount(out []byte) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		return 0, fmt.Errorf("unexpected output from wc -l: %q", out)
	}
	return n, nil
}
