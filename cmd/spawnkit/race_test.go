//go:build linux && race

package main

// raceFlags builds the supervisor with the race detector when the tests
// run with it, so a data race in the supervisor fails the test too.
var raceFlags = []string{"-race"}
