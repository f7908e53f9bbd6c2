//go:build !unix

package childproc

import "syscall"

func sigName(syscall.Signal) string { return "" }
