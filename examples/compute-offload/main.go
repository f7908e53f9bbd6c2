// Command compute-offload is the "don't block the event loop" example of
// Node.js's child_process.fork documentation, in Go: an HTTP server whose
// /compute endpoint runs a long CPU-bound loop in a forked worker process
// (a pool.Pool), while / keeps answering at once.
//
//	$ compute-offload -addr 127.0.0.1:3000
//	listening on http://127.0.0.1:3000
//	$ curl localhost:3000/compute          # sum of 0..n-1, n = -n (1e9)
//	Sum is 499999999500000000
//	$ curl 'localhost:3000/compute?n=10'
//	Sum is 45
//	$ curl localhost:3000/                 # at once, even while /compute runs
//	Ok
//
// The server prints its listening address on stdout once it accepts
// connections (use -addr 127.0.0.1:0 for any free port). Each worker logs a
// line on stderr when it starts a sum ("compute: worker pid P: summing N
// numbers"). SIGINT or SIGTERM shuts the server down: running requests
// finish, then the workers stop, and it exits 0.
//
// Go goroutines would keep / responsive without any process; the worker
// process is what Node needs, and what a Go program needs too when the work
// must be isolated (a crash or a runaway loop kills only the worker, which is
// replaced) or killed from outside.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"syscall"
	"time"

	"github.com/spawnkit/spawnkit/childproc"
	"github.com/spawnkit/spawnkit/ipc"
	"github.com/spawnkit/spawnkit/pool"
)

const role = "compute"

func main() {
	pool.Register(role, longComputation)
	if childproc.Init() {
		return
	}
	addr := flag.String("addr", "127.0.0.1:3000", "address to listen on")
	n := flag.Int64("n", 1e9, "numbers /compute sums when the request has no ?n=")
	workers := flag.Int("workers", runtime.NumCPU(), "worker processes")
	flag.Parse()
	if err := serve(*addr, *n, *workers); err != nil {
		fmt.Fprintln(os.Stderr, "compute-offload:", err)
		os.Exit(1)
	}
}

// longComputation runs in a worker: it sums 0..n-1 the slow way, as the
// Node example does, checking every 2^20 steps whether the caller gave up.
func longComputation(ctx context.Context, task ipc.Message) (any, error) {
	var n int64
	if err := task.Decode(&n); err != nil {
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "compute: worker pid %d: summing %d numbers\n", os.Getpid(), n)
	var sum int64
	for i := int64(0); i < n; i++ {
		if i&(1<<20-1) == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		sum += i
	}
	return sum, nil
}

func serve(addr string, defaultN int64, workers int) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	p, err := pool.New(context.Background(), role, &pool.Options{Workers: workers, Queue: 64})
	if err != nil {
		return err
	}
	defer p.Close(context.Background())

	mux := http.NewServeMux()
	mux.HandleFunc("GET /compute", func(w http.ResponseWriter, r *http.Request) {
		n := defaultN
		if s := r.URL.Query().Get("n"); s != "" {
			v, err := strconv.ParseInt(s, 10, 64)
			if err != nil || v < 0 {
				http.Error(w, "n must be a non-negative integer", http.StatusBadRequest)
				return
			}
			n = v
		}
		res, err := p.Submit(r.Context(), n)
		if err != nil {
			if r.Context().Err() == nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
			}
			return
		}
		fmt.Fprintf(w, "Sum is %s\n", res)
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "Ok")
	})

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	fmt.Printf("listening on http://%s\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	stop()
	// Let running requests finish (and their sums), then stop the workers.
	if err := srv.Shutdown(context.Background()); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return p.Close(context.Background())
}
