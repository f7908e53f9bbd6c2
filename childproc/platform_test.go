//go:build unix

package childproc_test

// setRlimitCur sets an rlimit field, a uint64 on Linux and an int64 on some
// BSDs.
func setRlimitCur[T ~int64 | ~uint64](p *T, v int) { *p = T(v) }
