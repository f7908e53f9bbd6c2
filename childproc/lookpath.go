package childproc

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// lookPath finds the program to run for name, searching the PATH of the
// child's environment (which is the parent's unless Options.Env sets one).
// A name with a slash is used as is. Like os/exec, a match that is only
// found through a relative PATH entry such as "." is refused with an error
// wrapping exec.ErrDot: the current directory is never searched implicitly.
func lookPath(name string, env []string) (string, error) {
	if name == "" {
		return "", &fs.PathError{Op: "exec", Path: name, Err: fs.ErrNotExist}
	}
	if strings.Contains(name, "/") {
		return name, nil
	}
	path, _ := lookupEnv(env, "PATH")
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			dir = "."
		}
		candidate := filepath.Join(dir, name)
		if !isExecutable(candidate) {
			continue
		}
		if !filepath.IsAbs(candidate) {
			return "", fmt.Errorf("%s resolves to %s relative to the current directory: %w", name, candidate, exec.ErrDot)
		}
		return candidate, nil
	}
	return "", &fs.PathError{Op: "exec", Path: name, Err: errNotFoundInPath}
}

// errNotFoundInPath matches fs.ErrNotExist and exec.ErrNotFound.
var errNotFoundInPath = notFoundError{}

type notFoundError struct{}

func (notFoundError) Error() string { return "executable file not found in $PATH" }
func (notFoundError) Is(target error) bool {
	return target == fs.ErrNotExist || errors.Is(exec.ErrNotFound, target)
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}
