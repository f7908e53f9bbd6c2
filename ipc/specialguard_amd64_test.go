//go:build linux && amd64 && !purego

package ipc

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// TestScanStringGuardPage: strings of 0..300 bytes that end at the last
// byte before a PROT_NONE page (so that reading one byte too far faults),
// random plain content with a special byte (or none) near the 32- and
// 64-byte block edges: the AVX2 scan and the portable passes agree, and
// neither reads past the end.
func TestScanStringGuardPage(t *testing.T) {
	if !haveSpecialBlocks {
		t.Skip("no AVX2")
	}
	page := unix.Getpagesize()
	mem, err := unix.Mmap(-1, 0, 2*page, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	require.NoError(t, err)
	defer unix.Munmap(mem)
	require.NoError(t, unix.Mprotect(mem[page:], unix.PROT_NONE))
	rng := rand.New(rand.NewPCG(1, 2))
	specials := []byte{'"', '\\', 0, 0x1f, '\n'}
	for n := 1; n <= 300; n++ {
		for trial := range 40 {
			b := mem[page-n : page]
			b[0] = '"'
			for i := 1; i < n; i++ {
				b[i] = byte(0x20 + rng.IntN(0x7f-0x20))
				if b[i] == '"' || b[i] == '\\' {
					b[i] = 'a'
				}
			}
			if trial > 0 && n > 1 {
				// a special at a block edge, or anywhere
				edges := []int{31, 32, 33, 63, 64, 65, 95, 96, 127, 128, 129}
				p := 1 + rng.IntN(n-1)
				if trial%2 == 0 {
					p = 1 + edges[rng.IntN(len(edges))]%(n-1)
				}
				b[p] = specials[rng.IntN(len(specials))]
			}
			gi, gm := scanString(b, 0)
			haveSpecialBlocks = false
			wi, wm := scanString(b, 0)
			haveSpecialBlocks = true
			require.Equal(t, wi, gi, "n=%d %q", n, b)
			require.Equal(t, wm, gm, "n=%d %q", n, b)
			oi, om := scanStringOld(b, 0)
			require.Equal(t, oi, gi, "old: n=%d %q", n, b)
			require.Equal(t, om, gm, "old: n=%d %q", n, b)
			require.Equal(t, specialIndexNaive(b), specialBlocks(b))
		}
	}
}
