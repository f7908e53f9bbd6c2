//go:build unix

package ipc

import (
	"bytes"
	"strings"
	"testing"
)

// scanStringOld is scanString as it was before it looked at short runs one
// byte at a time: three passes over every run (bytes.IndexByte for the quote, for
// the backslash, then controlIndex). It is the oracle of FuzzScanString and
// TestScanStringMatchesOld, and the "old" of BenchmarkScanString.
func scanStringOld(b []byte, i int) (int, string) {
	j := i + 1
	q := -1 // position of the next '"' at or after j, once known
	for {
		if q < j {
			k := bytes.IndexByte(b[j:], '"')
			if k < 0 {
				return scanUnterminatedOld(b, j)
			}
			q = j + k
		}
		seg := b[j:q]
		bs := bytes.IndexByte(seg, '\\')
		if bs >= 0 {
			seg = seg[:bs]
		}
		if k := controlIndex(seg); k >= 0 {
			return j + k, "invalid character " + quoteChar(b[j+k]) + " in string literal"
		}
		if bs < 0 {
			return q + 1, ""
		}
		var msg string
		if j, msg = scanEscape(b, j+bs); msg != "" {
			return j, msg
		}
	}
}

// scanUnterminatedOld finds the error in a string with no closing quote.
func scanUnterminatedOld(b []byte, j int) (int, string) {
	for j < len(b) {
		switch c := b[j]; {
		case c == '\\':
			var msg string
			if j, msg = scanEscape(b, j); msg != "" {
				return j, msg
			}
		case c < 0x20:
			return j, "invalid character " + quoteChar(c) + " in string literal"
		default:
			j++
		}
	}
	return j, errEOF
}

// compareScanString fails unless scanString and scanStringOld give the
// same end offset and error for the string starting at data[0].
func compareScanString(t *testing.T, data []byte) {
	t.Helper()
	if len(data) == 0 || data[0] != '"' {
		data = append([]byte{'"'}, data...)
	}
	at, msg := scanString(data, 0)
	oldAt, oldMsg := scanStringOld(data, 0)
	if at != oldAt || msg != oldMsg {
		t.Fatalf("scanString(%q) = %d %q, the old scan %d %q", data, at, msg, oldAt, oldMsg)
	}
}

// scanStringCases are strings whose specials sit on either side of
// shortRun, of controlIndex's 32-byte blocks and of specialBlocks' 64-byte
// ones.
func scanStringCases() [][]byte {
	var out [][]byte
	specials := []string{`"`, `\"`, `\\`, `\n`, `\u00e9`, `\u12`, `\x`, "\x00", "\x1f", "\n", `\`, "\xff", "\x7f", " "}
	for _, n := range []int{0, 1, shortRun - 1, shortRun, shortRun + 1, 31, 32, 33, 40, 64 + 7, shortRun + 63, shortRun + 64, shortRun + 65, shortRun + 127, shortRun + 128, 300} {
		pad := strings.Repeat("a", n)
		for _, s := range specials {
			for _, tail := range []string{``, `"`, `b"`, pad + `"`, `\` + `"` + pad + `"`, "\x01\"", pad} {
				out = append(out, []byte(`"`+pad+s+tail))
			}
		}
	}
	return out
}

func TestScanStringMatchesOld(t *testing.T) {
	for _, c := range scanStringCases() {
		compareScanString(t, c)
	}
	// Escapes close together over a long string, and no closing quote.
	long := strings.Repeat(`abcdefg\"`, 1000) + strings.Repeat(`Lorem ipsum, \"dolor\"\n`, 100)
	for _, s := range []string{`"` + long + `"`, `"` + long, `"` + long + "\x02\"", `"` + strings.Repeat("x", 1<<16) + `\`} {
		compareScanString(t, []byte(s))
	}
}

// FuzzScanString compares scanString with the three-pass scan it replaced:
// the same end offset and the same error for every input.
func FuzzScanString(f *testing.F) {
	for _, c := range scanStringCases() {
		f.Add(c)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		compareScanString(t, data)
		// Also past a long plain run, where the bulk scans start.
		compareScanString(t, append([]byte(`"`+strings.Repeat("z", 40)), data...))
	})
}

// BenchmarkScanString: the string scan alone, old (three passes) against
// new, on 64 KiB strings without escapes (plain), with an escaped quote
// every nine bytes (esc), with two escapes per 60-byte line of text
// (text), and on the strings of a small message (small).
func BenchmarkScanString(b *testing.B) {
	inputs := []struct {
		name string
		s    []byte
	}{
		{"plain", []byte(`"` + strings.Repeat("x", 64<<10-2) + `"`)},
		{"esc", []byte(`"` + strings.Repeat(`abcdefg\"`, 64<<10/9) + `"`)},
		{"text", []byte(`"` + strings.Repeat(`Lorem ipsum dolor sit amet, \"consectetur\" adipiscing elit\n`, 64<<10/64) + `"`)},
		{"small", []byte(`"tick"`)},
	}
	for _, in := range inputs {
		for _, f := range []struct {
			name string
			f    func([]byte, int) (int, string)
		}{{"old", scanStringOld}, {"new", scanString}} {
			b.Run(in.name+"/"+f.name, func(b *testing.B) {
				b.SetBytes(int64(len(in.s)))
				for b.Loop() {
					if at, msg := f.f(in.s, 0); at != len(in.s) {
						b.Fatal(at, msg)
					}
				}
			})
		}
	}
}
