// Package bench measures spawnkit against the same work done with plain
// os/exec, with Node.js's child_process (scripts in node/) and with the
// shell.
//
// The Go benchmarks (bench_test.go) run with
//
//	go test -run '^$' -bench . -benchmem -count 6 ./internal/bench/
//
// and the interleaved A/B comparison with every anchor runs with
//
//	go run ./bench/cmd/compare
//
// See README.md for the flags and RESULTS.md for the figures. The package's
// exported functions are the scenarios themselves, shared by both and by the
// smoke test; a program that uses them must call childproc.Init first in
// main, because the IPC scenarios fork the running binary in the roles this
// package registers.
package bench
