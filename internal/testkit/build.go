package testkit

import (
	"os/exec"
	"path/filepath"
	"testing"
)

// BuildMain compiles the main package in dir ("." for the test's own
// package) into the test's temporary directory and returns the binary's
// path. It fails the test, with go build's output, if the build fails.
func BuildMain(t testing.TB, dir string) string {
	t.Helper()
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), filepath.Base(abs))
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = abs
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", dir, err, out)
	}
	return bin
}
