//go:build unix && (!amd64 || purego)

package ipc

// haveSpecialBlocks is false: scanString keeps its portable passes.
const haveSpecialBlocks = false

// specialBlocks is never called here (see special_amd64.go).
func specialBlocks(b []byte) int { panic("ipc: specialBlocks without AVX2") }
