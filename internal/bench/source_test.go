package bench

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

// TestDescribeSourceStamped: a binary with version control information
// reports the stamped revision, not the git state of any directory (root
// names a real repository here, and is ignored).
func TestDescribeSourceStamped(t *testing.T) {
	root := gitRepo(t)
	rev := strings.Repeat("ab", 20)
	for _, tc := range []struct {
		modified, want string
	}{
		{"false", "commit " + rev + " (stamped in the binary), clean"},
		{"true", "commit " + rev + " (stamped in the binary), modified"},
	} {
		settings := []debug.BuildSetting{{Key: "-compiler", Value: "gc"}, {Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: tc.modified}}
		if got := describeSource(settings, root); got != tc.want {
			t.Errorf("vcs.modified=%s: got %q, want %q", tc.modified, got, tc.want)
		}
	}
}

// TestDescribeSourceWorkingTree: without a stamp, the commit and the
// modified library files come from git of the given module root, whatever
// the current directory is.
func TestDescribeSourceWorkingTree(t *testing.T) {
	root := gitRepo(t)
	t.Chdir(t.TempDir()) // not a repository: the answer must not depend on it
	head := strings.TrimSpace(srcGit(t, root, "rev-parse", "--short", "HEAD"))
	prefix := "commit " + head + " (from working tree " + root + ")"
	if got, want := describeSource(nil, root), prefix+", library clean"; got != want {
		t.Errorf("clean tree: got %q, want %q", got, want)
	}
	// A modified test file is not a library change; a modified library file is.
	srcWrite(t, filepath.Join(root, "childproc", "x_test.go"), "package childproc // changed\n")
	if got, want := describeSource(nil, root), prefix+", library clean"; got != want {
		t.Errorf("test file modified: got %q, want %q", got, want)
	}
	srcWrite(t, filepath.Join(root, "childproc", "x.go"), "package childproc // changed\n")
	if got, want := describeSource(nil, root), prefix+", modified: childproc/x.go"; got != want {
		t.Errorf("library file modified: got %q, want %q", got, want)
	}
}

// TestDescribeSourceUnknown: no stamp and no repository says so.
func TestDescribeSourceUnknown(t *testing.T) {
	if got, want := describeSource(nil, ""), "unknown (no version control stamp, no source path)"; got != want {
		t.Errorf("no root: got %q, want %q", got, want)
	}
	dir := t.TempDir()
	t.Setenv("GIT_CEILING_DIRECTORIES", filepath.Dir(dir))
	if got, want := describeSource(nil, dir), "unknown (no version control stamp; no git at "+dir+")"; got != want {
		t.Errorf("not a repository: got %q, want %q", got, want)
	}
}

// TestSourceStateThisModule: in `go test` (no stamp) the header names the
// commit of this module's own working tree.
func TestSourceStateThisModule(t *testing.T) {
	wd, err := os.Getwd() // go test runs in the package directory
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Dir(filepath.Dir(wd))
	head, err := exec.Command("git", "-C", root, "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		t.Skipf("no git checkout at %s: %v", root, err)
	}
	want := "commit " + strings.TrimSpace(string(head)) + " (from working tree " + root + ")"
	if got := sourceState(); !strings.HasPrefix(got, want) {
		t.Errorf("got %q, want a prefix %q", got, want)
	}
}

// gitRepo makes a repository with one commit holding childproc/x.go and
// childproc/x_test.go.
func gitRepo(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	root := t.TempDir()
	srcWrite(t, filepath.Join(root, "childproc", "x.go"), "package childproc\n")
	srcWrite(t, filepath.Join(root, "childproc", "x_test.go"), "package childproc\n")
	srcGit(t, root, "init", "-q")
	srcGit(t, root, "add", ".")
	srcGit(t, root, "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false", "commit", "-q", "-m", "one")
	return root
}

func srcGit(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func srcWrite(t *testing.T, name, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestMachineSourceOfBuiltBinary builds a program that prints Machine()
// (testdata/machine) with -buildvcs=true and runs it from an unrelated
// directory: the header names the stamped commit when the go command
// stamped one (a plain checkout), else this module's working tree (the go
// command stamps nothing in a git worktree) -- never the directory it runs in.
func TestMachineSourceOfBuiltBinary(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Dir(filepath.Dir(wd))
	if _, err := exec.Command("git", "-C", root, "rev-parse", "HEAD").Output(); err != nil {
		t.Skipf("no git checkout at %s: %v", root, err)
	}
	bin := filepath.Join(t.TempDir(), "machine")
	build := exec.Command("go", "build", "-buildvcs=true", "-o", bin, "./testdata/machine")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	info, err := exec.Command("go", "version", "-m", bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	var want string
	for _, l := range strings.Split(string(info), "\n") {
		if f := strings.Fields(l); len(f) == 2 && f[0] == "build" && strings.HasPrefix(f[1], "vcs.revision=") {
			want = "source: commit " + strings.TrimPrefix(f[1], "vcs.revision=") + " (stamped in the binary), "
		}
	}
	if want == "" {
		want = "source: commit " + strings.TrimSpace(srcGit(t, root, "rev-parse", "--short", "HEAD")) + " (from working tree " + root + "), "
	}
	run := exec.Command(bin)
	run.Dir = gitRepo(t) // another repository: its HEAD must not appear
	out, err := run.Output()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), want) {
		t.Errorf("header %q does not contain %q", out, want)
	}
}
