package testkit

import (
	"os"
	"testing"
)

// StressEnv turns the long stress runs on:
//
//	SPAWNKIT_STRESS=1 go test -run Stress ./...
const StressEnv = "SPAWNKIT_STRESS"

// Iterations is how many times a stress loop runs: n by default, n*mult
// when [StressEnv] is set, n/4 with -short and n/2 under -race (both at
// least 1), so the loops stay short in CI and long by hand.
func Iterations(n, mult int) int {
	switch {
	case os.Getenv(StressEnv) != "":
		return n * mult
	case testing.Short():
		return max(1, n/4)
	case RaceEnabled:
		return max(1, n/2)
	}
	return n
}
