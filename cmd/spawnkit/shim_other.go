//go:build unix && !linux

package main

// beforeExec has nothing to do where there is no parent-death signal.
func beforeExec() {}
