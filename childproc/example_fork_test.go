package childproc_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spawnkit/spawnkit/childproc"
	"github.com/spawnkit/spawnkit/ipc"
)

// In a program, roles are registered in an init function (or at the top of
// main) and main starts with childproc.Init; here TestMain calls Init.
func init() {
	// example.upper answers every message with its upper-case version.
	childproc.Register("example.upper", func(ctx context.Context, parent *ipc.Channel) error {
		for {
			m, err := parent.Recv()
			if err == io.EOF {
				return nil // the parent disconnected
			}
			if err != nil {
				return err
			}
			var s string
			if err := m.Decode(&s); err != nil {
				return err
			}
			if err := parent.Send(strings.ToUpper(s)); err != nil {
				return err
			}
		}
	})
	// example.writer writes a line into the file the parent sends it.
	childproc.Register("example.writer", func(ctx context.Context, parent *ipc.Channel) error {
		m, f, err := parent.RecvFile()
		if err != nil {
			return err
		}
		defer f.Close()
		var who string
		m.Decode(&who)
		_, err = fmt.Fprintf(f, "written by the child for %s\n", who)
		return err
	})
}

// Fork runs this same program in a registered role, with Node's IPC channel
// open: Send reaches the child's parent.Recv, and what the child sends
// comes back as EventMessage.
func ExampleFork() {
	p, err := childproc.Fork(context.Background(), "example.upper", nil, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	events := p.Events()
	fmt.Println(<-events) // spawn
	for _, word := range []string{"hello", "gopher"} {
		p.Send(word)
		for ev := range events {
			if ev.Kind == childproc.EventMessage {
				fmt.Println(ev.Message)
				break
			}
		}
	}
	p.Disconnect() // the child's Recv returns io.EOF and the role returns
	var last childproc.Event
	for ev := range events { // disconnect and exit, in either order, then close
		last = ev
	}
	fmt.Println(last, p.Wait())
	// Output:
	// spawn
	// "HELLO"
	// "GOPHER"
	// close(code=0) <nil>
}

// SendFile passes an open file (or socket) to the child with a message;
// the child writes into it directly.
func ExampleProcess_SendFile() {
	f, err := os.CreateTemp("", "sendfile-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.Remove(f.Name())
	defer f.Close()

	p, err := childproc.Fork(context.Background(), "example.writer", nil, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := p.SendFile("the example", f); err != nil {
		fmt.Println(err)
	}
	fmt.Println(p.Wait())
	b, _ := os.ReadFile(f.Name())
	fmt.Print(string(b))
	// Output:
	// <nil>
	// written by the child for the example
}

// PTY runs the child on a pseudo-terminal: it sees a terminal on its stdin
// and stdout, and the terminal turns its "\n" into "\r\n".
func ExampleOptions_pty() {
	p, err := childproc.Spawn(context.Background(), "sh", []string{"-c", "test -t 0 && test -t 1 && echo on a terminal"},
		&childproc.Options{PTY: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	out, _ := io.ReadAll(p.Stdout) // EOF once the child is gone and all was read
	fmt.Printf("%q\n", out)
	fmt.Println(p.Wait())
	// Output:
	// "on a terminal\r\n"
	// <nil>
}

// A Detached child leads a session of its own; after Unref, the end of the
// ctx given to Spawn no longer kills it, so it outlives its parent (here,
// it outlives the cancelled ctx).
func ExampleProcess_Unref() {
	dir, err := os.MkdirTemp("", "unref-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	done := filepath.Join(dir, "done")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p, err := childproc.Spawn(ctx, "sh", []string{"-c", `sleep 0.2; echo "still ran" > "$1"`, "sh", done}, &childproc.Options{
		Detached: true,
		Stdin:    childproc.Ignore, Stdout: childproc.Ignore, Stderr: childproc.Ignore,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	p.Unref()
	cancel() // without Unref, this would kill the child's whole tree

	// A real parent would just exit here; this one waits to show the result.
	fmt.Println(p.Wait())
	b, _ := os.ReadFile(done)
	fmt.Print(string(b))
	// Output:
	// <nil>
	// still ran
}
