//go:build !unix

package main

import (
	"fmt"
	"os"
)

const shimArg = "__spawnkit_shim"

func shim([]string) { os.Exit(127) }

func runCommand([]string) int {
	fmt.Fprintln(os.Stderr, "spawnkit: run needs a Unix system")
	return 1
}

func ctlCommand([]string) int {
	fmt.Fprintln(os.Stderr, "spawnkit: ctl needs a Unix system")
	return 1
}
