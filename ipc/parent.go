//go:build unix

package ipc

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

var (
	parentMu sync.Mutex
	parentCh *Channel
)

// FromParent returns the channel to the parent process, as a Node child
// finds it (setupChildProcessIpcChannel in
// lib/internal/process/pre_execution.js): the descriptor number is in
// NODE_CHANNEL_FD and the serialization in NODE_CHANNEL_SERIALIZATION_MODE.
// This works for a Go program started by Node's child_process.fork (with
// execPath set to the Go binary; the script path it passes as the first
// argument can be ignored) or by spawn with an 'ipc' entry in stdio, and by
// a Go parent that passes one end of [Pair].
//
// When NODE_CHANNEL_FD is unset or empty, FromParent returns ErrNoParent.
// Otherwise it removes both variables from the environment, as Node does,
// so that the process's own children do not inherit them. A serialization
// mode other than "json" (or empty) is an error: "advanced" (V8
// serialization) is not supported. The descriptor is made close-on-exec;
// the Channel uses a duplicate of it, and the original number is closed,
// also when FromParent fails because it is not a Unix-domain stream
// socket or because of the serialization mode.
//
// The first successful call creates the Channel; later calls return the
// same Channel, even after it has been closed.
func FromParent() (*Channel, error) {
	parentMu.Lock()
	defer parentMu.Unlock()
	if parentCh != nil {
		return parentCh, nil
	}
	ch, err := fromEnv(nil)
	if err != nil {
		return nil, err
	}
	parentCh = ch
	return ch, nil
}

func fromEnv(opts *Options) (*Channel, error) {
	s := os.Getenv(envFD)
	if s == "" {
		return nil, ErrNoParent
	}
	mode := os.Getenv(envMode)
	os.Unsetenv(envFD)
	os.Unsetenv(envMode)
	fd, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || fd < 0 {
		return nil, fmt.Errorf("ipc: %s=%q is not a descriptor number", envFD, s)
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return nil, fmt.Errorf("ipc: %s=%d: %w", envFD, fd, err)
	}
	syscall.CloseOnExec(fd)
	f := os.NewFile(uintptr(fd), envFD+"="+strconv.Itoa(fd))
	switch mode {
	case "", "json":
	case "advanced":
		f.Close()
		return nil, fmt.Errorf("ipc: %s=advanced (V8 serialization) is not supported; the parent must use serialization 'json'", envMode)
	default:
		f.Close()
		return nil, fmt.Errorf("ipc: unknown %s=%q", envMode, mode)
	}
	ch, err := New(f, opts)
	if err != nil {
		f.Close()
		return nil, err
	}
	return ch, nil
}
