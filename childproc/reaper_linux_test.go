//go:build linux && !spawnkit_portable

package childproc_test

import (
	"context"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/spawnkit/spawnkit/childproc"
	"github.com/spawnkit/spawnkit/internal/testkit"
)

// TestRunningChildrenBlockNoThread: while children run and nobody waits
// for them, no thread is blocked waiting for their exit (one exit watcher
// reads their pidfds through the netpoller); they are still reaped, with
// their events in order, when they end.
func TestRunningChildrenBlockNoThread(t *testing.T) {
	testkit.NoLeaks(t)
	marker := uniqueSleep()
	const n = 24
	procs := make([]*childproc.Process, n)
	for i := range procs {
		p, err := childproc.Spawn(context.Background(), "sleep", []string{marker}, &childproc.Options{
			Stdin: childproc.Ignore, Stdout: childproc.Ignore, Stderr: childproc.Ignore,
		})
		require.NoError(t, err)
		procs[i] = p
	}
	require.Eventually(t, func() bool { return len(pidsRunning(marker)) == n }, goneWithin, 10*time.Millisecond)
	assert.Zero(t, testkit.ThreadsInSyscall(t, unix.SYS_WAITID), "threads blocked in waitid for %d running children", n)
	for _, p := range procs {
		require.NoError(t, p.Signal(syscall.SIGTERM))
	}
	for _, p := range procs {
		// Not Wait: the exit watcher alone reaps them.
		assert.Equal(t, []string{"spawn", "exit(signal=terminated)", "close(signal=terminated)"}, kinds(collect(t, p)))
		st, ok := p.ExitStatus()
		assert.True(t, ok)
		assert.Equal(t, syscall.SIGTERM, st.Signal)
	}
	waitGone(t, marker)
}

// TestWaitRacesTheExitWatcher: many children exit while their Wait
// callers arrive before, at and after the exit, so that the Wait caller
// and the exit watcher race to reap; each child is reaped once, every
// Wait returns its status, and the events stay in order.
func TestWaitRacesTheExitWatcher(t *testing.T) {
	testkit.NoLeaks(t)
	const n = 64
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code := i % 3
			p, err := childproc.Spawn(context.Background(), "sh", []string{"-c", "exit " + strconv.Itoa(code)}, &childproc.Options{
				Stdin: childproc.Ignore, Stdout: childproc.Ignore, Stderr: childproc.Ignore,
			})
			if !assert.NoError(t, err) {
				return
			}
			if i%2 == 1 {
				for range p.Events() { // the watcher may well reap first
				}
			}
			var waits sync.WaitGroup
			for range 3 {
				waits.Add(1)
				go func() {
					defer waits.Done()
					err := p.Wait()
					if code == 0 {
						assert.NoError(t, err)
						return
					}
					var ee *childproc.ExitError
					if assert.ErrorAs(t, err, &ee) {
						assert.Equal(t, code, ee.ExitCode)
					}
				}()
			}
			waits.Wait()
			if i%2 == 0 {
				want := "exit(code=" + strconv.Itoa(code) + ")"
				assert.Equal(t, []string{"spawn", want, "close" + want[4:]}, kinds(collect(t, p)))
			}
		}()
	}
	wg.Wait()
}
