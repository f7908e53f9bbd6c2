// Command spawnkit runs any program as N worker processes that share
// listening sockets, restarts them when they crash or hang, and replaces
// them one at a time without refusing a connection:
//
//	spawnkit run -n 4 -l http=tcp://:8080 -- ./server args
//	spawnkit ctl reload --wait
//
// The supervisor binds the sockets (or adopts its own, when systemd
// socket-activates it) and passes them to every worker as fds 3, 4, …
// with LISTEN_FDS, LISTEN_FDNAMES and a LISTEN_PID equal to the worker's
// own pid, so that programs speaking systemd socket activation work
// unchanged. A worker says it is ready with the sd_notify protocol
// (NOTIFY_SOCKET, or the NOTIFY_FD pipe), with process.send('ready') over
// a Node IPC channel (--ipc), or counts as ready after --ready-after.
//
// Run "spawnkit help" for the flags and the control commands; the README
// shows the workflow end to end.
package main

import (
	"fmt"
	"os"
)

const usage = `usage:
  spawnkit run [flags] -- PROGRAM [ARGS...]   run PROGRAM as workers (see "spawnkit run -h")
  spawnkit ctl [--control PATH | --name NAME] COMMAND
      status [--json]     the workers, one line each (or JSON)
      reload [--wait]     rolling reload; --wait returns when it is done, with its error
      scale N             run N workers
      restart SLOT        replace the worker of slot SLOT (start new, wait ready, stop old)
      signal SIG          send SIG (e.g. USR1, HUP) to every worker
`

func main() {
	if len(os.Args) > 1 && os.Args[1] == shimArg {
		shim(os.Args[2:]) // never returns
	}
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	var code int
	switch os.Args[1] {
	case "run":
		code = runCommand(os.Args[2:])
	case "ctl":
		code = ctlCommand(os.Args[2:])
	case "help", "-h", "--help":
		fmt.Print(usage)
	default:
		fmt.Fprintf(os.Stderr, "spawnkit: unknown command %q\n%s", os.Args[1], usage)
		code = 2
	}
	os.Exit(code)
}
