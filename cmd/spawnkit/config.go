//go:build unix

package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spawnkit/spawnkit/childproc"
	"github.com/spawnkit/spawnkit/cluster"
)

// config is what `spawnkit run` was told.
type config struct {
	name         string
	workers      int
	listens      []string
	program      string
	args         []string
	cwd          string
	envFile      string
	env          []string // -e K=V
	readyAfter   time.Duration
	readyTimeout time.Duration
	stopTimeout  time.Duration
	watchdog     time.Duration
	maxDraining  int
	ipc          bool
	control      string
	backoff      cluster.Backoff
}

// spec is what a worker runs. It is read anew at every reload (program
// path, working directory with its symlinks resolved, environment file),
// so a deploy that switches a `current` symlink or installs a new binary
// is picked up; crash restarts keep the spec of the worker they replace.
type spec struct {
	gen   int
	path  string // the program, resolved
	argv0 string // as given on the command line
	args  []string
	dir   string // absolute, symlinks resolved
	env   []string
}

// loadSpec reads the spec of generation gen.
func (c *config) loadSpec(gen int, baseEnv []string) (*spec, error) {
	dir := c.cwd
	if dir == "" {
		dir = "."
	}
	dir, err := filepath.Abs(dir)
	if err == nil {
		dir, err = filepath.EvalSymlinks(dir)
	}
	if err != nil {
		return nil, fmt.Errorf("working directory: %w", err)
	}
	env := append([]string(nil), baseEnv...)
	if c.envFile != "" {
		kv, err := readEnvFile(c.envFile)
		if err != nil {
			return nil, err
		}
		env = append(env, kv...)
	}
	env = append(env, c.env...)
	path, err := lookProgram(c.program, dir, env)
	if err != nil {
		return nil, err
	}
	return &spec{gen: gen, path: path, argv0: c.program, args: c.args, dir: dir, env: env}, nil
}

// lookProgram resolves name as the worker would, by childproc.LookPath's
// rules (the ones Spawn follows): a name with a slash relative to dir, any
// other in the PATH of env (never the current directory implicitly).
func lookProgram(name, dir string, env []string) (string, error) {
	if strings.Contains(name, "/") && !filepath.IsAbs(name) {
		name = filepath.Join(dir, name)
	}
	return childproc.LookPath(name, env)
}

// readEnvFile reads KEY=VALUE lines; blank lines and lines starting with
// # are skipped, and a value in matching single or double quotes loses
// them (nothing else is interpreted).
func readEnvFile(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("env file: %w", err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		k, v, ok := strings.Cut(line, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("env file %s:%d: want KEY=VALUE", path, n)
		}
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			v = v[1 : len(v)-1]
		}
		out = append(out, k+"="+v)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("env file: %w", err)
	}
	return out, nil
}

// cleanEnv is the supervisor's environment without the variables that
// describe the supervisor itself (its sockets, its notify socket, its
// watchdog, its IPC channel): each worker gets its own.
func cleanEnv(env []string) []string {
	drop := []string{"LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES", "NOTIFY_SOCKET", "NOTIFY_FD",
		"WATCHDOG_USEC", "WATCHDOG_PID", "NODE_CHANNEL_FD", "NODE_CHANNEL_SERIALIZATION_MODE"}
	var out []string
outer:
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		for _, d := range drop {
			if k == d {
				continue outer
			}
		}
		out = append(out, kv)
	}
	return out
}

// setEnv returns env with key set to value, replacing earlier values.
func setEnv(env []string, key, value string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if k, _, _ := strings.Cut(kv, "="); k != key {
			out = append(out, kv)
		}
	}
	return append(out, key+"="+value)
}

var errStopping = errors.New("the supervisor is stopping")
