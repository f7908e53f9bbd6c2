//go:build unix && amd64 && !purego

package ipc

import "golang.org/x/sys/cpu"

// haveSpecialBlocks reports whether specialBlocks may be called: it needs
// AVX2. Without it scanString keeps its portable passes.
var haveSpecialBlocks = cpu.X86.HasAVX2

// specialBlocks looks at b in blocks of 64 bytes, 32 bytes to a compare,
// for the bytes that end plain string content (strSpecial: '"', '\\' and
// those below 0x20), all three in one pass. It returns the index of the
// first such byte in b[:len(b)&^63], or len(b)&^63 when there is none; it
// does not look at the rest of b. It needs AVX2 (haveSpecialBlocks).
//
//go:noescape
func specialBlocks(b []byte) int
