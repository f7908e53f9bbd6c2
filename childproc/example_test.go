package childproc_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spawnkit/spawnkit/childproc"
)

func ExampleSpawn() {
	p, err := childproc.Spawn(context.Background(), "tr", []string{"a-z", "A-Z"}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	io.WriteString(p.Stdin, "hello from the parent\n")
	p.Stdin.Close()
	out, _ := io.ReadAll(p.Stdout)
	io.Copy(io.Discard, p.Stderr)
	fmt.Print(string(out))
	for ev := range p.Events() {
		fmt.Println(ev)
	}
	// Output:
	// HELLO FROM THE PARENT
	// spawn
	// exit(code=0)
	// close(code=0)
}

func ExampleExec() {
	res, err := childproc.Exec(context.Background(), "printf 'a\\nb\\nc\\n' | wc -l", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(strings.TrimSpace(string(res.Stdout)))
	// Output: 3
}

func ExampleExecFile() {
	// No shell: the argument reaches echo exactly as written.
	res, _ := childproc.ExecFile(context.Background(), "echo", []string{"$HOME; rm -rf /"}, nil)
	fmt.Print(string(res.Stdout))
	// Output: $HOME; rm -rf /
}

func ExampleExitError() {
	_, err := childproc.Exec(context.Background(), "echo oops >&2; exit 3", nil)
	var ee *childproc.ExitError
	if errors.As(err, &ee) {
		fmt.Println(ee.ExitCode, strings.TrimSpace(string(ee.Stderr)))
		fmt.Println(err)
	}
	_, err = childproc.Exec(context.Background(), "sleep 10", &childproc.Options{Timeout: 50 * time.Millisecond})
	if errors.As(err, &ee) {
		fmt.Println(ee.TimedOut, ee.Signal)
	}
	// Output:
	// 3 oops
	// command failed: echo oops >&2; exit 3: exit status 3: oops
	// true terminated
}
