//go:build unix

package ipc

import (
	"bytes"
	"fmt"
	"io"
	"testing"
)

// cutReader returns data in reads that never cross one of its cut points
// (stream offsets) and are otherwise as large as asked for, or at most
// chunk bytes when chunk > 0. It records the size of every read asked for.
type cutReader struct {
	data  []byte
	off   int
	cuts  []int
	chunk int
	asked []int
}

func (r *cutReader) Read(p []byte) (int, error) {
	r.asked = append(r.asked, len(p))
	if r.off == len(r.data) {
		return 0, io.EOF
	}
	k := min(len(p), len(r.data)-r.off)
	if r.chunk > 0 {
		k = min(k, r.chunk)
	}
	for _, c := range r.cuts {
		if c > r.off && c-r.off < k {
			k = c - r.off
		}
	}
	copy(p, r.data[r.off:r.off+k])
	r.off += k
	return k, nil
}

// hintLines returns one line of each size in sizes (newline-ended), each
// filled with a byte of its own, and the whole stream.
func hintLines(sizes ...int) ([][]byte, []byte) {
	var lines [][]byte
	var data []byte
	for i, n := range sizes {
		l := bytes.Repeat([]byte{'a' + byte(i%26)}, n)
		lines = append(lines, l)
		data = append(append(data, l...), '\n')
	}
	return lines, data
}

// readAllLines reads lines from fr until EOF and fails unless they are
// want, at their stream offsets, and the buffer stayed bounded.
func readAllLines(t *testing.T, fr *frameReader, want [][]byte, what string) {
	t.Helper()
	var off int64
	for i, w := range want {
		line, at, fd, err := fr.next()
		if err != nil || fd != -1 {
			t.Fatalf("%s: line %d: %v (fd %d)", what, i, err, fd)
		}
		if !bytes.Equal(line, w) || at != off {
			t.Fatalf("%s: line %d: %d bytes at %d, want %d bytes at %d", what, i, len(line), at, len(w), off)
		}
		off += int64(len(w)) + 1
	}
	if _, _, _, err := fr.next(); err != io.EOF {
		t.Fatalf("%s: after the lines: %v, want EOF", what, err)
	}
	if len(fr.buf) > fr.max+readSize {
		t.Fatalf("%s: buffer grew to %d", what, len(fr.buf))
	}
}

// TestFrameReaderReadsLargeLinesWhole: after a line longer than
// hintAbove, a read asks for what completes a line of the same length and
// for as many more whole lines of it as fit, so a stream of large lines of
// one size is read in whole lines (one at a time when two do not fit) and
// nothing is compacted: every read after the first two ends at a line's
// end.
func TestFrameReaderReadsLargeLinesWhole(t *testing.T) {
	for _, c := range []struct{ size, perRead int }{{40000, 1}, {64 << 10, 1}, {17000, 3}, {hintAbove + 1, 3}} {
		sizes := make([]int, 30)
		for i := range sizes {
			sizes[i] = c.size
		}
		lines, data := hintLines(sizes...)
		src := &cutReader{data: data}
		fr := newFrameReader(readerSource{src}, DefaultMaxMessageSize)
		for i, w := range lines {
			line, _, _, err := fr.next()
			if err != nil || !bytes.Equal(line, w) {
				t.Fatalf("size %d, line %d: %d bytes, %v", c.size, i, len(line), err)
			}
		}
		// The first reads take what the buffer holds (and grow it)
		// and complete the line they cut. From the fourth on every
		// read asks for whole lines, as many as fit.
		got := 0
		for k, n := range src.asked {
			if k < 3 {
				continue
			}
			if n%(c.size+1) != 0 {
				t.Fatalf("size %d: read %d asked for %d bytes, not whole lines (reads %v)", c.size, k, n, src.asked)
			}
			got = max(got, n/(c.size+1))
		}
		if got != c.perRead {
			t.Fatalf("size %d: reads of up to %d lines, want %d (reads %v)", c.size, got, c.perRead, src.asked)
		}
	}
}

// TestFrameReaderLargeLinesSplitAnywhere: lines on either side of
// hintAbove, lines longer and shorter than the one before (a wrong
// guess), cut into reads at every offset around each line's end and at
// fixed sizes: every line comes out whole, at its offset.
func TestFrameReaderLargeLinesSplitAnywhere(t *testing.T) {
	lines, data := hintLines(hintAbove-1, hintAbove, hintAbove, hintAbove+1, 40000, 40000, 39999,
		40001, 40001, 5, 70000, 70000, 20000, 3, 0, 20000, 20000, 150000, 20000)
	for _, chunk := range []int{0, 1, 97, 4096, hintAbove - 1, hintAbove, hintAbove + 1, 40000, 40001, 40002, 65536} {
		src := &cutReader{data: data, chunk: chunk}
		readAllLines(t, newFrameReader(readerSource{src}, 200000), lines, fmt.Sprintf("chunk %d", chunk))
	}
	// Two cuts near the ends of the second and third of three equal
	// lines (the first sets the guess), at every offset from 40 before
	// to 40 after each end.
	const size = 20000
	lines, data = hintLines(size, size, size)
	for _, d1 := range []int{-40, -2, -1, 0, 1, 2, 40} {
		for c2 := 3*(size+1) - 40; c2 <= 3*(size+1); c2++ {
			c1 := 2*(size+1) + d1
			src := &cutReader{data: data, cuts: []int{c1, c2}}
			readAllLines(t, newFrameReader(readerSource{src}, DefaultMaxMessageSize), lines, fmt.Sprintf("cuts %d %d", c1, c2))
		}
	}
	for c1 := 2*(size+1) - 40; c1 <= 2*(size+1)+40; c1++ {
		for _, c2 := range []int{c1 + 1, c1 + 2, 3*(size+1) - 1, 3 * (size + 1)} {
			src := &cutReader{data: data, cuts: []int{c1, c2}}
			readAllLines(t, newFrameReader(readerSource{src}, DefaultMaxMessageSize), lines, fmt.Sprintf("cuts %d %d", c1, c2))
		}
	}
}

// TestFrameReaderLargeLineOverLimit: a line over the limit that follows
// large lines (the read size guessed) is still ErrTooLarge, and the buffer
// stays bounded.
func TestFrameReaderLargeLineOverLimit(t *testing.T) {
	const max = 50000
	_, data := hintLines(40000, 40000, max+1, 10)
	for _, chunk := range []int{0, 1000, 40001} {
		fr := newFrameReader(readerSource{&cutReader{data: data, chunk: chunk}}, max)
		for i := range 2 {
			if _, _, _, err := fr.next(); err != nil {
				t.Fatalf("chunk %d: line %d: %v", chunk, i, err)
			}
		}
		if _, _, _, err := fr.next(); err != ErrTooLarge {
			t.Fatalf("chunk %d: the line over the limit: %v, want ErrTooLarge", chunk, err)
		}
		if len(fr.buf) > max+readSize {
			t.Fatalf("chunk %d: buffer grew to %d", chunk, len(fr.buf))
		}
	}
}

// TestFrameReaderKeepsBufferForHugeLines: lines that need a buffer larger
// than shrinkAbove set no read size, so the buffer is not emptied after
// each, dropped and grown again: a run of them costs the first line's
// growth and no more (with a read size per line, each line took a new
// 64 KiB buffer doubled up to 2 MiB).
func TestFrameReaderKeepsBufferForHugeLines(t *testing.T) {
	for _, size := range []int{shrinkAbove - minFree/2, shrinkAbove, 3 * shrinkAbove / 2} {
		sizes := make([]int, 12)
		for i := range sizes {
			sizes[i] = size
		}
		lines, data := hintLines(sizes...)
		fr := newFrameReader(readerSource{&cutReader{data: data}}, DefaultMaxMessageSize)
		var bufs []*byte
		for i, w := range lines {
			line, _, _, err := fr.next()
			if err != nil || !bytes.Equal(line, w) {
				t.Fatalf("size %d, line %d: %d bytes, %v", size, i, len(line), err)
			}
			if p := &fr.buf[0]; len(bufs) == 0 || bufs[len(bufs)-1] != p {
				bufs = append(bufs, p)
			}
		}
		// The buffer the first line grew stays (with a read size per
		// line: a new one after each line, 11 here).
		if len(bufs) > 2 {
			t.Fatalf("size %d: %d buffers for %d lines", size, len(bufs), len(lines))
		}
	}
}
