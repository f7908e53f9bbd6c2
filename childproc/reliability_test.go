//go:build unix

package childproc_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spawnkit/spawnkit/childproc"
	"github.com/spawnkit/spawnkit/internal/iox"
	"github.com/spawnkit/spawnkit/internal/testkit"
	"github.com/spawnkit/spawnkit/ipc"
)

func init() {
	// flood-stderr writes 1 GiB to stderr, nothing to stdout.
	testkit.RegisterHelper("flood-stderr", func([]string) int {
		buf := bytes.Repeat([]byte("e"), 1<<20)
		for range 1 << 10 {
			if _, err := os.Stderr.Write(buf); err != nil {
				return 3
			}
		}
		return 0
	})
	// ipc-garbage writes raw bytes on the channel: a line that is not
	// JSON, then a good one.
	testkit.RegisterHelper("ipc-garbage", func([]string) int {
		ch := os.NewFile(3, "channel")
		ch.WriteString("{\"a\":}\n{\"ok\":1}\n")
		time.Sleep(100 * time.Millisecond)
		return 0
	})
	// ipc-hang writes half a message, then nothing until killed.
	testkit.RegisterHelper("ipc-hang", func([]string) int {
		ch := os.NewFile(3, "channel")
		ch.WriteString(`{"half":`)
		fmt.Println("ready")
		for {
			time.Sleep(time.Hour)
		}
	})
	// ipc-endless writes 4 GiB without a newline on the channel.
	testkit.RegisterHelper("ipc-endless", func([]string) int {
		ch := os.NewFile(3, "channel")
		buf := bytes.Repeat([]byte("a"), 1<<20)
		for range 4 << 10 {
			if _, err := ch.Write(buf); err != nil {
				return 0 // the parent gave up: expected
			}
		}
		return 3
	})
	testkit.RegisterHelper("orphaner", orphaner)
	testkit.RegisterHelper("emfile", func([]string) int { return emfile() })
}

// reliabilityHelperCmd returns the name and options that run this test
// binary as the registered helper name.
func reliabilityHelperCmd(t *testing.T, name string, opts *childproc.Options) (string, *childproc.Options) {
	t.Helper()
	if opts == nil {
		opts = &childproc.Options{}
	}
	opts.ExtraEnv = append(opts.ExtraEnv, testkit.HelperEnvFor(t, name))
	return testkit.Executable(t), opts
}

// relFeeding reports whether a goroutine is still copying an Input or Reader
// into a child's stdin.
func relFeeding() bool {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	return bytes.Contains(buf, []byte("childproc.feed("))
}

func TestFloodStderrExecHitsMaxBuffer(t *testing.T) {
	// 1 GiB to stderr, stdout quiet: Exec stops at MaxBuffer at once.
	start := time.Now()
	res, err := childproc.Exec(context.Background(), "head -c 1073741824 /dev/zero >&2", nil)
	require.ErrorIs(t, err, childproc.ErrMaxBuffer)
	assert.Len(t, res.Stderr, childproc.DefaultMaxBuffer)
	assert.Empty(t, res.Stdout)
	assert.Less(t, time.Since(start), 20*time.Second)

	name, opts := reliabilityHelperCmd(t, "flood-stderr", &childproc.Options{MaxBuffer: 4096})
	res, err = childproc.ExecFile(context.Background(), name, nil, opts)
	require.ErrorIs(t, err, childproc.ErrMaxBuffer)
	assert.Len(t, res.Stderr, 4096)
}

func TestFloodStderrSpawnNobodyReads(t *testing.T) {
	// Documented: with Pipe, a child whose output nobody reads blocks once
	// the pipe is full; it ends (SIGPIPE) when the caller closes the stream.
	name, opts := reliabilityHelperCmd(t, "flood-stderr", &childproc.Options{Stdin: childproc.Ignore})
	p, err := childproc.Spawn(context.Background(), name, nil, opts)
	require.NoError(t, err)
	stdout := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(p.Stdout)
		stdout <- b
	}()
	waited := make(chan error, 1)
	go func() { waited <- p.Wait() }()
	select {
	case err := <-waited:
		t.Fatalf("Wait returned %v while stderr was full and unread", err)
	case <-time.After(300 * time.Millisecond):
	}
	assert.True(t, testkit.Alive(p.Pid), "the child is blocked, not gone")
	require.NoError(t, p.Stderr.Close())
	select {
	case err := <-waited:
		var ee *childproc.ExitError
		require.ErrorAs(t, err, &ee)
		assert.Equal(t, syscall.SIGPIPE, ee.Signal)
		assert.False(t, ee.Killed)
	case <-time.After(20 * time.Second):
		p.Kill()
		t.Fatal("Wait did not return after Stderr was closed")
	}
	assert.Empty(t, <-stdout)
	assert.Equal(t, []string{"spawn", "exit(signal=broken pipe)", "close(signal=broken pipe)"}, kinds(collect(t, p)))
}

func TestInputNeverReadStillTimesOut(t *testing.T) {
	// The child never reads stdin while 100 MiB wait to be fed.
	start := time.Now()
	_, err := childproc.Exec(context.Background(), "sleep 30", &childproc.Options{
		Input:   io.LimitReader(iox.Zeros{}, 100<<20),
		Timeout: 200 * time.Millisecond,
	})
	var ee *childproc.ExitError
	require.ErrorAs(t, err, &ee)
	assert.True(t, ee.TimedOut)
	assert.Less(t, time.Since(start), 10*time.Second)
	assert.Eventually(t, func() bool { return !relFeeding() }, goneWithin, 10*time.Millisecond, "the feeding goroutine ended")
}

func TestInputNotFedAfterExecReturns(t *testing.T) {
	// The shell exits at once; a grandchild keeps stdin open and never
	// reads it. Exec returns, and from then on the caller's Input is not
	// read any more: the feeding goroutine ends instead of blocking until
	// the grandchild exits.
	marker := strayMarker(t)
	_, err := childproc.Exec(context.Background(), "exec 3<&0; setsid sleep "+marker+" <&3 >/dev/null 2>&1 3<&- & exit 0", &childproc.Options{
		Input:     io.LimitReader(iox.Zeros{}, 100<<20),
		KillDelay: 200 * time.Millisecond,
	})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(pidsRunning(marker)) == 1 }, goneWithin, 10*time.Millisecond, "the grandchild holds stdin")
	assert.Eventually(t, func() bool { return !relFeeding() }, goneWithin, 10*time.Millisecond, "the feeding goroutine ended")
}

func TestHostileIPCChild(t *testing.T) {
	t.Run("invalid JSON", func(t *testing.T) {
		name, opts := reliabilityHelperCmd(t, "ipc-garbage", &childproc.Options{IPC: true, Stdin: childproc.Ignore, Stdout: childproc.Ignore, Stderr: childproc.Ignore})
		p, err := childproc.Spawn(context.Background(), name, nil, opts)
		require.NoError(t, err)
		events := collect(t, p)
		require.NoError(t, p.Wait())
		var sawSyntax bool
		for _, ev := range events {
			var se *ipc.SyntaxError
			if ev.Kind == childproc.EventError && errors.As(ev.Err, &se) {
				sawSyntax = true
			}
		}
		assert.True(t, sawSyntax, "an EventError wraps *ipc.SyntaxError: %v", events)
		assert.Contains(t, kinds(events), `message({"ok":1})`, "the line after the bad one is delivered")
		assert.Contains(t, kinds(events), "disconnect")
		assert.Equal(t, "spawn", kinds(events)[0])
		assert.Equal(t, "close(code=0)", kinds(events)[len(events)-1])
	})

	t.Run("killed with SIGKILL mid-message", func(t *testing.T) {
		name, opts := reliabilityHelperCmd(t, "ipc-hang", &childproc.Options{IPC: true, Stdin: childproc.Ignore, Stderr: childproc.Ignore})
		p, err := childproc.Spawn(context.Background(), name, nil, opts)
		require.NoError(t, err)
		line, err := bufio.NewReader(p.Stdout).ReadString('\n')
		require.NoError(t, err)
		require.Equal(t, "ready\n", line)
		go io.Copy(io.Discard, p.Stdout)
		require.NoError(t, p.Kill())
		events := collect(t, p)
		got := kinds(events)
		assert.Equal(t, "spawn", got[0])
		assert.Equal(t, "close(signal=killed)", got[len(got)-1])
		assert.Contains(t, got, "exit(signal=killed)")
		assert.Contains(t, got, "disconnect")
		assert.False(t, p.Connected())
		assert.ErrorIs(t, p.Send("late"), childproc.ErrDisconnected)
	})

	t.Run("endless line", func(t *testing.T) {
		name, opts := reliabilityHelperCmd(t, "ipc-endless", &childproc.Options{IPC: true, Stdin: childproc.Ignore, Stdout: childproc.Ignore, Stderr: childproc.Ignore})
		p, err := childproc.Spawn(context.Background(), name, nil, opts)
		require.NoError(t, err)
		events := collect(t, p)
		require.NoError(t, p.Wait(), "the child's write fails and it exits")
		var tooLarge bool
		for _, ev := range events {
			if ev.Kind == childproc.EventError && errors.Is(ev.Err, ipc.ErrTooLarge) {
				tooLarge = true
			}
		}
		assert.True(t, tooLarge, "EventError wraps ipc.ErrTooLarge: %v", events)
		assert.Contains(t, kinds(events), "disconnect")
	})
}

// orphaner starts a child with a grandchild, a Detached child and a
// Detached+Unref'd child, says "ready" and waits to be killed.
func orphaner(markers []string) int {
	ctx := context.Background()
	quiet := &childproc.Options{Stdin: childproc.Ignore, Stdout: childproc.Ignore, Stderr: childproc.Ignore}
	if _, err := childproc.Spawn(ctx, "sh", []string{"-c", "sleep " + markers[1] + " & exec sleep " + markers[0]}, quiet); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	detached := *quiet
	detached.Detached = true
	if _, err := childproc.Spawn(ctx, "sleep", []string{markers[2]}, &detached); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	p, err := childproc.Spawn(ctx, "sleep", []string{markers[3]}, &detached)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	p.Unref()
	fmt.Println("ready")
	for {
		time.Sleep(time.Hour)
	}
}

func TestParentKilledWithChildren(t *testing.T) {
	skipUnlessLinux(t, "a non-detached child gets SIGKILL when the parent dies (PDEATHSIG)", "orphaner")
	// What happens when the parent dies by SIGKILL (no deferred cleanup
	// runs): its non-detached child dies (parent-death signal), but what
	// that child started does not, and Detached children live on whether
	// or not they were Unref'd. docs/GUARANTEES.md says so.
	child, grandchild, detached, unrefd := uniqueSleep()+"1", uniqueSleep()+"2", uniqueSleep()+"3", uniqueSleep()+"4"
	all := []string{child, grandchild, detached, unrefd}
	defer func() {
		for _, m := range all {
			for _, pid := range pidsRunning(m) {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		for _, m := range all {
			waitGone(t, m)
		}
	}()
	name, opts := reliabilityHelperCmd(t, "orphaner", &childproc.Options{Stdin: childproc.Ignore, Stderr: childproc.Ignore})
	p, err := childproc.Spawn(context.Background(), name, all, opts)
	require.NoError(t, err)
	line, err := bufio.NewReader(p.Stdout).ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "ready\n", line)
	require.Eventually(t, func() bool {
		for _, m := range all {
			if len(pidsRunning(m)) != 1 {
				return false
			}
		}
		return true
	}, 5*time.Second, 10*time.Millisecond)
	grandchildPid, childPid := pidsRunning(grandchild)[0], pidsRunning(child)[0]
	require.Equal(t, childPid, procOf(t, grandchildPid).PPid, "the grandchild's parent is the child")

	require.NoError(t, p.Signal(syscall.SIGKILL)) // the parent alone, not its tree
	io.Copy(io.Discard, p.Stdout)
	p.Wait()
	collect(t, p)

	waitGone(t, child) // Pdeathsig
	time.Sleep(200 * time.Millisecond)
	assert.Len(t, pidsRunning(grandchild), 1, "the grandchild is not killed: it is orphaned")
	assert.NotEqual(t, childPid, procOf(t, grandchildPid).PPid, "and reparented")
	assert.Len(t, pidsRunning(detached), 1, "a Detached child survives the parent's death")
	assert.Len(t, pidsRunning(unrefd), 1, "a Detached+Unref'd child survives the parent's death")
}

func TestDirRemovedBetweenCalls(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "work dir")
	require.NoError(t, os.Mkdir(dir, 0o755))
	res, err := childproc.ExecFile(ctx, "pwd", nil, &childproc.Options{Dir: dir})
	require.NoError(t, err)
	assert.Equal(t, dir+"\n", string(res.Stdout))

	require.NoError(t, os.Remove(dir))
	for _, start := range []func() error{
		func() error { _, err := childproc.ExecFile(ctx, "pwd", nil, &childproc.Options{Dir: dir}); return err },
		func() error { _, err := childproc.Exec(ctx, "pwd", &childproc.Options{Dir: dir}); return err },
		func() error { _, err := childproc.Spawn(ctx, "pwd", nil, &childproc.Options{Dir: dir}); return err },
		func() error { _, err := childproc.Fork(ctx, "echo", nil, &childproc.Options{Dir: dir}); return err },
	} {
		err := start()
		require.Error(t, err)
		assert.ErrorIs(t, err, fs.ErrNotExist)
		assert.Contains(t, err.Error(), dir, "the error names the directory")
		var ee *childproc.ExitError
		assert.False(t, errors.As(err, &ee), "a start failure, not an exit")
	}

	// A file where the directory should be.
	require.NoError(t, os.WriteFile(dir, nil, 0o644))
	_, err = childproc.ExecFile(ctx, "pwd", nil, &childproc.Options{Dir: dir})
	assert.ErrorIs(t, err, syscall.ENOTDIR)
	assert.Contains(t, err.Error(), dir)
}

func TestDirRemovedWhileStarting(t *testing.T) {
	// The directory is removed while a child is being started, so some
	// starts see it vanish between the library's check and the child's
	// chdir: the error must still name the directory, not claim that the
	// program is missing.
	base := t.TempDir()
	failures := 0
	for i := range 300 {
		dir := filepath.Join(base, strconv.Itoa(i))
		require.NoError(t, os.Mkdir(dir, 0o755))
		removed := make(chan struct{})
		go func() {
			defer close(removed)
			time.Sleep(time.Duration(i%20) * 50 * time.Microsecond)
			os.Remove(dir)
		}()
		p, err := childproc.Spawn(context.Background(), "/bin/true", nil, &childproc.Options{Dir: dir, Stdin: childproc.Ignore, Stdout: childproc.Ignore, Stderr: childproc.Ignore})
		<-removed
		if err != nil {
			failures++
			require.ErrorIs(t, err, fs.ErrNotExist)
			require.Contains(t, err.Error(), dir, "the error names the directory")
			continue
		}
		p.Wait()
	}
	t.Logf("%d of 300 starts found no directory", failures)
}

// emfileResult is one attempt of the EMFILE helper.
type emfileResult struct {
	Limit  int    `json:"limit"`
	Err    string `json:"err"`
	EMFILE bool   `json:"emfile"`
	Leaked int    `json:"leaked"`
	IPC    bool   `json:"ipc"`
}

// emfile lowers RLIMIT_NOFILE step by step just above the descriptors in
// use and tries to start a child at each step, with and without IPC, so
// that every descriptor the library opens is the one that fails in some
// attempt. It prints one JSON line per attempt.
func emfile() int {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	// The runtime opens its poller's descriptors lazily (the first timer
	// or pollable file): do that before counting.
	time.Sleep(time.Millisecond)
	if r, w, err := os.Pipe(); err == nil {
		r.Close()
		w.Close()
	}
	// Only count what a start can open: pipes, sockets and pidfds (this
	// helper uses no Ignore stdio, so no /dev/null); the runtime and the
	// test harness may open other things at any time.
	ours := func() int {
		n := 0
		entries, _ := os.ReadDir("/proc/self/fd")
		for _, e := range entries {
			target, _ := os.Readlink("/proc/self/fd/" + e.Name())
			if strings.HasPrefix(target, "pipe:") || strings.HasPrefix(target, "socket:") || strings.HasPrefix(target, "anon_inode:[pidfd]") {
				n++
			}
		}
		return n
	}
	enc := json.NewEncoder(os.Stdout)
	for _, withIPC := range []bool{false, true} {
		for extra := 0; extra <= 16; extra++ {
			base, before := len(testkit.OpenFDs()), ours()
			low := lim
			setRlimitCur(&low.Cur, base+extra)
			if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &low); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			p, err := childproc.Spawn(ctx, "/bin/true", nil, &childproc.Options{IPC: withIPC})
			r := emfileResult{Limit: extra, IPC: withIPC}
			if err != nil {
				r.Err = err.Error()
				r.EMFILE = errors.Is(err, syscall.EMFILE)
			} else {
				io.Copy(io.Discard, p.Stdout)
				io.Copy(io.Discard, p.Stderr)
				p.Stdin.Close()
				if err := p.Wait(); err != nil {
					r.Err = "wait: " + err.Error()
				}
				for range p.Events() {
				}
			}
			cancel()
			if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			after := ours()
			for deadline := time.Now().Add(5 * time.Second); after != before && time.Now().Before(deadline); after = ours() {
				time.Sleep(10 * time.Millisecond)
			}
			r.Leaked = after - before
			if r.Leaked != 0 {
				// Say what is open, to tell which descriptor it was.
				entries, _ := os.ReadDir("/proc/self/fd")
				for _, e := range entries {
					target, _ := os.Readlink("/proc/self/fd/" + e.Name())
					r.Err += " [" + e.Name() + " " + target + "]"
				}
			}
			enc.Encode(r)
		}
	}
	return 0
}

func TestEMFILE(t *testing.T) {
	name, opts := reliabilityHelperCmd(t, "emfile", &childproc.Options{Timeout: 2 * time.Minute})
	res, err := childproc.ExecFile(context.Background(), name, nil, opts)
	require.NoError(t, err, "helper: %s", res.Stderr)
	var results []emfileResult
	for _, line := range strings.Split(strings.TrimSpace(string(res.Stdout)), "\n") {
		var r emfileResult
		require.NoError(t, json.Unmarshal([]byte(line), &r), line)
		results = append(results, r)
	}
	require.Len(t, results, 34)
	var failed, succeeded int
	for _, r := range results {
		assert.Zero(t, r.Leaked, "descriptors leaked with %d spare (IPC %v): %s", r.Limit, r.IPC, r.Err)
		if r.Err == "" {
			succeeded++
			continue
		}
		failed++
		t.Logf("%d spare, IPC %v: %s", r.Limit, r.IPC, r.Err)
		assert.True(t, r.EMFILE, "with %d spare (IPC %v) the error wraps EMFILE: %s", r.Limit, r.IPC, r.Err)
		assert.Contains(t, r.Err, "/bin/true", "the error names the program")
	}
	assert.Positive(t, failed, "some attempts ran out of descriptors")
	assert.Positive(t, succeeded, "enough descriptors: the child starts")
	assert.Equal(t, "", results[16].Err, "with 16 spare descriptors Spawn works")
}

func TestCredentialDropsPrivileges(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to switch to another user (uid 65534)")
	}
	secret := filepath.Join(t.TempDir(), "root-only")
	require.NoError(t, os.WriteFile(secret, []byte("secret"), 0o600))
	nobody := &syscall.Credential{Uid: 65534, Gid: 65534}
	res, err := childproc.ExecFile(context.Background(), "id", []string{"-u"}, &childproc.Options{Credential: nobody})
	require.NoError(t, err)
	assert.Equal(t, "65534\n", string(res.Stdout))
	res, err = childproc.ExecFile(context.Background(), "id", []string{"-G"}, &childproc.Options{Credential: nobody})
	require.NoError(t, err)
	assert.Equal(t, "65534\n", string(res.Stdout), "no supplementary group of root is kept")
	res, err = childproc.ExecFile(context.Background(), "cat", []string{secret}, &childproc.Options{Credential: nobody})
	var ee *childproc.ExitError
	require.ErrorAs(t, err, &ee)
	assert.Contains(t, string(res.Stderr), "Permission denied")
	assert.Empty(t, res.Stdout)
}

func TestExplicitEnvLeaksNothing(t *testing.T) {
	ctx := context.Background()
	t.Setenv("SPAWNKIT_SECRET_TOKEN", "hunter2")
	env := func(opts *childproc.Options) []string {
		t.Helper()
		res, err := childproc.ExecFile(ctx, "/usr/bin/env", nil, opts)
		require.NoError(t, err)
		lines := strings.Fields(string(res.Stdout))
		slices.Sort(lines)
		return lines
	}
	assert.Empty(t, env(&childproc.Options{Env: []string{}}), "an empty, non-nil Env is an empty environment")
	assert.Equal(t, []string{"ONLY=1"}, env(&childproc.Options{Env: []string{"ONLY=1"}}))
	assert.Equal(t, []string{"A=2", "ONLY=1"}, env(&childproc.Options{Env: []string{"ONLY=1"}, ExtraEnv: []string{"A=2"}}))

	// With IPC, only the channel's own variables are added.
	p, err := childproc.Spawn(ctx, "/usr/bin/env", nil, &childproc.Options{Env: []string{"ONLY=1"}, IPC: true, Stderr: childproc.Ignore})
	require.NoError(t, err)
	out, err := io.ReadAll(p.Stdout)
	require.NoError(t, err)
	require.NoError(t, p.Wait())
	collect(t, p)
	lines := strings.Fields(string(out))
	slices.Sort(lines)
	assert.Equal(t, []string{"NODE_CHANNEL_FD=3", "NODE_CHANNEL_SERIALIZATION_MODE=json", "ONLY=1"}, lines)

	// Through a shell, which adds its own (PWD...) but nothing of ours.
	res, err := childproc.Exec(ctx, "env", &childproc.Options{Env: []string{"PATH=/usr/bin:/bin"}})
	require.NoError(t, err)
	assert.NotContains(t, string(res.Stdout), "hunter2")

	// A forked child sees exactly Env: the role and channel variables are
	// consumed by Init and ipc.FromParent.
	p, err = childproc.Fork(ctx, "sk-environ", nil, &childproc.Options{Env: []string{"ONLY=1"}})
	require.NoError(t, err)
	var got []string
	for ev := range p.Events() {
		if ev.Kind == childproc.EventMessage {
			require.NoError(t, ev.Message.Decode(&got))
		}
	}
	require.NoError(t, p.Wait())
	assert.Equal(t, []string{"ONLY=1"}, got)
}

func init() {
	childproc.Register("sk-environ", func(ctx context.Context, parent *ipc.Channel) error {
		return parent.Send(os.Environ())
	})
}

func TestPathNeverSearchesCurrentDirectoryImplicitly(t *testing.T) {
	dir := t.TempDir()
	pwned := filepath.Join(dir, "pwned")
	script := "#!/bin/sh\ntouch " + pwned + "\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "spawnkit-here"), []byte(script), 0o755))
	require.NoError(t, os.Mkdir(filepath.Join(dir, "bin"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "bin", "spawnkit-here"), []byte(script), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "sh"), []byte(script), 0o755))
	t.Chdir(dir)
	ctx := context.Background()

	for _, path := range []string{":/nonexistent", "/nonexistent:", "/nonexistent::/nonexistent2", ".", "./", "bin", "bin:/usr/bin:/bin", ":/usr/bin:/bin"} {
		_, err := childproc.ExecFile(ctx, "spawnkit-here", nil, &childproc.Options{Env: []string{"PATH=" + path}})
		assert.ErrorIs(t, err, exec.ErrDot, "PATH=%q", path)
		var ee *childproc.ExitError
		assert.False(t, errors.As(err, &ee), "PATH=%q: nothing ran", path)
	}
	for _, env := range [][]string{{"PATH="}, {}, {"PATH=/nonexistent"}} {
		_, err := childproc.ExecFile(ctx, "spawnkit-here", nil, &childproc.Options{Env: env})
		assert.ErrorIs(t, err, fs.ErrNotExist, "env %q", env)
		assert.ErrorIs(t, err, exec.ErrNotFound, "env %q", env)
	}
	// The shell named by Options.Shell is looked up the same way.
	_, err := childproc.Spawn(ctx, "true", nil, &childproc.Options{Shell: "sh", Env: []string{"PATH=:/usr/bin:/bin"}})
	assert.ErrorIs(t, err, exec.ErrDot)
	// A program found in an absolute PATH entry before any relative one
	// is fine.
	res, err := childproc.ExecFile(ctx, "sh", []string{"-c", "echo ok"}, &childproc.Options{Env: []string{"PATH=/usr/bin:/bin:."}})
	require.NoError(t, err)
	assert.Equal(t, "ok\n", string(res.Stdout))

	assert.NoFileExists(t, pwned, "nothing from the current directory ran")
}

func TestExecFileArgumentsAreNeverInterpreted(t *testing.T) {
	dir := t.TempDir()
	pwned := filepath.Join(dir, "pwned")
	args := []string{
		"$(touch " + pwned + ")", "`touch " + pwned + "`", "; touch " + pwned, "| touch " + pwned,
		"&& touch " + pwned, "\ntouch " + pwned, "' ; touch " + pwned + " '", "\" ; touch " + pwned + " \"",
		"${IFS}", "*", "~", "-c", "--", "a\x01b", "\xff\xfe", "",
	}
	res, err := childproc.ExecFile(context.Background(), "printf", append([]string{"%s\\0"}, args...), nil)
	require.NoError(t, err)
	assert.Equal(t, args, strings.Split(strings.TrimSuffix(string(res.Stdout), "\x00"), "\x00"))
	// Also when the program is a shell that only uses its arguments as data.
	res, err = childproc.ExecFile(context.Background(), "sh", append([]string{"-c", `printf '%s\0' "$@"`, "sh"}, args...), nil)
	require.NoError(t, err)
	assert.Equal(t, args, strings.Split(strings.TrimSuffix(string(res.Stdout), "\x00"), "\x00"))
	assert.NoFileExists(t, pwned)

	// A NUL byte cannot be in an argument: an error, not a truncated argv.
	_, err = childproc.ExecFile(context.Background(), "printf", []string{"a\x00; touch " + pwned}, nil)
	assert.Error(t, err)
	assert.NoFileExists(t, pwned)
}

func TestChildOutlivesTheThreadThatStartedIt(t *testing.T) {
	skipUnlessLinux(t, "PDEATHSIG follows the thread that started the child, so spawner threads start it")
	// Linux sends the parent-death signal when the thread that started the
	// child exits, and Go ends a thread whose goroutine returns while
	// locked to it. Spawning from such a goroutine must not kill the child.
	type started struct {
		p   *childproc.Process
		tid int
		err error
	}
	s := onThreadThatEnds(t, func(tid int) started {
		p, err := childproc.Spawn(context.Background(), "sleep", []string{"30"}, &childproc.Options{Stdin: childproc.Ignore, Stdout: childproc.Ignore, Stderr: childproc.Ignore})
		return started{p: p, tid: tid, err: err}
	})
	require.NoError(t, s.err)
	require.Eventually(t, func() bool {
		_, err := os.Stat("/proc/self/task/" + strconv.Itoa(s.tid))
		return errors.Is(err, fs.ErrNotExist)
	}, time.Minute, 10*time.Millisecond, "the thread that started the child exited")
	// The kernel sends the parent-death signal while the thread exits,
	// before its /proc entry goes: by now the child is dead, dying, or has
	// the signal pending if the guarantee is broken.
	assert.True(t, testkit.Alive(s.p.Pid), "the child is still running")
	status, err := os.ReadFile("/proc/" + strconv.Itoa(s.p.Pid) + "/status")
	require.NoError(t, err)
	for line := range strings.Lines(string(status)) {
		if k, v, ok := strings.Cut(line, ":"); ok && (k == "SigPnd" || k == "ShdPnd") {
			assert.Equal(t, "0000000000000000", strings.TrimSpace(v), "the child has a signal pending (%s)", k)
		}
	}
	time.Sleep(100 * time.Millisecond)
	assert.True(t, testkit.Alive(s.p.Pid), "the child is still running")
	require.NoError(t, s.p.Kill())
	var ee *childproc.ExitError
	require.ErrorAs(t, s.p.Wait(), &ee)
	assert.Equal(t, syscall.SIGKILL, ee.Signal)
	assert.False(t, ee.Killed)
}

// FuzzExecFileArgs checks that ExecFile hands every argument to the program
// byte for byte, whatever it holds: the input is split at NUL bytes (which
// no argument can hold) into an argv for printf, and a shell that only
// echoes "$@" must give it back unchanged.
func FuzzExecFileArgs(f *testing.F) {
	for _, s := range []string{
		"", "a b", "$(touch /tmp/spawnkit-fuzz-pwned)", "`id`\x00; rm -rf /\x00| cat", "'\x00\"\x00\\",
		"*\x00~\x00-c\x00--", "\n\r\t\x01\x7f", "\xff\xfe\xc3", "${IFS}x\x00$((1+1))", "日本語\x00\U0010ffff",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 32<<10 {
			t.Skip()
		}
		args := strings.Split(s, "\x00")
		res, err := childproc.ExecFile(context.Background(), "sh", append([]string{"-c", `printf '%s\0' "$@"`, "sh"}, args...), &childproc.Options{Env: []string{"PATH=/usr/bin:/bin"}})
		require.NoError(t, err)
		require.Equal(t, args, strings.Split(strings.TrimSuffix(string(res.Stdout), "\x00"), "\x00"))
		require.NoFileExists(t, "/tmp/spawnkit-fuzz-pwned")
	})
}

func init() {
	// sk-deaf never reads its channel and exits after a while.
	childproc.Register("sk-deaf", func(ctx context.Context, parent *ipc.Channel) error {
		time.Sleep(300 * time.Millisecond)
		return nil
	})
}

func TestSendBlockedOnDeadChildReturns(t *testing.T) {
	// Send blocks while the child does not read and the socket is full;
	// when the child exits, the blocked Send returns ErrDisconnected.
	p, err := childproc.Fork(context.Background(), "sk-deaf", nil, nil)
	require.NoError(t, err)
	big := strings.Repeat("x", 64<<10)
	done := make(chan error, 1)
	go func() {
		for {
			if err := p.Send(big); err != nil {
				done <- err
				return
			}
		}
	}()
	go func() {
		for range p.Events() {
		}
	}()
	select {
	case err := <-done:
		assert.ErrorIs(t, err, childproc.ErrDisconnected)
	case <-time.After(20 * time.Second):
		p.Kill()
		t.Fatal("Send still blocked after the child exited")
	}
	require.NoError(t, p.Wait())
}
