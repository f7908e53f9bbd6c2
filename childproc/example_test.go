package childproc_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
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
	// childproc: command failed: echo oops >&2; exit 3: exit status 3: oops
	// true terminated
}

func ExampleLines() {
	p, err := childproc.Spawn(context.Background(), "printf", []string{`one\r\ntwo\n\nthree`}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	for line, err := range childproc.Lines(p.Stdout) {
		if err != nil { // a read error, or a line over MaxLineLength
			fmt.Println(err)
			break
		}
		fmt.Printf("%q\n", line)
	}
	p.Stdout.Close() // in case the loop broke early
	io.Copy(io.Discard, p.Stderr)
	fmt.Println(p.Wait())
	// Output:
	// "one"
	// "two"
	// ""
	// "three"
	// <nil>
}

func ExampleResult_Text() {
	res, err := childproc.ExecFile(context.Background(), "echo", []string{"v1.2.3"}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	// Stdout ends with a newline; Text, like execa's stripFinalNewline, drops it.
	fmt.Printf("%q %q\n", res.Stdout, res.Text())
	// Output: "v1.2.3\n" "v1.2.3"
}

func ExampleResult_Lines() {
	res, err := childproc.Exec(context.Background(), "printf 'b\\na\\nc\\n' | sort", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	for line := range res.Lines() {
		fmt.Println("line:", line)
	}
	// Output:
	// line: a
	// line: b
	// line: c
}

func ExampleOptions_logger() {
	// A handler that leaves out what changes from run to run.
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			switch a.Key {
			case slog.TimeKey, "pid", "duration", "err":
				return slog.Attr{}
			}
			return a
		},
	}))
	opts := &childproc.Options{Logger: logger}
	childproc.Exec(context.Background(), "echo hello", opts)
	childproc.ExecFile(context.Background(), "sh", []string{"-c", "echo oops >&2; exit 3"}, opts)
	childproc.Exec(context.Background(), "sleep 10", &childproc.Options{Logger: logger, Timeout: 10 * time.Millisecond})
	childproc.ExecFile(context.Background(), "no-such-program-here", nil, opts)
	// Output:
	// level=INFO msg=spawn cmd="/bin/sh -c 'echo hello'"
	// level=INFO msg=exit cmd="/bin/sh -c 'echo hello'" code=0 stdout=6 stderr=0
	// level=INFO msg=spawn cmd="sh -c 'echo oops >&2; exit 3'"
	// level=WARN msg=exit cmd="sh -c 'echo oops >&2; exit 3'" code=3 stdout=0 stderr=5
	// level=INFO msg=spawn cmd="/bin/sh -c 'sleep 10'"
	// level=WARN msg=exit cmd="/bin/sh -c 'sleep 10'" signal=SIGTERM stdout=0 stderr=0
	// level=WARN msg="spawn failed" cmd=no-such-program-here
}
