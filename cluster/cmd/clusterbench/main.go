// Command clusterbench measures package cluster on this machine: the
// requests per second a CPU-bound HTTP handler serves as one process and
// as a cluster of workers, and the requests that fail while the cluster is
// reloaded under load.
//
//	clusterbench [-workers 0,1,2] [-duration 5s] [-concurrency 8] [-spin 10000000]
//	             [-gomaxprocs 0] [-reload] [-repeat 1]
//
// For each number in -workers it starts a server on a free loopback port,
// runs the load generator of package internal/load against it for -duration
// (one connection per request), and prints one line. 0 is a server inside
// clusterbench itself, sharing the load generator's process (printed as "1
// process"); N is a cluster of N worker processes, so "1 worker(s)" is one
// server process measured exactly like the cluster. With -reload it also
// runs Primary.Reload back to back during the load and reports the failed
// requests, which should be 0. -gomaxprocs sets GOMAXPROCS of the serving
// processes (0 = Go's default, all CPUs; 1 = one thread each, as a Node.js
// process); for 0 it is clusterbench's own, load generator included.
// -repeat runs the configurations in interleaved rounds and prints the
// median rate of each. bench/cluster.go parses the result lines: keep their
// format.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spawnkit/spawnkit/cluster"
	"github.com/spawnkit/spawnkit/internal/load"
)

var sink atomic.Uint64

// spin is the CPU-bound work of one request; the sum is kept so that the
// compiler cannot remove the loop.
func spin(n int) {
	x := uint64(1)
	for i := 0; i < n; i++ {
		x += uint64(i) ^ x>>3
	}
	sink.Add(x)
}

func handler(n int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		spin(n)
		fmt.Fprintf(w, "pid %d\n", os.Getpid())
	})
}

func main() {
	workers := flag.String("workers", "0,1,2", "comma-separated worker counts to measure; 0 = a server inside clusterbench")
	duration := flag.Duration("duration", 5*time.Second, "load duration per measurement")
	concurrency := flag.Int("concurrency", 8, "concurrent clients")
	n := flag.Int("spin", 1e7, "loop iterations per request")
	procs := flag.Int("gomaxprocs", 0, "GOMAXPROCS of the serving processes (0 = default)")
	reload := flag.Bool("reload", false, "also reload the cluster during the load and count failed requests")
	repeat := flag.Int("repeat", 1, "rounds; with more than one, print the median rate of each configuration")
	flag.Parse()

	if cluster.IsWorker() {
		err := cluster.Run(context.Background(), &cluster.Config{Worker: func(ctx context.Context, w *cluster.Worker) error {
			ln, err := w.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				return err
			}
			return cluster.Serve(ctx, &http.Server{Handler: handler(*n)}, ln)
		}})
		if err != nil {
			log.Fatal(err)
		}
		return
	}
	fmt.Printf("clusterbench: %d CPUs, %s/%s, spin %d, concurrency %d, %v per run, gomaxprocs %d, %d round(s)\n",
		runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, *n, *concurrency, *duration, *procs, *repeat)
	var counts []int
	for _, f := range strings.Split(*workers, ",") {
		w, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || w < 0 {
			log.Fatalf("bad -workers %q", *workers)
		}
		counts = append(counts, w)
	}
	// Rounds interleave the configurations, so that a change in the
	// machine's load hits them alike; the summary takes the medians.
	rates := map[string][]float64{}
	var order []string
	record := func(name string, res load.Result) {
		fmt.Printf("%-22s %v\n", name+":", res)
		if _, ok := rates[name]; !ok {
			order = append(order, name)
		}
		rates[name] = append(rates[name], res.PerSecond())
	}
	for range *repeat {
		for _, w := range counts {
			cfg := load.Config{Concurrency: *concurrency, Duration: *duration}
			if w == 0 {
				res, err := single(cfg, *n, *procs)
				if err != nil {
					log.Fatal(err)
				}
				record("1 process", res)
				continue
			}
			res, err := inCluster(cfg, w, *procs, false)
			if err != nil {
				log.Fatal(err)
			}
			record(fmt.Sprintf("%d worker(s)", w), res)
			if *reload {
				res, err := inCluster(cfg, w, *procs, true)
				if err != nil {
					log.Fatal(err)
				}
				record(fmt.Sprintf("%d worker(s) reloading", w), res)
				if res.Failed > 0 {
					fmt.Printf("  failures: %v\n", res.Errors)
				}
			}
		}
	}
	if *repeat > 1 {
		fmt.Println("medians:")
		for _, name := range order {
			r := rates[name]
			slices.Sort(r)
			fmt.Printf("  %-22s %.0f req/s\n", name+":", r[len(r)/2])
		}
	}
}

// single serves in this process.
func single(cfg load.Config, n, procs int) (load.Result, error) {
	if procs > 0 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return load.Result{}, err
	}
	srv := &http.Server{Handler: handler(n)}
	go srv.Serve(ln)
	defer srv.Close()
	cfg.URL = "http://" + ln.Addr().String()
	return load.Run(context.Background(), cfg)
}

// inCluster starts a cluster of workers, loads it, and, if reload, reloads
// it again and again meanwhile.
func inCluster(cfg load.Config, workers, procs int, reload bool) (load.Result, error) {
	ctx := context.Background()
	var env []string
	if procs > 0 {
		env = []string{"GOMAXPROCS=" + strconv.Itoa(procs)}
	}
	p, err := cluster.Start(ctx, &cluster.Config{Workers: workers, ExtraEnv: env})
	if err != nil {
		return load.Result{}, err
	}
	defer p.Shutdown(ctx)
	var ready atomic.Int64
	events := p.Events()
	go func() {
		for ev := range events {
			if ev.Kind == cluster.EventReady {
				ready.Add(1)
			}
		}
	}()
	deadline := time.Now().Add(time.Minute)
	for ready.Load() < int64(workers) {
		if time.Now().After(deadline) {
			return load.Result{}, fmt.Errorf("only %d of %d workers ready after a minute", ready.Load(), workers)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cfg.URL = "http://" + p.Addrs()[0].String()
	if !reload {
		return load.Run(ctx, cfg)
	}
	lctx, stop := context.WithCancel(ctx)
	reloads := 0
	reloading := make(chan struct{})
	go func() {
		defer close(reloading)
		defer stop()
		for lctx.Err() == nil {
			if err := p.Reload(lctx); err != nil {
				return
			}
			reloads++
		}
	}()
	res, err := load.Run(lctx, cfg)
	stop()
	<-reloading // reloads is read only once the reloading goroutine is done
	fmt.Printf("  (%d rolling restarts of %d workers during the run)\n", reloads, workers)
	return res, err
}
