//go:build !linux

package bench

import "errors"

// ErrNoMainThread is never returned off Linux (see the Linux version).
var ErrNoMainThread = errors.New("bench: no goroutine reached the main thread")

// OffMainThread runs fn. Only Linux starts children differently on the
// main thread (see the Linux version), so elsewhere there is nothing to
// avoid.
func OffMainThread(fn func() error) error { return fn() }
