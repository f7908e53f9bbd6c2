//go:build linux && !race

package main

var raceFlags []string
