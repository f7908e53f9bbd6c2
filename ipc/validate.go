//go:build unix

package ipc

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strconv"
)

// validator checks JSON syntax without building values. It accepts what
// json.Valid accepts, and also values nested deeper than encoding/json's
// limit of 10,000 levels, which Node's JSON.parse reads: nesting costs one
// bit per level (an eighth of the line's length at most), never a refusal.
// Strings, which make up the bulk of large messages, are scanned 64 bytes
// at a time with AVX2 on amd64 (special_amd64.s), else by bytes.IndexByte
// and eight bytes at a time.
type validator struct {
	open bitStack // one bit per open container: 1 for an object

	// cmdKey reports, after a check that passed, whether the value is an
	// object with a member whose key is "cmd" or a short key with an
	// escape (that may spell "cmd"): only such a value can be one of
	// Node's internal messages, so no other is searched for "NODE_".
	cmdKey bool
}

var cmdKeyQuoted = []byte(`"cmd"`)

// noteKey sets v.cmdKey if the key string starting at b[i], a member of
// the outermost object, may be "cmd". An escaped spelling of "cmd" has at
// most 18 bytes between its quotes.
func (v *validator) noteKey(b []byte, i int) {
	if v.cmdKey || i >= len(b) || b[i] != '"' {
		return
	}
	if bytes.HasPrefix(b[i:], cmdKeyQuoted) {
		v.cmdKey = true
		return
	}
	win := b[i+1 : min(len(b), i+20)]
	if q := bytes.IndexByte(win, '"'); q >= 0 && bytes.IndexByte(win[:q], '\\') >= 0 {
		v.cmdKey = true
	}
}

// bitStack is a stack of bits.
type bitStack struct {
	bits []uint64
	n    int
}

func (s *bitStack) push(obj bool) {
	if s.n&63 == 0 && s.n>>6 == len(s.bits) {
		s.bits = append(s.bits, 0)
	}
	w, b := s.n>>6, uint(s.n&63)
	if obj {
		s.bits[w] |= 1 << b
	} else {
		s.bits[w] &^= 1 << b
	}
	s.n++
}

// top returns '{' or '[' for the innermost open container.
func (s *bitStack) top() byte {
	i := s.n - 1
	if s.bits[i>>6]&(1<<uint(i&63)) != 0 {
		return '{'
	}
	return '['
}

func (s *bitStack) pop()     { s.n-- }
func (s *bitStack) len() int { return s.n }
func (s *bitStack) reset()   { s.n = 0 }

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

func quoteChar(c byte) string {
	if c == '\'' {
		return `'\''`
	}
	if c == '"' {
		return `'"'`
	}
	s := strconv.Quote(string(rune(c)))
	if c >= 0x80 {
		s = fmt.Sprintf(`'\x%02x'`, c)
		return s
	}
	return "'" + s[1:len(s)-1] + "'"
}

const errEOF = "unexpected end of JSON input"

// check returns -1 if b holds exactly one JSON value (with optional
// surrounding whitespace); otherwise the offset in b where the error was
// found and a description.
func (v *validator) check(b []byte) (int, string) {
	stack := &v.open
	stack.reset()
	v.cmdKey = false
	defer func() {
		if cap(stack.bits) > 1<<10 {
			stack.bits = nil // a deep message's stack is not kept
		}
	}()
	i := skipSpace(b, 0)
value:
	for {
		if i >= len(b) {
			return i, errEOF
		}
		c := b[i]
		var msg string
		switch {
		case c == '{' || c == '[':
			j := skipSpace(b, i+1)
			if j < len(b) && (c == '{' && b[j] == '}' || c == '[' && b[j] == ']') {
				i = j + 1
				break
			}
			stack.push(c == '{')
			i = j
			if c == '{' {
				if stack.len() == 1 {
					v.noteKey(b, i)
				}
				if i, msg = scanKey(b, i); msg != "" {
					return i, msg
				}
			}
			continue value
		case c == '"':
			i, msg = scanString(b, i)
		case c == 't':
			i, msg = scanLiteral(b, i, "true")
		case c == 'f':
			i, msg = scanLiteral(b, i, "false")
		case c == 'n':
			i, msg = scanLiteral(b, i, "null")
		case c == '-' || '0' <= c && c <= '9':
			i, msg = scanNumber(b, i)
		default:
			return i, "invalid character " + quoteChar(c) + " looking for beginning of value"
		}
		if msg != "" {
			return i, msg
		}
		// After a value: close containers or move to the next element.
		for {
			i = skipSpace(b, i)
			if stack.len() == 0 {
				if i < len(b) {
					return i, "invalid character " + quoteChar(b[i]) + " after top-level value"
				}
				return -1, ""
			}
			if i >= len(b) {
				return i, errEOF
			}
			c := b[i]
			top := stack.top()
			switch {
			case c == ',':
				i = skipSpace(b, i+1)
				if top == '{' {
					if stack.len() == 1 {
						v.noteKey(b, i)
					}
					if i, msg = scanKey(b, i); msg != "" {
						return i, msg
					}
				}
				continue value
			case top == '{' && c == '}', top == '[' && c == ']':
				stack.pop()
				i++
			case top == '{':
				return i, "invalid character " + quoteChar(c) + " after object key:value pair"
			default:
				return i, "invalid character " + quoteChar(c) + " after array element"
			}
		}
	}
}

// scanKey scans `"key" :` and the whitespace after it.
func scanKey(b []byte, i int) (int, string) {
	if i >= len(b) {
		return i, errEOF
	}
	if b[i] != '"' {
		return i, "invalid character " + quoteChar(b[i]) + " looking for beginning of object key string"
	}
	i, msg := scanString(b, i)
	if msg != "" {
		return i, msg
	}
	i = skipSpace(b, i)
	if i >= len(b) {
		return i, errEOF
	}
	if b[i] != ':' {
		return i, "invalid character " + quoteChar(b[i]) + " after object key"
	}
	return skipSpace(b, i+1), ""
}

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// ctlMask has the high bit of some byte set if any byte of x is below 0x20
// (the classic has-less-than trick; false positives only occur next to a
// true one).
func ctlMask(x uint64) uint64 { return (x - lsb*0x20) &^ x }

// controlIndex returns the index of the first byte below 0x20 in s, or -1.
// The loop slices t forward so that the compiler drops its bounds checks.
func controlIndex(s []byte) int {
	t := s
	for len(t) >= 32 {
		m := ctlMask(binary.LittleEndian.Uint64(t)) |
			ctlMask(binary.LittleEndian.Uint64(t[8:])) |
			ctlMask(binary.LittleEndian.Uint64(t[16:])) |
			ctlMask(binary.LittleEndian.Uint64(t[24:]))
		if m&msb != 0 {
			break
		}
		t = t[32:]
	}
	for j := len(s) - len(t); j < len(s); j++ {
		if s[j] < 0x20 {
			return j
		}
	}
	return -1
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// strSpecial marks the bytes that end a run of plain string content: the
// quote, the backslash and the control characters.
var strSpecial = func() (t [256]bool) {
	for c := range 0x20 {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()

// shortRun is how many bytes of a string scanString looks at one by one
// before it hands the rest of the run to the bulk scans: short strings and
// the short runs between close escapes cost no call, long runs no more
// than shortRun extra steps.
const shortRun = 32

// scanString scans the string starting with the quote at b[i]. A run of
// plain content longer than shortRun is scanned, with AVX2, for all three
// bytes that end it (quote, backslash, control character) in one pass
// (specialBlocks); elsewhere by bytes.IndexByte (for the closing quote and
// for backslashes) and an eight-bytes-at-a-time check for control
// characters. Either way every byte is visited a bounded number of times
// however the escapes are placed (the position of the next quote is kept
// across escapes).
func scanString(b []byte, i int) (int, string) {
	j := i + 1
	q := -1 // position of the next '"' at or after j (len(b) if none), once known
	for {
		k, end := j, min(len(b), j+shortRun)
		for k < end && !strSpecial[b[k]] {
			k++
		}
		if k == end && end < len(b) && haveSpecialBlocks {
			// One pass for all three (AVX2, special_amd64.s); the
			// last len%64 bytes one by one.
			k += specialBlocks(b[k:])
			for k < len(b) && !strSpecial[b[k]] {
				k++
			}
		} else if k == end && end < len(b) {
			if q < k {
				q = len(b)
				if n := bytes.IndexByte(b[k:], '"'); n >= 0 {
					q = k + n
				}
			}
			seg := b[k:q]
			if bs := bytes.IndexByte(seg, '\\'); bs >= 0 {
				seg = seg[:bs]
			}
			if n := controlIndex(seg); n >= 0 {
				k += n
			} else {
				k += len(seg)
			}
		}
		if k >= len(b) {
			return len(b), errEOF
		}
		switch c := b[k]; c {
		case '"':
			return k + 1, ""
		case '\\':
			var msg string
			if j, msg = scanEscape(b, k); msg != "" {
				return j, msg
			}
		default:
			return k, "invalid character " + quoteChar(c) + " in string literal"
		}
	}
}

// scanEscape scans the escape sequence whose backslash is at b[j].
func scanEscape(b []byte, j int) (int, string) {
	if j+1 >= len(b) {
		return j + 1, errEOF
	}
	switch b[j+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return j + 2, ""
	case 'u':
		for k := j + 2; k < j+6; k++ {
			if k >= len(b) {
				return k, errEOF
			}
			if !isHex(b[k]) {
				return k, "invalid character " + quoteChar(b[k]) + " in \\u hexadecimal character escape"
			}
		}
		return j + 6, ""
	}
	return j + 1, "invalid character " + quoteChar(b[j+1]) + " in string escape code"
}

func scanLiteral(b []byte, i int, lit string) (int, string) {
	for k := 0; k < len(lit); k++ {
		if i+k >= len(b) {
			return i + k, errEOF
		}
		if b[i+k] != lit[k] {
			return i + k, "invalid character " + quoteChar(b[i+k]) + " in literal " + lit + " (expecting " + quoteChar(lit[k]) + ")"
		}
	}
	return i + len(lit), ""
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func scanNumber(b []byte, i int) (int, string) {
	j := i
	if b[j] == '-' {
		j++
		if j >= len(b) {
			return j, errEOF
		}
	}
	switch {
	case b[j] == '0':
		j++
	case '1' <= b[j] && b[j] <= '9':
		j++
		for j < len(b) && isDigit(b[j]) {
			j++
		}
	default:
		return j, "invalid character " + quoteChar(b[j]) + " in numeric literal"
	}
	if j < len(b) && b[j] == '.' {
		j++
		if j >= len(b) {
			return j, errEOF
		}
		if !isDigit(b[j]) {
			return j, "invalid character " + quoteChar(b[j]) + " after decimal point in numeric literal"
		}
		for j < len(b) && isDigit(b[j]) {
			j++
		}
	}
	if j < len(b) && (b[j] == 'e' || b[j] == 'E') {
		j++
		if j < len(b) && (b[j] == '+' || b[j] == '-') {
			j++
		}
		if j >= len(b) {
			return j, errEOF
		}
		if !isDigit(b[j]) {
			return j, "invalid character " + quoteChar(b[j]) + " in exponent of numeric literal"
		}
		for j < len(b) && isDigit(b[j]) {
			j++
		}
	}
	return j, ""
}

// skipValue returns the end of the JSON value starting at b[i], in b that
// is known to be valid JSON. It is iterative: nesting costs nothing.
func skipValue(b []byte, i int) int {
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i = skipString(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return i
	}
	for i < len(b) {
		switch b[i] {
		case ',', '}', ']', ' ', '\t', '\r', '\n':
			return i
		}
		i++
	}
	return i
}

// skipString returns the end of the valid string literal starting at b[i].
func skipString(b []byte, i int) int {
	j := i + 1
	for {
		k := bytes.IndexAny(b[j:], `"\`)
		if k < 0 {
			return len(b)
		}
		j += k
		if b[j] == '"' {
			return j + 1
		}
		j += 2 // a backslash and the character it escapes
	}
}

// objectMembers returns the members of the JSON object in line (valid
// JSON), each value raw; a key that occurs twice keeps its last value, as
// in JSON.parse. It reports false when line is not an object. Unlike
// json.Unmarshal it has no nesting limit.
func objectMembers(line []byte) (map[string]json.RawMessage, bool) {
	i := skipSpace(line, 0)
	if i >= len(line) || line[i] != '{' {
		return nil, false
	}
	obj := make(map[string]json.RawMessage)
	i = skipSpace(line, i+1)
	for i < len(line) && line[i] == '"' {
		end := skipString(line, i)
		var key string
		if bytes.IndexByte(line[i+1:end-1], '\\') < 0 {
			key = string(line[i+1 : end-1])
		} else if json.Unmarshal(line[i:end], &key) != nil {
			return nil, false
		}
		i = skipSpace(line, end)
		i = skipSpace(line, i+1) // the colon
		vend := skipValue(line, i)
		obj[key] = json.RawMessage(line[i:vend])
		i = skipSpace(line, vend)
		if i < len(line) && line[i] == ',' {
			i = skipSpace(line, i+1)
		}
	}
	return obj, true
}
