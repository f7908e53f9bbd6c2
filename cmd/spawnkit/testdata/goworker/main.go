// Command goworker is a socket-activated Go HTTP worker for spawnkit's
// tests: it serves fd 3 with cluster.Serve, says READY=1 on
// NOTIFY_SOCKET (unless WORKER_MODE=never-ready) and drains on SIGTERM.
package main

import (
	"context"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/spawnkit/spawnkit/cluster"
)

func main() {
	if os.Getenv("LISTEN_PID") != strconv.Itoa(os.Getpid()) {
		log.Fatalf("goworker: LISTEN_PID=%q is not my pid %d", os.Getenv("LISTEN_PID"), os.Getpid())
	}
	f := os.NewFile(3, os.Getenv("LISTEN_FDNAMES"))
	ln, err := net.FileListener(f)
	if err != nil {
		log.Fatal(err)
	}
	f.Close()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	gen := os.Getenv("GEN")
	if gen == "" {
		gen = "0"
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s %d go\n", gen, os.Getpid())
	})}
	if os.Getenv("WORKER_MODE") != "never-ready" {
		c, err := net.Dial("unixgram", os.Getenv("NOTIFY_SOCKET"))
		if err != nil {
			log.Fatal(err)
		}
		c.Write([]byte("READY=1"))
		c.Close()
	}
	if err := cluster.Serve(ctx, srv, ln); err != nil {
		log.Fatal(err)
	}
}
