package cluster_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"

	"github.com/spawnkit/spawnkit/cluster"
	"github.com/spawnkit/spawnkit/internal/testkit"
)

// A complete program: main runs in the primary and, again, in every
// worker; Run does the right thing in each.
func ExampleRun() {
	err := cluster.Run(context.Background(), &cluster.Config{
		Workers: 4,
		Worker: func(ctx context.Context, w *cluster.Worker) error {
			ln, err := w.Listen("tcp", "127.0.0.1:8000")
			if err != nil {
				return err
			}
			srv := &http.Server{Handler: http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
				fmt.Fprintf(rw, "Handled by worker %d\n", os.Getpid())
			})}
			return cluster.Serve(ctx, srv, ln) // returns once drained
		},
	})
	if err != nil {
		log.Fatal(err)
	}
}

// greeter is the worker of ExampleStart: it answers every message. In a
// program it is Config.Worker given to Run; here the test binary's TestMain
// runs it in the workers.
func greeter(ctx context.Context, w *cluster.Worker) error {
	if err := w.Ready(); err != nil { // no socket: say it is up
		return err
	}
	for {
		select {
		case m, ok := <-w.Messages():
			if !ok {
				return nil
			}
			var name string
			m.Decode(&name)
			w.Send(fmt.Sprintf("slot %d: hello, %s", w.Slot, name))
		case <-ctx.Done():
			return nil
		}
	}
}

func init() {
	testkit.RegisterHelper("greeter", worker(greeter))
	testkit.MaySkipHelper("greeter") // the Examples name it: they have no *testing.T
}

// The primary's side: start workers, wait until they are ready, talk to
// them, shut down.
func ExampleStart() {
	ctx := context.Background()
	p, err := cluster.Start(ctx, &cluster.Config{
		Workers:     2,
		ManualReady: true,
		Args:        []string{},
		ExtraEnv:    []string{"SPAWNKIT_TEST_HELPER=greeter"},
	})
	if err != nil {
		log.Fatal(err)
	}
	events := p.Events()
	for ready := 0; ready < 2; {
		if ev := <-events; ev.Kind == cluster.EventReady {
			ready++
		}
	}
	p.Broadcast("gopher")
	var replies []string
	for len(replies) < 2 {
		if ev := <-events; ev.Kind == cluster.EventMessage {
			var s string
			ev.Message.Decode(&s)
			replies = append(replies, s)
		}
	}
	slices.Sort(replies)
	fmt.Println(strings.Join(replies, "\n"))

	p.Shutdown(ctx)
	for ev := range events { // until the last worker has gone
		if ev.Kind == cluster.EventExit {
			fmt.Println("worker in slot", ev.Worker.Slot, "stopped:", ev.Stopped, "code:", ev.ExitCode)
		}
	}
	fmt.Println(p.Wait())
	// Unordered output:
	// slot 0: hello, gopher
	// slot 1: hello, gopher
	// worker in slot 0 stopped: true code: 0
	// worker in slot 1 stopped: true code: 0
	// <nil>
}

// Config.Logger records the life of every worker; here a reload replaces
// the one worker, then the cluster shuts down.
func ExampleConfig_logger() {
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			switch a.Key { // leave out what changes from run to run
			case slog.TimeKey, "pid", "duration":
				return slog.Attr{}
			}
			return a
		},
	}))
	ctx := context.Background()
	p, err := cluster.Start(ctx, &cluster.Config{
		Workers:     1,
		ManualReady: true,
		Args:        []string{},
		ExtraEnv:    []string{"SPAWNKIT_TEST_HELPER=greeter"},
		Logger:      logger,
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := p.Reload(ctx); err != nil {
		log.Fatal(err)
	}
	p.Shutdown(ctx)
	// Output:
	// level=INFO msg="worker started" worker=1 slot=0 why=start
	// level=INFO msg="reload started" workers=1
	// level=INFO msg="worker started" worker=2 slot=0 why=reload
	// level=INFO msg="worker exited" worker=1 slot=0 code=0
	// level=INFO msg="reload done"
	// level=INFO msg="worker exited" worker=2 slot=0 code=0
}
