// Package examples_test builds and runs the basic examples as real
// processes and checks what they print. The bigger examples (find-wc,
// fork-messages, compute-offload, cluster-http) have tests of their own.
package examples_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/spawnkit/spawnkit/internal/testkit"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// run runs an example binary with stdin and returns its stdout.
func run(t *testing.T, dir, stdin string, name string, args ...string) string {
	t.Helper()
	return runBin(t, testkit.BuildMain(t, "./"+name), dir, stdin, args...)
}

// runBin runs an example binary that is already built.
func runBin(t *testing.T, bin, dir, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "stderr: %s", stderr.String())
	return string(out)
}

func TestSpawnPwd(t *testing.T) {
	dir := t.TempDir()
	real, err := filepath.EvalSymlinks(dir)
	require.NoError(t, err)
	assert.Equal(t, "stdout: "+real+"\nchild process exited with code 0\nchild process closed with code 0\n", run(t, dir, "", "spawn-pwd"))
}

func TestSpawnPwdRunsLsLineByLine(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"a", "b c"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), nil, 0o644))
	}
	assert.Equal(t, "stdout: a\nstdout: b c\nchild process exited with code 0\nchild process closed with code 0\n",
		run(t, t.TempDir(), "", "spawn-pwd", "ls", "-1", dir))
}

func TestSpawnPwdVerboseLogs(t *testing.T) {
	cmd := exec.Command(testkit.BuildMain(t, "./spawn-pwd"), "-v", "sh", "-c", "echo out; echo err >&2; exit 3")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.Error(t, err)
	// The two streams are read at once: their lines come in either order.
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	require.Len(t, lines, 4, string(out))
	assert.ElementsMatch(t, []string{"stdout: out", "stderr: err"}, lines[:2])
	assert.Equal(t, []string{"child process exited with code 3", "child process closed with code 3"}, lines[2:])
	assert.Regexp(t, `^time=\S+ level=INFO msg=spawn cmd="sh -c 'echo out; echo err >&2; exit 3'" pid=(\d+)
time=\S+ level=WARN msg=exit cmd="sh -c 'echo out; echo err >&2; exit 3'" pid=\d+ code=3 duration=\S+ err=".*exit status 3"
childproc: command failed: .*exit status 3
$`, stderr.String())
}

func TestExecShellCountsFiles(t *testing.T) {
	dir := t.TempDir()
	for i := range 7 {
		require.NoError(t, os.WriteFile(filepath.Join(dir, "f"+strconv.Itoa(i)), nil, 0o644))
	}
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "sub dir; rm -rf x"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "sub dir; rm -rf x", "g"), nil, 0o644))
	assert.Equal(t, "Number of files 8\n", run(t, dir, "", "exec-shell", "-dir", dir))
	assert.Equal(t, "Number of files 1\n", run(t, dir, "", "exec-shell", "-dir", filepath.Join(dir, "sub dir; rm -rf x")))
}

func TestExecFile(t *testing.T) {
	if _, err := exec.LookPath("node"); err == nil {
		out := run(t, t.TempDir(), "", "execfile")
		assert.Regexp(t, regexp.MustCompile(`^v\d+\.\d+\.\d+\n$`), out)
	}
	assert.Equal(t, "a b $HOME\n", run(t, t.TempDir(), "", "execfile", "echo", "a b", "$HOME"))
}

func TestStdinWc(t *testing.T) {
	out := run(t, t.TempDir(), "one two\nthree\n", "stdin-wc")
	assert.Equal(t, []string{"wc:", "2", "3", "14"}, strings.Fields(out))
}

func TestEnvCwd(t *testing.T) {
	dir := t.TempDir()
	real, err := filepath.EvalSymlinks(dir)
	require.NoError(t, err)
	assert.Equal(t, "ANSWER=42 HOME=unset PWD="+real+"\n", run(t, t.TempDir(), "", "env-cwd", "-dir", dir))
}

func TestDetachedChildOutlivesParent(t *testing.T) {
	dir := t.TempDir()
	done := filepath.Join(dir, "done.txt")
	// Build first: the stopwatch times the parent, not go build.
	bin := testkit.BuildMain(t, "./detached")
	const after = 3 * time.Second
	start := time.Now()
	out := runBin(t, bin, dir, "", "-after", after.String(), "-out", done)
	m := regexp.MustCompile(`^started detached child (\d+); parent exiting\n$`).FindStringSubmatch(out)
	require.NotNil(t, m, out)
	require.Less(t, time.Since(start), after, "the parent does not wait for the child")
	_, err := os.Stat(done)
	require.ErrorIs(t, err, os.ErrNotExist, "the child has not finished when the parent exits")
	require.Eventually(t, func() bool {
		b, err := os.ReadFile(done)
		return err == nil && string(b) == "timer child "+m[1]+" done\n"
	}, 20*time.Second, 20*time.Millisecond)
}
