//go:build linux

package childproc_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spawnkit/spawnkit/childproc"
	"github.com/spawnkit/spawnkit/internal/testkit"
)

func init() {
	// out-of-fds starts three children that wait for their stdin, then lowers RLIMIT_NOFILE to
	// what is open plus k for k = 0..15 and starts a child each time
	// (with pipes and without); it prints every failure that is not
	// EMFILE or that leaves a descriptor behind, then checks that the
	// first three and a child started afterwards are reaped as usual.
	testkit.RegisterHelper("out-of-fds", func([]string) int {
		var old syscall.Rlimit
		if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &old); err != nil {
			fmt.Println(err)
			return 1
		}
		var sleepers []*childproc.Process
		for range 3 {
			// They run until their stdin closes, after the loop: the
			// exit watcher watches them all along.
			p, err := childproc.Spawn(context.Background(), "sh", []string{"-c", "read x; exit 0"}, &childproc.Options{Stdout: childproc.Ignore, Stderr: childproc.Ignore})
			if err != nil {
				fmt.Println(err)
				return 1
			}
			sleepers = append(sleepers, p)
		}
		failed, started := 0, 0
		for k := range 16 {
			for _, o := range []*childproc.Options{&silent, nil} {
				before := testkit.OpenFDs()
				syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: uint64(len(before) + k), Max: old.Max})
				p, err := childproc.Spawn(context.Background(), "sh", []string{"-c", "exit 7"}, o)
				syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old)
				if err != nil {
					failed++
					if !errors.Is(err, syscall.EMFILE) {
						fmt.Printf("k=%d: %v does not match EMFILE\n", k, err)
					}
					if after := testkit.OpenFDs(); !slices.Equal(after, before) {
						fmt.Printf("k=%d: %v left descriptors: %q -> %q\n", k, err, before, after)
					}
					continue
				}
				started++
				if o == nil {
					p.Stdin.Close()
					p.Stdout.Close()
					p.Stderr.Close()
				}
				if err := expectExit(p.Wait(), 7, 0, false, false); err != nil {
					fmt.Printf("k=%d: %v\n", k, err)
				}
			}
		}
		for _, p := range append(sleepers, nil) {
			if p == nil {
				var err error
				if p, err = childproc.Spawn(context.Background(), "true", nil, &silent); err != nil {
					fmt.Println(err)
					return 1
				}
			}
			if p.Stdin != nil {
				p.Stdin.Close()
			}
			if err := p.Wait(); err != nil {
				fmt.Println(err)
			}
		}
		if z := testkit.Zombies(); len(z) > 0 {
			fmt.Println("zombies:", z)
		}
		fmt.Fprintf(os.Stderr, "%d refused, %d started\n", failed, started)
		if failed == 0 || started == 0 {
			fmt.Println("no refusal or no start")
		}
		return 0
	})
}

// TestSpawnOutOfDescriptorsFailsCleanly: when the process runs out of
// descriptors (RLIMIT_NOFILE) at any point of a start, Spawn fails with an
// error matching syscall.EMFILE and leaves no descriptor behind, a start
// with a few more descriptors free succeeds, and children already running
// and started afterwards are reaped as usual (the exit watcher lives on).
func TestSpawnOutOfDescriptorsFailsCleanly(t *testing.T) {
	name, args, opts := helper(t, "out-of-fds")
	res, err := childproc.ExecFile(context.Background(), name, args, opts)
	require.NoError(t, err, "%s", res.Stderr)
	assert.Empty(t, string(res.Stdout))
	t.Logf("%s", res.Stderr)
}
