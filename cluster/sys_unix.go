//go:build unix

package cluster

import "syscall"

// reloadSignal makes Run reload the workers one by one.
const reloadSignal = syscall.SIGUSR2
