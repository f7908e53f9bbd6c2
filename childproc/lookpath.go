package childproc

import (
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
)

// DefaultPath is the search path used when the child's environment has no
// PATH variable at all, as Node (libuv) does: the _PATH_DEFPATH of the C
// library. A PATH that is set but empty searches nothing.
const DefaultPath = "/usr/bin:/bin"

// LookPath returns the file that [Spawn], [Exec], [ExecFile] and [Fork] would run
// for name in a child whose environment is env (nil means the parent's,
// os.Environ(), as for [Options].Env), following exactly their rules:
//
//   - "", "." and ".." are refused before any search (as os/exec does since
//     CVE-2025-47906): the error matches fs.ErrNotExist and exec.ErrNotFound.
//   - A name holding a slash is not searched: it is returned as is when it
//     names a file the caller may execute (relative names are relative to
//     the current directory; Spawn resolves them against Options.Dir). A
//     missing file matches fs.ErrNotExist; a directory or a file without
//     execute permission matches fs.ErrPermission.
//   - Otherwise each directory of env's PATH is searched in order, or of
//     [DefaultPath] when env has no PATH. An empty entry means ".". The first
//     regular file the kernel lets this process execute wins (access(2)
//     with X_OK against the effective ids, so a file executable by its
//     owner only, or on a noexec mount, is skipped and the search goes on).
//   - A match found through a relative entry such as "." or "bin" is
//     refused with an error wrapping exec.ErrDot, along with that relative
//     path: the current directory is never searched implicitly.
//   - No match is an error matching fs.ErrNotExist and exec.ErrNotFound.
//
// LookPath cannot tell whether the file is a program the kernel knows how
// to start; running one that is not fails with [ErrNotProgram].
func LookPath(name string, env []string) (string, error) {
	if env == nil {
		env = os.Environ()
	}
	if strings.Contains(name, "/") {
		if err := checkExecutable(name); err != nil {
			return "", fmt.Errorf("childproc: lookpath %s: %w", name, err)
		}
		return name, nil
	}
	path, err := lookPath(name, env)
	if err != nil {
		return path, fmt.Errorf("childproc: lookpath %s: %w", name, err)
	}
	return path, nil
}

// validName reports whether name can name a program at all.
func validName(name string) bool {
	return name != "" && name != "." && name != ".."
}

// lookPath is LookPath without the check of names holding a slash, which
// Spawn leaves to the kernel (the name is relative to Options.Dir there).
// On an exec.ErrDot error it also returns the relative match. Its errors do
// not repeat the name: the caller's message carries it.
func lookPath(name string, env []string) (string, error) {
	if !validName(name) {
		return "", errNotFoundInPath
	}
	if strings.Contains(name, "/") {
		return name, nil
	}
	path, ok := lookupEnv(env, "PATH")
	if !ok {
		path = DefaultPath
	}
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			dir = "." // shell semantics
		}
		candidate := filepath.Join(dir, name)
		if checkExecutable(candidate) != nil {
			continue
		}
		if !filepath.IsAbs(candidate) {
			return candidate, fmt.Errorf("found as %s, relative to the current directory: %w", candidate, exec.ErrDot)
		}
		return candidate, nil
	}
	return "", errNotFoundInPath
}

// checkExecutable returns nil when path is a regular file this process may
// execute, an error matching fs.ErrNotExist when it is missing and one
// matching fs.ErrPermission otherwise (a directory, no execute permission,
// a noexec mount), as execve(2) would.
func checkExecutable(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return &fs.PathError{Op: "exec", Path: path, Err: syscall.EACCES}
	}
	if err := canExecute(path, fi.Mode()); err != nil {
		return &fs.PathError{Op: "exec", Path: path, Err: err}
	}
	return nil
}

// errNotFoundInPath matches fs.ErrNotExist and exec.ErrNotFound.
var errNotFoundInPath = notFoundError{}

type notFoundError struct{}

func (notFoundError) Error() string { return "executable file not found in $PATH" }
func (notFoundError) Is(target error) bool {
	return target == fs.ErrNotExist || target == exec.ErrNotFound
}
