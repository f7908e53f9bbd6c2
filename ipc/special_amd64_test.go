//go:build unix && amd64 && !purego

package ipc

import (
	"bytes"
	"testing"
)

// specialIndexNaive is the oracle of specialBlocks: the first byte of
// b[:len(b)&^63] that strSpecial marks, or len(b)&^63.
func specialIndexNaive(b []byte) int {
	n := len(b) &^ 63
	for i, c := range b[:n] {
		if strSpecial[c] {
			return i
		}
	}
	return n
}

func checkSpecialBlocks(t *testing.T, b []byte) {
	t.Helper()
	if got, want := specialBlocks(b), specialIndexNaive(b); got != want {
		t.Fatalf("specialBlocks(%q) = %d, want %d", b, got, want)
	}
}

// TestSpecialBlocks puts each byte value at each offset of buffers on
// either side of one, two and three 64-byte blocks (both halves of a
// block, the block edges, the tail that is not looked at), alone and after
// an earlier special, in slices at two alignments; bytes next to the specials in
// value (0x20, 0x21, 0x5b, 0x5d, and the specials with the top bit set)
// must not count.
func TestSpecialBlocks(t *testing.T) {
	if !haveSpecialBlocks {
		t.Skip("no AVX2")
	}
	backing := make([]byte, 256+64)
	for _, align := range []int{0, 17} {
		for _, n := range []int{0, 1, 31, 32, 33, 63, 64, 65, 127, 128, 129, 191, 192, 193, 200} {
			b := backing[align : align+n]
			for i := range b {
				b[i] = 'x'
			}
			checkSpecialBlocks(t, b)
			for p := range n {
				for c := range 256 {
					b[p] = byte(c)
					checkSpecialBlocks(t, b)
					if p > 0 {
						b[p/2] = '"'
						checkSpecialBlocks(t, b)
						b[p/2] = 'x'
					}
				}
				b[p] = 'x'
			}
		}
	}
}

// TestScanStringPortable runs the scanString cases through the portable
// passes too (what machines without AVX2 run): both must match the old scan.
func TestScanStringPortable(t *testing.T) {
	if !haveSpecialBlocks {
		t.Skip("the portable passes are the only ones here: TestScanStringMatchesOld covers them")
	}
	haveSpecialBlocks = false
	defer func() { haveSpecialBlocks = true }()
	TestScanStringMatchesOld(t)
}

// FuzzSpecialBlocks compares specialBlocks with a byte-by-byte look.
func FuzzSpecialBlocks(f *testing.F) {
	f.Add(bytes.Repeat([]byte{'a'}, 64))
	f.Add(append(bytes.Repeat([]byte{'a'}, 100), '\\'))
	f.Add(append(bytes.Repeat([]byte{0xa2}, 130), 0x1f))
	f.Fuzz(func(t *testing.T, data []byte) {
		if !haveSpecialBlocks {
			t.Skip("no AVX2")
		}
		checkSpecialBlocks(t, data)
		for len(data) > 0 {
			data = data[1:]
			checkSpecialBlocks(t, data)
		}
	})
}
