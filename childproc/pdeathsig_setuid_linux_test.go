//go:build linux && !spawnkit_portable

package childproc_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/spawnkit/spawnkit/childproc"
	"github.com/spawnkit/spawnkit/internal/testkit"
)

func init() {
	// attached-as-nobody starts each program of args[1:] as user nobody,
	// not detached, with the marker args[0] as its argument, prints their
	// pids on one line, then hangs until killed.
	testkit.RegisterHelper("attached-as-nobody", func(args []string) int {
		var pids []string
		var procs []*childproc.Process
		for _, path := range args[1:] {
			p, err := childproc.Spawn(context.Background(), path, []string{args[0]}, &childproc.Options{
				Stdin: childproc.Ignore, Stdout: childproc.Ignore, Stderr: childproc.Ignore,
				Credential: &syscall.Credential{Uid: 65534, Gid: 65534, NoSetGroups: true},
			})
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			pids = append(pids, strconv.Itoa(p.Pid))
			procs = append(procs, p)
		}
		fmt.Println(strings.Join(pids, " "))
		for _, p := range procs {
			p.Wait()
		}
		return 0
	})
}

// TestParentDeathSignalClearedBySetuidExec: the kernel clears a child's
// parent-death signal when it executes a set-user-ID or set-group-ID
// program, or one with file capabilities (prctl(2)), so such a child is
// not killed when the parent is killed outright; a plain program started
// the same way is. (The documented exception to "dies with the parent":
// the sleeps here are a copy of sleep(1), plain and set-user-ID root, run
// as nobody.)
func TestParentDeathSignalClearedBySetuidExec(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root, to make a set-user-ID root program and run it as nobody")
	}
	dir, err := os.MkdirTemp("", "spawnkit-setuid-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	require.NoError(t, os.Chmod(dir, 0o755)) // nobody must reach the programs
	var st unix.Statfs_t
	require.NoError(t, unix.Statfs(dir, &st))
	if st.Flags&unix.ST_NOSUID != 0 {
		t.Skipf("%s is on a nosuid file system", dir)
	}
	sleep, err := exec.LookPath("sleep")
	require.NoError(t, err)
	b, err := os.ReadFile(sleep)
	require.NoError(t, err)
	plain, setuid := filepath.Join(dir, "plain-sleep"), filepath.Join(dir, "setuid-sleep")
	require.NoError(t, os.WriteFile(plain, b, 0o755))
	require.NoError(t, os.WriteFile(setuid, b, 0o755))
	require.NoError(t, os.Chmod(setuid, 0o755|os.ModeSetuid))

	marker := uniqueSleep()
	name, args, opts := helper(t, "attached-as-nobody", marker, plain, setuid)
	opts.Stderr = childproc.Ignore
	p, err := childproc.Spawn(context.Background(), name, args, opts)
	require.NoError(t, err)
	line := make([]byte, 64)
	n, err := p.Stdout.Read(line)
	require.NoError(t, err)
	fields := strings.Fields(string(line[:n]))
	require.Len(t, fields, 2, "helper printed %q", line[:n])
	plainPid, _ := strconv.Atoi(fields[0])
	setuidPid, _ := strconv.Atoi(fields[1])
	t.Logf("plain %d, set-user-ID %d", plainPid, setuidPid)
	t.Cleanup(func() {
		// Named plain-sleep and setuid-sleep, strayMarker's search for
		// `sleep MARKER` misses them: every process running a program
		// of dir is killed here.
		inDir := func() (pids []int) {
			for _, p := range testkit.All() {
				cmdline, _ := os.ReadFile("/proc/" + strconv.Itoa(p.Pid) + "/cmdline")
				if !p.Zombie() && strings.HasPrefix(string(cmdline), dir+"/") {
					pids = append(pids, p.Pid)
				}
			}
			return pids
		}
		for _, pid := range inDir() {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		require.Eventually(t, func() bool { return len(inDir()) == 0 },
			goneWithin, 10*time.Millisecond, "the sleeps outlived SIGKILL")
	})
	var status []byte
	require.Eventually(t, func() bool {
		status, _ = os.ReadFile("/proc/" + fields[1] + "/status")
		return strings.Contains(string(status), "\nUid:\t65534\t0\t") // real nobody, effective root
	}, goneWithin, 10*time.Millisecond, "the set-user-ID sleep never ran as root")

	require.NoError(t, p.Signal(syscall.SIGKILL)) // the helper alone
	p.Wait()
	io.Copy(io.Discard, p.Stdout)
	collect(t, p)
	require.Eventually(t, func() bool { return !testkit.Alive(plainPid) }, goneWithin, 10*time.Millisecond,
		"the plain sleep outlived its parent")
	// Both got their parent-death signal, if any, at the same moment.
	time.Sleep(200 * time.Millisecond)
	assert.True(t, testkit.Alive(setuidPid), "the set-user-ID sleep was killed with its parent: the kernel kept its parent-death signal")
}
