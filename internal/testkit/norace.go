//go:build !race

package testkit

// RaceEnabled is true in a test binary built with -race, where the stress
// loops run fewer times ([Iterations]).
const RaceEnabled = false
