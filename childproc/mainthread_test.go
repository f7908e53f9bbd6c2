//go:build unix

package childproc_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spawnkit/spawnkit/childproc"
	"github.com/spawnkit/spawnkit/internal/testkit"
)

func init() {
	if os.Getenv(testkit.HelperEnv) == "main-thread" {
		// Locked during init, the main goroutine runs main (and so the
		// helper) on the process's main thread.
		runtime.LockOSThread()
	}
	// main-thread starts a sleeper that is not detached from the main
	// thread, prints its pid and whether a spawner goroutine ran, then
	// hangs until killed.
	testkit.RegisterHelper("main-thread", func(args []string) int {
		if gettid() != os.Getpid() {
			fmt.Fprintln(os.Stderr, "main-thread: not on the main thread")
			return 2
		}
		p, err := childproc.Spawn(context.Background(), "sleep", []string{args[0]}, &childproc.Options{
			Stdin: childproc.Ignore, Stdout: childproc.Ignore, Stderr: childproc.Ignore,
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		buf := make([]byte, 1<<20)
		spawner := bytes.Contains(buf[:runtime.Stack(buf, true)], []byte("childproc.spawnLoop"))
		fmt.Println(p.Pid, spawner)
		p.Wait()
		return 0
	})
}

// TestMainThreadStartsWithoutHandOff: a Spawn made on the process's main
// thread, which Go never ends, starts the child right there (no spawner
// goroutine runs), and the child still gets SIGKILL when the parent dies.
func TestMainThreadStartsWithoutHandOff(t *testing.T) {
	skipUnlessLinux(t, "only Linux hands starts to spawner threads (the parent-death signal follows the thread)", "main-thread")
	marker := uniqueSleep()
	name, args, opts := helper(t, "main-thread", marker)
	opts.Stderr = childproc.Ignore
	p, err := childproc.Spawn(context.Background(), name, args, opts)
	require.NoError(t, err)
	line := make([]byte, 64)
	n, err := p.Stdout.Read(line)
	require.NoError(t, err)
	fields := strings.Fields(string(line[:n]))
	require.Len(t, fields, 2, "helper printed %q", line[:n])
	pid, err := strconv.Atoi(fields[0])
	require.NoError(t, err)
	assert.Equal(t, "false", fields[1], "a spawner goroutine ran for a start on the main thread")
	require.True(t, testkit.Alive(pid))
	require.NoError(t, p.Signal(syscall.SIGKILL)) // the helper alone
	p.Wait()
	io.Copy(io.Discard, p.Stdout)
	waitGone(t, marker)
	collect(t, p)
}
