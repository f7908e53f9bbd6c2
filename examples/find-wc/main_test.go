package main_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/spawnkit/spawnkit/childproc"
	"github.com/spawnkit/spawnkit/internal/testkit"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// tree creates root with the given files (and their directories).
func tree(t *testing.T, root string, files ...string) {
	t.Helper()
	for _, f := range files {
		p := filepath.Join(root, f)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte("x\n"), 0o644))
	}
}

func TestFindWC(t *testing.T) {
	bin := testkit.BuildMain(t, ".")

	// Five regular files, one with a space in its name, one hidden; an empty
	// directory and a symlink, which find -type f does not count. (No name
	// holds a newline: all three ways count lines, so such a name would be
	// counted twice by each of them alike.)
	dir := filepath.Join(t.TempDir(), "it's a dir")
	tree(t, dir, "a.txt", "b c.txt", ".hidden", "sub/d.txt", "sub/deeper/e")
	require.NoError(t, os.Mkdir(filepath.Join(dir, "empty"), 0o755))
	require.NoError(t, os.Symlink("a.txt", filepath.Join(dir, "link")))

	res, err := childproc.ExecFile(context.Background(), bin, []string{"-dir", dir}, nil)
	require.NoError(t, err, "stderr: %s", res.Stderr)
	assert.Equal(t, "spawn:    5\npipeline: 5\nexec:     5\nall three agree\n", string(res.Stdout))
	assert.Empty(t, res.Stderr)

	// The default -dir is ".".
	res, err = childproc.ExecFile(context.Background(), bin, nil, &childproc.Options{Dir: filepath.Join(dir, "sub")})
	require.NoError(t, err, "stderr: %s", res.Stderr)
	assert.Equal(t, "spawn:    2\npipeline: 2\nexec:     2\nall three agree\n", string(res.Stdout))
}

func TestFindWCMissingDir(t *testing.T) {
	bin := testkit.BuildMain(t, ".")
	dir := filepath.Join(t.TempDir(), "missing")
	res, err := childproc.ExecFile(context.Background(), bin, []string{"-dir", dir}, &childproc.Options{
		ExtraEnv: []string{"LC_ALL=C"},
	})
	var ee *childproc.ExitError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, 1, ee.ExitCode)
	// spawn and pipeline report find's failure (pipefail); sh, without
	// pipefail, only reports what wc counted.
	assert.Equal(t, strings.Join([]string{
		"spawn:    error: childproc: command failed: find " + dir + " -type f: exit status 1",
		"pipeline: error: pipeline: stage 0 (find " + dir + " -type f) failed: exit status 1: find: '" + dir + "': No such file or directory",
		"exec:     0",
		"some ways failed",
		"",
	}, "\n"), string(res.Stdout))
	assert.Equal(t, strings.Repeat("find: '"+dir+"': No such file or directory\n", 3), string(res.Stderr))
}
