// Command fork-messages is the parent/child message counter of Node.js's
// child_process.fork documentation, in Go: the program forks itself in a
// "child" role, the two exchange JSON messages over the IPC channel, and
// each prints what it receives.
//
//	$ fork-messages -count 3 -interval 10ms
//	Message from parent: {"hello":"world"}
//	Message from child: {"counter":0}
//	Message from child: {"counter":1}
//	Message from child: {"counter":2}
//
// The parent sends {"hello":"world"}; the child prints it and then sends
// {"counter":n} (n = 0, 1, 2, …) every -interval. After -count messages
// (0 = run until interrupted) the parent disconnects, which ends the child,
// and exits 0.
//
// Unlike Node's child.js, which starts its interval at once, the child
// starts counting when the parent's first message has arrived, so the output
// above is the same on every run however loaded the machine is.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spawnkit/spawnkit/childproc"
	"github.com/spawnkit/spawnkit/ipc"
)

func main() {
	childproc.Register("child", child)
	if childproc.Init() {
		return
	}
	interval := flag.Duration("interval", time.Second, "how often the child sends a message")
	count := flag.Int("count", 0, "stop after this many messages from the child (0 = never)")
	flag.Parse()
	if *interval <= 0 {
		fmt.Fprintln(os.Stderr, "fork-messages: -interval must be positive")
		os.Exit(2)
	}
	if err := parent(*interval, *count); err != nil {
		fmt.Fprintln(os.Stderr, "fork-messages:", err)
		os.Exit(1)
	}
}

// parent forks the child, greets it, prints its messages and, after count of
// them, disconnects and waits for it to end.
func parent(interval time.Duration, count int) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	child, err := childproc.Fork(ctx, "child", []string{"-interval", interval.String()}, nil)
	if err != nil {
		return err
	}
	if err := child.Send(map[string]string{"hello": "world"}); err != nil {
		return err
	}
	received := 0
	for ev := range child.Events() {
		if ev.Kind != childproc.EventMessage || count > 0 && received == count {
			// Messages the child sent before it saw the disconnect are
			// still delivered: skip them, -count is exact.
			continue
		}
		fmt.Printf("Message from child: %s\n", ev.Message)
		if received++; received == count {
			// The child sees its channel close and returns; the events
			// end with its exit.
			child.Disconnect()
		}
	}
	err = child.Wait()
	if ctx.Err() != nil {
		return nil // interrupted: the child was killed with us
	}
	return err
}

// child prints the parent's messages and sends {"counter":n} every
// interval, once the first message has arrived, until the parent
// disconnects.
func child(ctx context.Context, parent *ipc.Channel) error {
	flags := flag.NewFlagSet("child", flag.ContinueOnError)
	interval := flags.Duration("interval", time.Second, "")
	if err := flags.Parse(os.Args[1:]); err != nil {
		return err
	}

	messages := make(chan ipc.Message)
	go func() {
		defer close(messages)
		for {
			m, err := parent.Recv()
			var bad *ipc.SyntaxError
			if errors.As(err, &bad) {
				fmt.Fprintln(os.Stderr, "child:", err)
				continue // the line is skipped; the channel stays usable
			}
			if err != nil {
				// EOF: the parent disconnected; ErrClosed: we are
				// stopping (SIGTERM) and Init closed the channel.
				if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
					fmt.Fprintln(os.Stderr, "child:", err)
				}
				return
			}
			select {
			case messages <- m:
			case <-ctx.Done():
				return
			}
		}
	}()

	var tick <-chan time.Time
	counter := 0
	for {
		select {
		case <-ctx.Done():
			return nil
		case m, ok := <-messages:
			if !ok {
				return nil // the parent disconnected
			}
			fmt.Printf("Message from parent: %s\n", m)
			if tick == nil {
				t := time.NewTicker(*interval)
				defer t.Stop()
				tick = t.C
			}
		case <-tick:
			if err := parent.Send(map[string]int{"counter": counter}); err != nil {
				return nil // the parent disconnected meanwhile
			}
			counter++
		}
	}
}
