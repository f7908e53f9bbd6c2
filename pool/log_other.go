//go:build !unix

package pool

import "syscall"

func sigName(syscall.Signal) string { return "" }
