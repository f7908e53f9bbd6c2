// Command cluster-http is an HTTP server that runs as a cluster of worker
// processes sharing one port, after the Node.js cluster examples: GET /
// answers with the pid of the worker that handled it and the users count
// the primary broadcasts.
//
//	cluster-http [-workers N] [-addr HOST:PORT] [-crash] [-broadcast 10s]
//
// The primary prints every worker event on stdout. Workers that die are
// replaced (-crash makes each worker die 1 to 10 seconds after it started);
// `kill -USR2 PRIMARY_PID` replaces the workers one by one without refusing
// a request (also after a new binary was installed at the same path);
// `kill -TERM PRIMARY_PID` (or ^C) lets the requests in flight finish and
// exits 0.
//
// Started by systemd socket activation (LISTEN_FDS), the primary uses the
// socket systemd passed when its address matches -addr.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"net/http"
	"os"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/spawnkit/spawnkit/cluster"
)

func main() {
	workers := flag.Int("workers", runtime.NumCPU(), "number of worker processes")
	addr := flag.String("addr", "127.0.0.1:8000", "address to serve on (port 0: any free port)")
	crash := flag.Bool("crash", false, "workers die at random, 1 to 10 seconds after they start")
	broadcast := flag.Duration("broadcast", 0, "broadcast the users count to every worker at this interval (0: never)")
	flag.Parse()

	cfg := cluster.Config{
		Workers: *workers,
		Worker: func(ctx context.Context, w *cluster.Worker) error {
			return work(ctx, w, *addr, *crash)
		},
		Primary: func(ctx context.Context, p *cluster.Primary) error {
			return supervise(ctx, p, *broadcast)
		},
	}
	if *crash {
		// Deaths every 1-10s are the point here, not a crash loop.
		cfg.CrashLimit, cfg.CrashWindow = 10, 10*time.Second
	}
	if err := cluster.Run(context.Background(), &cfg); err != nil {
		log.Fatal(err)
	}
	if cluster.IsPrimary() {
		fmt.Printf("primary %d: all workers stopped, exiting\n", os.Getpid())
	}
}

// work is one worker: serve GET / until asked to stop.
func work(ctx context.Context, w *cluster.Worker, addr string, crash bool) error {
	var users atomic.Int64
	users.Store(-1)
	go func() {
		for m := range w.Messages() {
			var msg struct{ UsersCount *int64 }
			if m.Decode(&msg) == nil && msg.UsersCount != nil {
				users.Store(*msg.UsersCount)
			}
		}
	}()
	if crash {
		time.AfterFunc(time.Second+rand.N(9*time.Second), func() {
			fmt.Fprintf(os.Stderr, "worker %d: dying at random\n", os.Getpid())
			os.Exit(1)
		})
	}
	ln, err := w.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(rw, r)
			return
		}
		fmt.Fprintf(rw, "Handled by worker %d (users: %d)\n", os.Getpid(), users.Load())
	})}
	return cluster.Serve(ctx, srv, ln)
}

// supervise runs in the primary: it prints the workers' events and owns
// the users count, which it sends to every worker that comes online and
// broadcasts at the interval.
func supervise(ctx context.Context, p *cluster.Primary, every time.Duration) error {
	users := int64(5) // the "database"
	var tick <-chan time.Time
	if every > 0 {
		t := time.NewTicker(every)
		defer t.Stop()
		tick = t.C
	}
	listening := false
	events := p.Events()
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				return nil
			}
			fmt.Printf("primary %d: %v\n", os.Getpid(), ev)
			switch ev.Kind {
			case cluster.EventOnline:
				p.Send(ev.Worker.ID, map[string]int64{"usersCount": users})
			case cluster.EventListening:
				if !listening {
					listening = true
					fmt.Printf("primary %d: listening on http://%s\n", os.Getpid(), ev.Addr)
				}
			}
		case <-tick:
			users += rand.Int64N(10)
			p.Broadcast(map[string]int64{"usersCount": users})
		case <-ctx.Done():
			// Keep printing until the last worker has gone: Events closes.
			tick = nil
		}
	}
}
