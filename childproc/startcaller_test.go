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
	runtime.LockOSThread() // keep this goroutine's thread: the next one runs on another
	defer runtime.UnlockOSThread()
	type started struct {
		p   *childproc.Process
		err error
		ok  bool
	}
	var s started
	for range 50 {
		ch := make(chan started, 1)
		go func() {
			runtime.LockOSThread()
			if gettid() == os.Getpid() {
				runtime.UnlockOSThread() // the main thread never ends
				ch <- started{}
				return
			}
			p, err := childproc.Spawn(context.Background(), "sleep", []string{"30"}, &childproc.Options{
				Stdin: childproc.Ignore, Stdout: childproc.Ignore, Stderr: childproc.Ignore,
				StartOnCallerThread: true,
			})
			ch <- started{p, err, true}
			// Return while locked: the runtime ends this thread.
		}()
		if s = <-ch; s.ok {
			break
		}
	}
	require.True(t, s.ok, "no goroutine ran on a thread other than the main one")
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
