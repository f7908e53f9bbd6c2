//go:build !linux

package bench

// OffMainThread runs fn. Only Linux starts children differently on the
// main thread (see the Linux version), so elsewhere there is nothing to
// avoid.
func OffMainThread(fn func() error) error { return fn() }
