//go:build unix

package childproc_test

// Ported from Go's os/exec lp_test.go, lp_unix_test.go, lp_linux_test.go
// and dot_test.go: the PATH lookup rules, run against childproc.LookPath
// and against what Spawn and ExecFile actually run.

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spawnkit/spawnkit/childproc"
	"github.com/spawnkit/spawnkit/internal/testkit"
)

// writeScript writes an executable shell script that prints text.
func writeScript(t *testing.T, path, text string, mode os.FileMode) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, []byte("#!/bin/sh\necho "+text+"\n"), mode))
	require.NoError(t, os.Chmod(path, mode)) // WriteFile's mode is masked by the umask
}

// From lp_test.go.
func TestOSExecLookPathNotFound(t *testing.T) {
	for _, name := range []string{"some-non-existent-path", "non-existent-path/slashed"} {
		path, err := childproc.LookPath(name, nil)
		require.Error(t, err, name)
		assert.Empty(t, path)
		assert.ErrorIs(t, err, fs.ErrNotExist)
		assert.Contains(t, err.Error(), name)
		if !strings.Contains(name, "/") {
			assert.ErrorIs(t, err, exec.ErrNotFound)
		}
		_, err = childproc.ExecFile(context.Background(), name, nil, nil)
		assert.ErrorIs(t, err, fs.ErrNotExist)
		assert.Contains(t, err.Error(), name)
	}
}

// From lp_unix_test.go: an empty PATH searches nothing, not even ".".
func TestOSExecLookPathUnixEmptyPath(t *testing.T) {
	tmp := t.TempDir()
	t.Chdir(tmp)
	writeScript(t, "exec_me", "ran", 0o700)

	for _, env := range [][]string{{"PATH="}, {"PATH=", "HOME=/"}} {
		path, err := childproc.LookPath("exec_me", env)
		require.Error(t, err)
		assert.Empty(t, path)
		assert.ErrorIs(t, err, exec.ErrNotFound)
		_, err = childproc.ExecFile(context.Background(), "exec_me", nil, &childproc.Options{Env: env})
		assert.ErrorIs(t, err, exec.ErrNotFound)
	}
}

// From dot_test.go (TestLookPath), with GODEBUG=execerrdot=1 only:
// spawnkit has no switch to allow a match relative to the current
// directory, so the execerrdot=0 half asserts the refusal as well.
func TestOSExecLookPathDot(t *testing.T) {
	tmpDir := filepath.Join(t.TempDir(), "testdir")
	require.NoError(t, os.Mkdir(tmpDir, 0o777))
	const executable = "execabs-test"
	// Not a program: what runs, if anything did, fails with ENOEXEC.
	require.NoError(t, os.WriteFile(filepath.Join(tmpDir, executable), []byte{1, 2, 3}, 0o777))
	t.Chdir(tmpDir)
	origPath := os.Getenv("PATH")

	for _, dir := range []string{".", "../testdir"} {
		t.Run("PATH="+dir, func(t *testing.T) {
			env := []string{"PATH=" + dir + ":" + origPath}
			good := dir + "/execabs-test"
			found, err := childproc.LookPath(good, env)
			require.NoError(t, err)
			assert.Equal(t, good, found)

			found, err = childproc.LookPath(executable, env)
			require.ErrorIs(t, err, exec.ErrDot)
			assert.Equal(t, filepath.Join(dir, executable), found, "the relative match comes with ErrDot, as in os/exec")

			_, err = childproc.Spawn(context.Background(), executable, nil, &childproc.Options{Env: env})
			require.ErrorIs(t, err, exec.ErrDot)

			// Naming it explicitly runs it, and it fails because it is not
			// a program (os/exec: "want error like ENOEXEC").
			_, err = childproc.ExecFile(context.Background(), good, nil, &childproc.Options{Env: env})
			require.Error(t, err)
			assert.NotErrorIs(t, err, exec.ErrDot)
			assert.ErrorIs(t, err, syscall.ENOEXEC)
		})
	}

	t.Run("PATH=$PWD", func(t *testing.T) {
		env := []string{"PATH=" + tmpDir + ":" + origPath}
		good := filepath.Join(tmpDir, executable)
		found, err := childproc.LookPath(good, env)
		require.NoError(t, err)
		assert.Equal(t, good, found)
		found, err = childproc.LookPath(executable, env)
		require.NoError(t, err)
		assert.Equal(t, good, found)
	})

	t.Run("PATH=$OTHER", func(t *testing.T) {
		// Unix never searches "." implicitly: with PATH empty nothing is
		// found, and with PATH naming another directory that one wins.
		found, err := childproc.LookPath(executable, []string{"PATH="})
		require.Error(t, err)
		assert.NotErrorIs(t, err, exec.ErrDot)
		assert.Empty(t, found)

		dir := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, executable), []byte{1, 2, 3}, 0o777))
		found, err = childproc.LookPath(executable, []string{"PATH=" + dir + ":" + origPath})
		require.NoError(t, err)
		assert.Equal(t, filepath.Join(dir, executable), found)
	})

	// The CVE-2025-47906 cases: "", "." and ".." never name a program, even
	// when PATH holds an executable file (not a directory) that
	// filepath.Join(entry, ".") would name. Known failure 1 of issue 11.
	marker := filepath.Join(t.TempDir(), "ran")
	exe := filepath.Join(t.TempDir(), "exe")
	writeScript(t, exe, "ran; touch "+marker, 0o755)
	for _, path := range []string{"$OTHER2", exe, filepath.Join(exe, "xx")} {
		env := []string{"PATH=" + path}
		if path == "$OTHER2" {
			env = []string{"PATH=" + origPath}
		}
		t.Run("PATH="+filepath.Base(path), func(t *testing.T) {
			for _, name := range []string{"", ".", "abc/..", ".."} {
				p, err := childproc.LookPath(name, env)
				assert.Error(t, err, "%q", name)
				assert.Empty(t, p, "%q", name)
				assert.ErrorIs(t, err, fs.ErrNotExist, "%q", name)

				res, err := childproc.ExecFile(context.Background(), name, nil, &childproc.Options{Env: env})
				assert.Error(t, err, "%q", name)
				assert.Nil(t, res, "%q: nothing started", name)
				_, err = childproc.Spawn(context.Background(), name, nil, &childproc.Options{Env: env, Stdin: childproc.Ignore, Stdout: childproc.Ignore, Stderr: childproc.Ignore})
				assert.Error(t, err, "%q", name)
			}
		})
	}
	assert.NoFileExists(t, marker, "the file in PATH never ran")
}

func TestLookPathRefusesEmptyDotAndDotDot(t *testing.T) {
	exe := filepath.Join(t.TempDir(), "exe")
	writeScript(t, exe, "ran", 0o755)
	for _, env := range [][]string{{"PATH=" + exe}, {"PATH=" + exe + "/xx"}, {"PATH=" + filepath.Dir(exe)}} {
		for _, name := range []string{"", ".", ".."} {
			_, err := childproc.LookPath(name, env)
			assert.ErrorIs(t, err, exec.ErrNotFound, "%q %q", name, env)
			_, err = childproc.ExecFile(context.Background(), name, nil, &childproc.Options{Env: env})
			assert.ErrorIs(t, err, exec.ErrNotFound, "%q %q", name, env)
			assert.Equal(t, "childproc: spawn "+name+": executable file not found in $PATH", err.Error())
		}
	}
}

// Known failure 2 of issue 11: a file the running user may not execute
// (mode 0700, owned by root) is skipped and the search goes on, as the
// kernel (faccessat with AT_EACCESS) decides, not the mode bits.
func TestLookPathAsksTheKernelAndKeepsSearching(t *testing.T) {
	testkit.MaySkipHelper("lookpath-run")
	if os.Geteuid() != 0 {
		t.Skip("needs root to run the lookup as another user")
	}
	root := t.TempDir()
	opened(t, filepath.Dir(root), root)
	d0, d1, d2 := filepath.Join(root, "d0"), filepath.Join(root, "d1"), filepath.Join(root, "d2")
	for _, d := range []string{d0, d1, d2} {
		require.NoError(t, os.Mkdir(d, 0o755))
		opened(t, d)
	}
	require.NoError(t, os.Mkdir(filepath.Join(d0, "prog"), 0o755)) // a directory is no program
	writeScript(t, filepath.Join(d1, "prog"), "d1", 0o700)
	writeScript(t, filepath.Join(d2, "prog"), "d2", 0o755)
	env := []string{"PATH=" + d0 + ":" + d1 + ":" + d2}

	// As root, d1/prog is executable.
	found, err := childproc.LookPath("prog", env)
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(d1, "prog"), found)

	// As nobody, it is not: d2/prog runs.
	exe := copyTestBinary(t, root)
	res, err := childproc.ExecFile(context.Background(), exe, []string{"prog"}, &childproc.Options{
		Env:        append(env, testkit.HelperEnvFor(t, "lookpath-run")),
		Credential: &syscall.Credential{Uid: 65534, Gid: 65534},
	})
	require.NoError(t, err, "%s", errStderr(err))
	assert.Equal(t, d2+"/prog\nd2\n", string(res.Stdout))

	// A file with no execute bit at all is skipped by root too.
	require.NoError(t, os.Chmod(filepath.Join(d1, "prog"), 0o644))
	found, err = childproc.LookPath("prog", env)
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(d2, "prog"), found)

	// Named with a slash, a file that cannot be executed is fs.ErrPermission.
	_, err = childproc.LookPath(filepath.Join(d1, "prog"), env)
	assert.ErrorIs(t, err, fs.ErrPermission)
	_, err = childproc.LookPath(filepath.Join(d0, "prog"), env)
	assert.ErrorIs(t, err, fs.ErrPermission)
}

// From lp_linux_test.go (TestFindExecutableVsNoexec), plus the search
// going on past the noexec mount.
func TestOSExecFindExecutableVsNoexec(t *testing.T) {
	tmp := t.TempDir()
	if err := mountTmpfs(tmp); err != nil {
		t.Skipf("requires ability to mount tmpfs (%v)", err)
	}
	t.Cleanup(func() { require.NoError(t, unmount(tmp)) })
	other := t.TempDir()
	writeScript(t, filepath.Join(tmp, "program"), "noexec", 0o755)
	writeScript(t, filepath.Join(other, "program"), "other", 0o755)
	path := filepath.Join(tmp, "program")
	env := []string{"PATH=" + tmp + ":" + other}

	found, err := childproc.LookPath(path, nil)
	require.NoError(t, err)
	assert.Equal(t, path, found)
	res, err := childproc.ExecFile(context.Background(), "program", nil, &childproc.Options{Env: env})
	require.NoError(t, err)
	assert.Equal(t, "noexec\n", string(res.Stdout))

	if err := remountNoexec(tmp); err != nil {
		t.Skipf("requires ability to re-mount tmpfs (%v)", err)
	}
	_, err = childproc.ExecFile(context.Background(), path, nil, nil)
	assert.ErrorIs(t, err, fs.ErrPermission, "exec on a noexec filesystem")
	_, err = childproc.LookPath(path, nil)
	assert.ErrorIs(t, err, fs.ErrPermission)

	found, err = childproc.LookPath("program", env)
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(other, "program"), found)
	res, err = childproc.ExecFile(context.Background(), "program", nil, &childproc.Options{Env: env})
	require.NoError(t, err)
	assert.Equal(t, "other\n", string(res.Stdout))
}

// Known failure 3 of issue 11: a child environment without PATH searches
// DefaultPath, as Node (libuv) does; the child's environment is not changed.
func TestLookPathDefaultPathWhenEnvHasNone(t *testing.T) {
	want := ""
	for _, dir := range filepath.SplitList(childproc.DefaultPath) {
		if _, err := os.Stat(filepath.Join(dir, "sh")); err == nil {
			want = filepath.Join(dir, "sh")
			break
		}
	}
	require.NotEmpty(t, want, "sh in %s", childproc.DefaultPath)
	found, err := childproc.LookPath("sh", []string{"FOO=bar"})
	require.NoError(t, err)
	assert.Equal(t, want, found)

	res, err := childproc.ExecFile(context.Background(), "sh", []string{"-c", "echo $FOO; env | grep -c ^PATH="}, &childproc.Options{Env: []string{"FOO=bar"}})
	require.Error(t, err, "grep -c exits 1 when it counts nothing")
	assert.Equal(t, "bar\n0\n", string(res.Stdout), "the child got no PATH")

	// Set but empty is not "none": nothing is searched.
	_, err = childproc.LookPath("sh", []string{"PATH="})
	assert.ErrorIs(t, err, exec.ErrNotFound)
	_, err = childproc.LookPath("sh", []string{})
	require.NoError(t, err)
}

// opened makes dirs searchable by every user.
func opened(t *testing.T, dirs ...string) {
	t.Helper()
	for _, d := range dirs {
		require.NoError(t, os.Chmod(d, 0o755))
	}
}

// copyTestBinary copies the test binary into dir (readable and executable
// by anyone), for running it as another user.
func copyTestBinary(t *testing.T, dir string) string {
	t.Helper()
	self, err := os.Executable()
	require.NoError(t, err)
	src, err := os.Open(self)
	require.NoError(t, err)
	defer src.Close()
	exe := filepath.Join(dir, "helper.test")
	dst, err := os.OpenFile(exe, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o755)
	require.NoError(t, err)
	_, err = io.Copy(dst, src)
	require.NoError(t, err)
	require.NoError(t, dst.Close())
	return exe
}

// errStderr returns the stderr an *ExitError carries, for failure messages.
func errStderr(err error) string {
	var ee *childproc.ExitError
	if errors.As(err, &ee) {
		return string(ee.Stderr)
	}
	return ""
}

func init() {
	testkit.RegisterHelper("lookpath-run", func(args []string) int {
		// Look args[0] up and run it, printing the path found and its output.
		path, err := childproc.LookPath(args[0], nil)
		if err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			return 1
		}
		os.Stdout.WriteString(path + "\n")
		res, err := childproc.ExecFile(context.Background(), args[0], args[1:], nil)
		if err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			return 1
		}
		os.Stdout.Write(res.Stdout)
		return 0
	})
}
