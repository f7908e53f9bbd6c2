package pipeline_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// procsWithArg returns the pids of the live (not zombie) processes whose
// command line has arg as one of its words.
func procsWithArg(t *testing.T, arg string) []int {
	t.Helper()
	var pids []int
	dirs, err := filepath.Glob("/proc/[0-9]*")
	require.NoError(t, err)
	for _, dir := range dirs {
		cmdline, err := os.ReadFile(dir + "/cmdline")
		if err != nil {
			continue // gone meanwhile
		}
		found := false
		for _, w := range bytes.Split(cmdline, []byte{0}) {
			if string(w) == arg {
				found = true
			}
		}
		if !found {
			continue
		}
		if state, _, ok := procStat(dir); ok && state != "Z" {
			pid, _ := strconv.Atoi(filepath.Base(dir))
			pids = append(pids, pid)
		}
	}
	return pids
}

// procStat returns the state and parent pid of the process in /proc dir.
func procStat(dir string) (state string, ppid int, ok bool) {
	b, err := os.ReadFile(dir + "/stat")
	if err != nil {
		return "", 0, false
	}
	// pid (comm) state ppid ...; comm may hold spaces and parentheses.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return "", 0, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 2 {
		return "", 0, false
	}
	ppid, err = strconv.Atoi(f[1])
	return f[0], ppid, err == nil
}

// zombieChildren returns the pids of this process's children that are
// zombies (exited, not reaped).
func zombieChildren(t *testing.T) []int {
	t.Helper()
	var pids []int
	dirs, err := filepath.Glob("/proc/[0-9]*")
	require.NoError(t, err)
	for _, dir := range dirs {
		if state, ppid, ok := procStat(dir); ok && ppid == os.Getpid() && state == "Z" {
			pid, _ := strconv.Atoi(filepath.Base(dir))
			pids = append(pids, pid)
		}
	}
	return pids
}

// waitForProcs waits until n processes have arg in their command line.
func waitForProcs(t *testing.T, arg string, n int) []int {
	t.Helper()
	var pids []int
	require.Eventually(t, func() bool {
		pids = procsWithArg(t, arg)
		return len(pids) >= n
	}, 20*time.Second, 10*time.Millisecond, "waiting for %d processes with argument %s", n, arg)
	return pids
}

// openFDs returns the file descriptors this process has open, with what
// they refer to.
func openFDs(t *testing.T) map[string]string {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	require.NoError(t, err)
	fds := map[string]string{}
	for _, e := range ents {
		l, err := os.Readlink("/proc/self/fd/" + e.Name())
		if err == nil { // not the directory ReadDir had open
			fds[e.Name()] = l
		}
	}
	return fds
}
