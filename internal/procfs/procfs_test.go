//go:build linux

package procfs

import (
	"os"
	"os/exec"
	"slices"
	"strconv"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func TestParseStat(t *testing.T) {
	line := "4242 (a) b (c)) S 1 4242 4200 34816 4242 4194560 105 0 0 0 0 0 0 0 20 0 1 0 987654 8192 100 18446744073709551615\n"
	st, ok := ParseStat([]byte(line))
	require.True(t, ok)
	assert.Equal(t, Stat{State: 'S', PPid: 1, Pgid: 4242, Sid: 4200, Start: 987654, HasStart: true}, st)
	assert.True(t, st.Running())

	st, ok = ParseStat([]byte("7 (z) Z 1 7 7"))
	require.True(t, ok, "short, up to the session")
	assert.Equal(t, Stat{State: 'Z', PPid: 1, Pgid: 7, Sid: 7}, st)
	assert.False(t, st.Running())

	for _, bad := range []string{"", "7 (x S 1 7 7", "7 (x) S 1 7", "7 (x) SS 1 7 7"} {
		_, ok := ParseStat([]byte(bad))
		assert.False(t, ok, "%q", bad)
	}
}

// TestThisProcess reads the test's own entry and a child's, against what
// the kernel says through getppid, getpgrp and getsid.
func TestThisProcess(t *testing.T) {
	b, err := os.ReadFile("/proc/self/stat")
	require.NoError(t, err)
	st, ok := ParseStat(b)
	require.True(t, ok)
	sid, err := unix.Getsid(0)
	require.NoError(t, err)
	assert.True(t, st.Running(), "state %c", st.State) // R or S: the main thread's, not the reader's
	assert.Equal(t, Stat{State: st.State, PPid: os.Getppid(), Pgid: syscall.Getpgrp(), Sid: sid, Start: st.Start, HasStart: true}, st)
	assert.Positive(t, st.Start)

	cmd := exec.Command("sleep", "30")
	require.NoError(t, cmd.Start())
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	pids, err := Pids()
	require.NoError(t, err)
	assert.Contains(t, pids, os.Getpid())
	assert.Contains(t, pids, cmd.Process.Pid)
	assert.False(t, slices.Contains(pids, 0))
	b, err = os.ReadFile("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/stat")
	require.NoError(t, err)
	st, ok = ParseStat(b)
	require.True(t, ok)
	assert.Equal(t, os.Getpid(), st.PPid)
	assert.True(t, st.Running())
}

// TestSelfStatusSize reads sizes and refuses other fields; that the peak
// follows memory use is testkit's TestPeakRSS (PeakRSS reads VmHWM here).
func TestSelfStatusSize(t *testing.T) {
	rss, err := SelfStatusSize("VmRSS")
	require.NoError(t, err)
	assert.Positive(t, rss)
	assert.Zero(t, rss%1024, "kB turned into bytes")
	hwm, err := SelfStatusSize("VmHWM")
	require.NoError(t, err)
	assert.GreaterOrEqual(t, hwm, rss, "the peak, read after, is at least the RSS")

	_, err = SelfStatusSize("Name")
	assert.ErrorContains(t, err, "not a size in kB")
	_, err = SelfStatusSize("NoSuchField")
	assert.EqualError(t, err, "procfs: no NoSuchField in /proc/self/status")
}

// TestSelfStatusCount reads the thread count, which /proc/self/task lists
// one entry per thread of, and refuses fields that are not counts.
func TestSelfStatusCount(t *testing.T) {
	tasks := func() int {
		e, err := os.ReadDir("/proc/self/task")
		require.NoError(t, err)
		return len(e)
	}
	before := tasks()
	n, err := SelfStatusCount("Threads")
	require.NoError(t, err)
	after := tasks()
	assert.GreaterOrEqual(t, n, int64(min(before, after)))
	assert.LessOrEqual(t, n, int64(max(before, after)))

	_, err = SelfStatusCount("VmRSS")
	assert.ErrorContains(t, err, "not a number")
	_, err = SelfStatusCount("NoSuchField")
	assert.EqualError(t, err, "procfs: no NoSuchField in /proc/self/status")
}
