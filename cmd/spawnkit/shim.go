//go:build unix

package main

import (
	"fmt"
	"os"
	"strconv"
	"syscall"
)

// shimArg, as the first argument, makes spawnkit the shim a worker starts
// as: it sets LISTEN_PID (and WATCHDOG_PID) to its own pid and then execs
// the program, which keeps that pid. Go cannot set a variable between fork
// and exec, and sd_listen_fds(3) ignores the sockets unless LISTEN_PID is
// the pid of the process reading them.
const shimArg = "__spawnkit_shim"

// shim runs `PATH ARGV0 ARGS...`: it execs PATH with argv ARGV0 ARGS...
// and the environment it was given, with LISTEN_PID set when LISTEN_FDS is
// and WATCHDOG_PID set when WATCHDOG_USEC is. It touches no descriptor, so
// the listeners stay exactly as the supervisor passed them. It exits 127
// when the exec fails.
func shim(args []string) {
	if len(args) < 2 {
		fmt.Fprintln(os.Stderr, "spawnkit shim: want PATH ARGV0 [ARGS...]")
		os.Exit(127)
	}
	pid := strconv.Itoa(os.Getpid())
	env := os.Environ()
	for _, kv := range env {
		if len(kv) > 11 && kv[:11] == "LISTEN_FDS=" {
			env = setEnv(env, "LISTEN_PID", pid)
			break
		}
	}
	if _, ok := os.LookupEnv("WATCHDOG_USEC"); ok {
		env = setEnv(env, "WATCHDOG_PID", pid)
	}
	beforeExec()
	err := syscall.Exec(args[0], args[1:], env)
	fmt.Fprintf(os.Stderr, "spawnkit: exec %s: %v\n", args[0], err)
	os.Exit(127)
}
