//go:build unix

package childproc_test

import (
	"context"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spawnkit/spawnkit/childproc"
)

// TestStartOnCallerThreadKeepsParentDeath: a child started with
// Options.StartOnCallerThread still gets SIGKILL when its parent dies.
func TestStartOnCallerThreadKeepsParentDeath(t *testing.T) {
	skipUnlessLinux(t, "a non-detached child gets SIGKILL when the parent dies (PDEATHSIG)")
	requireParentDeathKills(t, "caller")
}

// TestStartOnCallerThreadDiesWithItsThread shows the documented cost of
// Options.StartOnCallerThread: started from a goroutine that then returns
// while locked to its thread, the child gets SIGKILL from the kernel as
// that thread ends, while the parent runs on.
func TestStartOnCallerThreadDiesWithItsThread(t *testing.T) {
	skipUnlessLinux(t, "PDEATHSIG follows the thread that started the child")
	type started struct {
		p   *childproc.Process
		err error
	}
	s := onThreadThatEnds(t, func(int) started {
		p, err := childproc.Spawn(context.Background(), "sleep", []string{"30"}, &childproc.Options{
			Stdin: childproc.Ignore, Stdout: childproc.Ignore, Stderr: childproc.Ignore,
			StartOnCallerThread: true,
		})
		return started{p, err}
	})
	require.NoError(t, s.err)
	done := make(chan error, 1)
	go func() { done <- s.p.Wait() }()
	select {
	case err := <-done:
		var ee *childproc.ExitError
		require.ErrorAs(t, err, &ee)
		assert.Equal(t, syscall.SIGKILL, ee.Signal)
		assert.False(t, ee.Killed, "the kernel killed it, not the library")
	case <-time.After(20 * time.Second):
		s.p.Kill()
		<-done
		t.Fatal("the child outlived the thread that started it for 20s")
	}
	collect(t, s.p)
}

// onThreadThatEnds runs fn on a goroutine locked to an OS thread other than
// the process's main one, passing the thread's id, and returns what fn
// returns; the goroutine then returns while still locked, so the runtime
// ends that thread. Go never ends the main thread, and the scheduler hands
// a new goroutine to the main thread again and again once it is the idle
// one (a loop of 50 tries all landed there in 11 of 200 runs): a try that
// lands on it parks there, locked, until the test ends, so the second try
// cannot land on it.
func onThreadThatEnds[T any](t *testing.T, fn func(tid int) T) T {
	t.Helper()
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	type result struct {
		v  T
		ok bool
	}
	for range 2 {
		ch := make(chan result, 1)
		go func() {
			runtime.LockOSThread()
			tid := gettid()
			if tid == os.Getpid() {
				ch <- result{}
				<-release
				runtime.UnlockOSThread()
				return
			}
			ch <- result{fn(tid), true}
			// Return while locked: the runtime ends this thread.
		}()
		if r := <-ch; r.ok {
			return r.v
		}
	}
	t.Fatal("a goroutine landed on the main thread while another held it locked")
	panic("unreachable: Fatal returned")
}
