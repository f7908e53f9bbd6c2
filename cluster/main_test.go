package cluster_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spawnkit/spawnkit/childproc"
	"github.com/spawnkit/spawnkit/cluster"
	"github.com/spawnkit/spawnkit/internal/testkit"
)

func TestMain(m *testing.M) {
	if childproc.Init() {
		return
	}
	if _, ok := os.LookupEnv(testkit.HelperEnv); cluster.IsWorker() && !ok {
		fmt.Fprintln(os.Stderr, "worker: started without a scenario")
		os.Exit(3)
	}
	testkit.Main(m)
}

// worker returns the helper that runs this test binary as a cluster worker
// running fn; tests choose it with testkit.HelperEnvFor in Config.ExtraEnv.
func worker(fn func(ctx context.Context, w *cluster.Worker) error) func([]string) int {
	return func([]string) int {
		if err := cluster.Run(context.Background(), &cluster.Config{Worker: fn}); err != nil {
			fmt.Fprintln(os.Stderr, "worker:", err)
			return 1
		}
		return 0
	}
}

func init() {
	for name, fn := range scenarios {
		testkit.RegisterHelper(name, worker(fn))
	}
}

// scenarios are the worker helpers that main_test.go itself uses.
var scenarios = map[string]func(ctx context.Context, w *cluster.Worker) error{
	// http serves GET / with "pid=P id=I v=VERSION users=U", /untilstop
	// once the worker is asked to stop, and 500ms more (sending the
	// message "untilstop" as it begins), /hang never (sending "hang",
	// then waiting until the client goes away), and echoes every message
	// back as {"id":I,"echo":M}.
	"http": func(ctx context.Context, w *cluster.Worker) error {
		var users atomic.Value
		users.Store("none")
		go func() {
			for m := range w.Messages() {
				var v struct{ Users *int }
				if m.Decode(&v) == nil && v.Users != nil {
					users.Store(strconv.Itoa(*v.Users))
				}
				w.Send(map[string]any{"id": w.ID, "echo": m})
			}
		}()
		ln, err := w.Listen(envOr("CLUSTER_TEST_NETWORK", "tcp"), envOr("CLUSTER_TEST_ADDR", "127.0.0.1:0"))
		if err != nil {
			return err
		}
		mux := http.NewServeMux()
		mux.HandleFunc("/", func(rw http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(rw, "pid=%d id=%d v=%s users=%s\n", os.Getpid(), w.ID, os.Getenv("CLUSTER_TEST_VERSION"), users.Load())
		})
		mux.HandleFunc("/untilstop", func(rw http.ResponseWriter, r *http.Request) {
			w.Send("untilstop")
			<-ctx.Done() // in flight when the drain begins, whenever that is
			time.Sleep(500 * time.Millisecond)
			fmt.Fprintf(rw, "pid=%d stopped\n", os.Getpid())
		})
		mux.HandleFunc("/hang", func(rw http.ResponseWriter, r *http.Request) {
			w.Send("hang")
			<-r.Context().Done()
		})
		return cluster.Serve(ctx, &http.Server{Handler: mux}, ln)
	},
	// unlisten serves GET / with "pid=P" until the primary sends it
	// "unlisten": then it closes its listener, answers "closed", and keeps
	// running without listening.
	"unlisten": func(ctx context.Context, w *cluster.Worker) error {
		ln, err := w.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		go func() {
			for m := range w.Messages() {
				if string(m) == `"unlisten"` {
					ln.Close()
					w.Send("closed")
				}
			}
		}()
		srv := &http.Server{Handler: http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(rw, "pid=%d\n", os.Getpid())
		})}
		go srv.Serve(ln)
		<-ctx.Done()
		return srv.Close()
	},
	// crash dies at once, as a broken worker does.
	"crash": func(ctx context.Context, w *cluster.Worker) error {
		return errors.New("crashing on purpose")
	},
	// idle never becomes ready, until asked to stop.
	"idle": func(ctx context.Context, w *cluster.Worker) error {
		<-ctx.Done()
		return ctx.Err()
	},
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// testCluster is a started cluster with every event recorded.
type testCluster struct {
	t  *testing.T
	p  *cluster.Primary
	mu sync.Mutex
	ev []cluster.Event
	ch chan struct{} // signalled on every event
	wg sync.WaitGroup
}

// start starts a cluster whose workers run scenario, with short timeouts
// suited to tests, and shuts it down at the end of the test.
func start(t *testing.T, scenario string, cfg cluster.Config, env ...string) *testCluster {
	t.Helper()
	cfg.Args = []string{}
	cfg.ExtraEnv = append([]string{testkit.HelperEnvFor(t, scenario)}, env...)
	if cfg.ShutdownTimeout == 0 {
		cfg.ShutdownTimeout = 10 * time.Second
	}
	p, err := cluster.Start(context.Background(), &cfg)
	require.NoError(t, err)
	return watch(t, p)
}

// watch records every event of p and shuts p down at the end of the test.
func watch(t *testing.T, p *cluster.Primary) *testCluster {
	t.Helper()
	tc := &testCluster{t: t, p: p, ch: make(chan struct{}, 1)}
	events := p.Events()
	tc.wg.Go(func() {
		for ev := range events {
			tc.mu.Lock()
			tc.ev = append(tc.ev, ev)
			tc.mu.Unlock()
			select {
			case tc.ch <- struct{}{}:
			default:
			}
		}
	})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		p.Shutdown(ctx)
		tc.wg.Wait()
		require.Empty(t, testkit.Zombies(), "zombie children after shutdown")
	})
	return tc
}

// events returns the events so far.
func (tc *testCluster) events() []cluster.Event {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	return append([]cluster.Event(nil), tc.ev...)
}

// waitFor waits until pred holds for the events so far.
func (tc *testCluster) waitFor(what string, within time.Duration, pred func([]cluster.Event) bool) []cluster.Event {
	tc.t.Helper()
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	for {
		evs := tc.events()
		if pred(evs) {
			return evs
		}
		select {
		case <-tc.ch:
		case <-deadline.C:
			tc.t.Fatalf("timed out waiting for %s; events:\n%s", what, render(tc.events()))
		}
	}
}

// waitMessages waits until the workers have sent n messages equal to
// the JSON text msg.
func (tc *testCluster) waitMessages(msg string, n int) {
	tc.t.Helper()
	tc.waitFor(fmt.Sprintf("%d messages %s", n, msg), time.Minute, func(evs []cluster.Event) bool {
		got := 0
		for _, ev := range evs {
			if ev.Kind == cluster.EventMessage && string(ev.Message) == msg {
				got++
			}
		}
		return got >= n
	})
}

// waitReady waits until n workers not yet exited are ready, and returns
// them.
func (tc *testCluster) waitReady(n int) []cluster.WorkerInfo {
	tc.t.Helper()
	var ready []cluster.WorkerInfo
	tc.waitFor(fmt.Sprintf("%d ready workers", n), 60*time.Second, func(evs []cluster.Event) bool {
		ready = readyWorkers(evs)
		return len(ready) >= n
	})
	return ready
}

// readyWorkers returns the workers that are ready and have not exited.
func readyWorkers(evs []cluster.Event) []cluster.WorkerInfo {
	exited := map[int]bool{}
	for _, ev := range evs {
		if ev.Kind == cluster.EventExit {
			exited[ev.Worker.ID] = true
		}
	}
	var out []cluster.WorkerInfo
	for _, ev := range evs {
		if ev.Kind == cluster.EventReady && !exited[ev.Worker.ID] {
			out = append(out, ev.Worker)
		}
	}
	return out
}

// count returns how many events of kind there are.
func count(evs []cluster.Event, kind cluster.EventKind) int {
	n := 0
	for _, ev := range evs {
		if ev.Kind == kind {
			n++
		}
	}
	return n
}

func render(evs []cluster.Event) string {
	var b strings.Builder
	for _, ev := range evs {
		b.WriteString("  " + ev.String() + "\n")
	}
	return b.String()
}

// url returns the base URL of the cluster's first TCP socket.
func (tc *testCluster) url() string {
	tc.t.Helper()
	for _, a := range tc.p.Addrs() {
		if ta, ok := a.(*net.TCPAddr); ok {
			return "http://" + ta.String()
		}
	}
	tc.t.Fatal("the cluster has no TCP socket")
	return ""
}

// pidOf extracts P from a "pid=P ..." body.
func pidOf(body []byte) int {
	f := bytes.Fields(body)
	if len(f) == 0 {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimPrefix(string(f[0]), "pid="))
	return pid
}
