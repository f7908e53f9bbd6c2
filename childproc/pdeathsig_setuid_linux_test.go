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
	// pid-namespace-init runs as the first process of a new pid namespace
	// (started with CLONE_NEWPID): it runs the helper that environment
	// entry args[0] names with args[1:], its stdout on ours, then waits
	// until its stdin closes. When it ends, the kernel kills every
	// process left in the namespace.
	testkit.RegisterHelper("pid-namespace-init", func(args []string) int {
		exe, err := os.Executable()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		cmd := exec.Command(exe, args[1:]...)
		cmd.Env = append(os.Environ(), args[0]) // the last entry of a name wins
		cmd.Stdout = os.Stdout
		if err := cmd.Start(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		io.Copy(io.Discard, os.Stdin)
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
//
// The surviving set-user-ID sleep must not outlive the test, whatever
// ends it (a failure, a timeout, the test binary killed): the sleeps run
// in a pid namespace of their own, whose first process (which ends when
// the test binary dies, its stdin closed) takes them with it.
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

	// Every process whose command line starts with prefix (a program of
	// dir): the pids the helper prints are those of the namespace.
	running := func(prefix string) (pids []int) {
		for _, p := range testkit.All() {
			cmdline, _ := os.ReadFile("/proc/" + strconv.Itoa(p.Pid) + "/cmdline")
			if !p.Zombie() && strings.HasPrefix(string(cmdline), prefix) {
				pids = append(pids, p.Pid)
			}
		}
		return pids
	}
	t.Cleanup(func() {
		// Named plain-sleep and setuid-sleep, strayMarker's search for
		// `sleep MARKER` misses them: they are looked for by path.
		for _, pid := range running(dir + "/") {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		require.Eventually(t, func() bool { return len(running(dir+"/")) == 0 },
			goneWithin, 10*time.Millisecond, "the sleeps outlived SIGKILL")
	})

	// The namespace's first process ends when its stdin reaches EOF:
	// when the cleanup closes it, or when the kernel does as this
	// process dies, however. (Not a parent-death signal: that would
	// come when the thread that started it ends, which another test's
	// goroutine returning locked to it could make happen meanwhile.)
	initProc := exec.Command(testkit.Executable(t), testkit.HelperEnvFor(t, "attached-as-nobody"), uniqueSleep(), plain, setuid)
	initProc.Env = append(os.Environ(), testkit.HelperEnvFor(t, "pid-namespace-init"))
	initProc.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID}
	initProc.Stderr = os.Stderr
	stdin, err := initProc.StdinPipe()
	require.NoError(t, err)
	stdout, err := initProc.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, initProc.Start(), "start a pid namespace")
	t.Cleanup(func() {
		// Registered after the kill above, so run before it: ending the
		// namespace's first process kills everything in the namespace.
		stdin.Close()
		initProc.Process.Kill()
		initProc.Wait()
	})
	line := make([]byte, 64)
	n, err := stdout.Read(line)
	require.NoError(t, err)
	require.Len(t, strings.Fields(string(line[:n])), 2, "helper printed %q", line[:n])
	plainPids, setuidPids := running(plain+"\x00"), running(setuid+"\x00")
	require.Len(t, plainPids, 1)
	require.Len(t, setuidPids, 1)
	plainPid, setuidPid := plainPids[0], setuidPids[0]
	t.Logf("plain %d, set-user-ID %d", plainPid, setuidPid)
	var helperPid int
	for _, p := range testkit.All() {
		if p.PPid == initProc.Process.Pid && !p.Zombie() {
			helperPid = p.Pid
		}
	}
	require.NotZero(t, helperPid, "no attached-as-nobody helper in the namespace")
	var status []byte
	require.Eventually(t, func() bool {
		status, _ = os.ReadFile("/proc/" + strconv.Itoa(setuidPid) + "/status")
		return strings.Contains(string(status), "\nUid:\t65534\t0\t") // real nobody, effective root
	}, goneWithin, 10*time.Millisecond, "the set-user-ID sleep never ran as root")

	require.NoError(t, syscall.Kill(helperPid, syscall.SIGKILL)) // the helper alone
	require.Eventually(t, func() bool { return !testkit.Alive(plainPid) }, goneWithin, 10*time.Millisecond,
		"the plain sleep outlived its parent")
	// Both got their parent-death signal, if any, at the same moment.
	time.Sleep(200 * time.Millisecond)
	assert.True(t, testkit.Alive(setuidPid), "the set-user-ID sleep was killed with its parent: the kernel kept its parent-death signal")
}
