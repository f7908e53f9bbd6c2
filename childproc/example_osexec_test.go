package childproc_test

import (
	"context"
	"errors"
	"fmt"
	"os/exec"

	"github.com/spawnkit/spawnkit/childproc"
)

// LookPath answers with the child's environment, as Spawn would: here a
// PATH that holds only the current directory, which is never searched
// implicitly, then no PATH at all, which searches DefaultPath.
func ExampleLookPath() {
	_, err := childproc.LookPath("sh", []string{"PATH=."})
	fmt.Println(errors.Is(err, exec.ErrNotFound) || errors.Is(err, exec.ErrDot))
	_, err = childproc.LookPath(".", nil)
	fmt.Println(err)
	path, err := childproc.LookPath("sh", []string{"HOME=/tmp"})
	fmt.Println(err == nil && (path == "/usr/bin/sh" || path == "/bin/sh"))
	// Output:
	// true
	// childproc: lookpath .: executable file not found in $PATH
	// true
}

// An ExitError's Status says how the child ended, a code or a signal.
func ExampleExitStatus() {
	_, err := childproc.ExecFile(context.Background(), "sh", []string{"-c", "echo done; exit 3"}, nil)
	var ee *childproc.ExitError
	if errors.As(err, &ee) {
		fmt.Println(ee.Status())
		fmt.Println(ee)
	}
	_, err = childproc.Exec(context.Background(), "kill -KILL $$", nil)
	if errors.As(err, &ee) {
		fmt.Println(ee.Status(), ee.Status().Signal)
	}
	// Output:
	// exit status 3
	// childproc: command failed: sh -c 'echo done; exit 3': exit status 3
	// signal 9 (killed) killed
}

// Combined keeps both streams in the order they arrived, besides each one
// on its own.
func ExampleOptions_combined() {
	res, err := childproc.Exec(context.Background(), "echo out; echo err >&2", &childproc.Options{Combined: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%q %q %d bytes\n", res.Stdout, res.Stderr, len(res.Combined))
	// Output: "out\n" "err\n" 8 bytes
}
