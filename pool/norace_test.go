//go:build !race

package pool_test

// raceEnabled is true under -race, where the stress loops run fewer times.
const raceEnabled = false
