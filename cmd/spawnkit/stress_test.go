//go:build linux

package main

import (
	"context"
	"math/rand/v2"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/spawnkit/spawnkit/internal/testkit"
)

// TestStressCtlCommandsRacingReloadAndStop fires every control command at
// once from several clients (reload with and without --wait, scale, restart,
// signal, status) and SIGHUP, in 3 rounds (60 with SPAWNKIT_STRESS=1),
// under 8 HTTP clients, then stops the
// supervisor with SIGTERM while a reload runs: every command returns, no
// request fails, the supervisor exits 0 and leaves no worker.
func TestStressCtlCommandsRacingReloadAndStop(t *testing.T) {
	need(t, "python3")
	s := startSup(t, "-n", "2", "-l", "http=tcp://127.0.0.1:0", "--restart-delay", "10ms", "--", "./worker.py")
	s.waitReady(2)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := load(ctx, "http://"+s.addr("http")+"/", 8)

	rounds := 3
	if os.Getenv(testkit.StressEnv) != "" {
		rounds = 60
	}
	cmds := [][]string{
		{"reload", "--wait"}, {"reload"}, {"scale", "3"}, {"scale", "1"}, {"scale", "2"},
		{"restart", "0"}, {"restart", "1"}, {"signal", "USR1"}, {"status"}, {"status", "--json"},
	}
	var mu sync.Mutex
	results := map[string]int{}
	for round := range rounds {
		var wg sync.WaitGroup
		for range 4 {
			c := cmds[rand.IntN(len(cmds))]
			wg.Go(func() {
				done := make(chan struct{})
				var err error
				go func() { _, err = s.ctl(c...); close(done) }()
				select {
				case <-done:
				case <-time.After(2 * time.Minute):
					t.Errorf("round %d: ctl %q hangs", round, c)
					return
				}
				key := c[0] + " ok"
				if err != nil {
					key = c[0] + " error: " + err.Error()
				}
				mu.Lock()
				results[key]++
				mu.Unlock()
			})
		}
		if rand.IntN(3) == 0 {
			s.cmd.Process.Signal(syscall.SIGHUP)
		}
		wg.Wait()
	}
	for k, n := range results {
		t.Logf("%3d × %s", n, k)
	}
	if _, err := s.ctl("scale", "2"); err != nil {
		t.Fatal(err)
	}
	s.waitReady(2)
	// SIGTERM while a reload runs.
	go s.ctl("reload", "--wait")
	time.Sleep(time.Duration(rand.IntN(300)) * time.Millisecond)
	cancel()
	r.wait()
	r.check(t)
	if code := s.stop(); code != 0 {
		t.Errorf("exit code %d after SIGTERM during a reload; want 0", code)
	}
}
