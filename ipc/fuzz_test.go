//go:build unix

package ipc

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fuzzMax is the size limit used while fuzzing the frame reader.
const fuzzMax = 256

// chunkReader returns its data in pieces of varying size, as a socket would.
type chunkReader struct {
	data []byte
	n    uint
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	r.n = r.n*31 + 7
	k := 1 + int(r.n%97)
	k = min(k, len(p), len(r.data))
	copy(p, r.data[:k])
	r.data = r.data[k:]
	return k, nil
}

// FuzzFrameReader feeds arbitrary bytes to the frame reader and the
// message checks Recv applies: no panic, lines never exceed the limit, the
// validator agrees with json.Valid, and every line it returns is exactly the
// corresponding piece of the input.
func FuzzFrameReader(f *testing.F) {
	for _, s := range []string{
		"{}\n", "[1,2,3]\n\"x\"\n", "\n\n  \n", `{"cmd":"NODE_HANDLE","msg":1}` + "\n",
		`{"a":"\u2028\ud83d\ude00"}` + "\n", "nul\n", "1e\n", "-0.5E+3\n", `"\x"` + "\n",
		string(bytes.Repeat([]byte("a"), 300)) + "\n", "[" + string(bytes.Repeat([]byte("["), 20)) + "\n",
		`{"\u0063md":"NODE_X"}` + "\n" + `{"a":1,"cmd":"NODE_Y"}` + "\n" + `{"c\md":1}` + "\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fr := newFrameReader(readerSource{&chunkReader{data: data}}, fuzzMax)
		rest := data
		for {
			line, off, fd, err := fr.next()
			if fd != -1 {
				t.Fatalf("descriptor %d from a plain reader", fd)
			}
			if err != nil {
				i := bytes.IndexByte(rest, '\n')
				switch {
				case errors.Is(err, ErrTooLarge):
					if i >= 0 && i <= fuzzMax || i < 0 && len(rest) <= fuzzMax {
						t.Fatalf("ErrTooLarge for a %d-byte line (rest %d)", i, len(rest))
					}
				case err == io.EOF:
					if len(rest) != 0 {
						t.Fatalf("EOF with %d bytes left", len(rest))
					}
				case err == io.ErrUnexpectedEOF:
					if len(rest) == 0 || i >= 0 {
						t.Fatalf("ErrUnexpectedEOF with rest %q", rest)
					}
				default:
					t.Fatalf("unexpected error %v", err)
				}
				if len(fr.buf) > fuzzMax+readSize {
					t.Fatalf("buffer grew to %d", len(fr.buf))
				}
				return
			}
			if len(line) > fuzzMax {
				t.Fatalf("line of %d bytes over the limit", len(line))
			}
			if want := int64(len(data) - len(rest)); off != want {
				t.Fatalf("line offset %d, want %d", off, want)
			}
			i := bytes.IndexByte(rest, '\n')
			if i < 0 || !bytes.Equal(rest[:i], line) {
				t.Fatalf("line %q does not match the input %q", line, rest)
			}
			rest = rest[i+1:]
			checkLine(t, line)
		}
	})
}

// checkLine checks a line the way RecvFile does.
func checkLine(t *testing.T, line []byte) {
	var v validator
	at, msg := v.check(line)
	if valid := json.Valid(line); valid != (at < 0) && !deeperThanJSON(line) {
		t.Fatalf("validator says %d %q, json.Valid says %v, for %q", at, msg, valid, line)
	}
	if at > len(line) {
		t.Fatalf("error offset %d past the line (%d)", at, len(line))
	}
	if at < 0 {
		// Must not panic; and the validator's cheap test never misses
		// an internal message.
		if _, _, ok := internal(line); ok && !v.cmdKey {
			t.Fatalf("internal message %q without a \"cmd\" key noted", line)
		}
		// Nor does the scan that spares a user's "cmd" message the
		// decoding.
		if i := skipSpace(line, 0); i < len(line) && line[i] == '{' {
			if _, _, ok := decodeInternal(line); ok && !cmdMayBeInternal(line) {
				t.Fatalf("internal message %q passed over by cmdMayBeInternal", line)
			}
		}
	}
}

// FuzzValidate compares the validator with encoding/json on single values.
func FuzzValidate(f *testing.F) {
	for _, s := range []string{
		`{"a":[1,2.5e-3,true,false,null,"s\"\\\/\b\f\n\r\t\u00e9"]}`, `"\u12"`, `[1,]`, `{"a" 1}`,
		`-`, `-01`, `1.`, `1e+`, "\"\x00\"", "\"\xff\"", ` [ ] `, `{"a":{"b":{}}}`, `tru`, `nulll`,
		"\"abcdefgh\\\"ijklmnop\"", "\"abcdefghijklmn\x1fop\"",
		`{"cmd":"NODE_X","cmd":"x"}`, `{"cmd":"x","cmd":"NODE_X"}`, `{"\u0063md":"NODE_X"}`, `{"cmd":"\u004eODE_X"}`,
		` { "cmd" : "NODE_HANDLE" , "msg" : {"cmd":"NODE_"} } `, `{"a":{"cmd":"NODE_X"},"cmd":1}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkLine(t, data)
		var v validator
		at, _ := v.check(data)
		err := json.Unmarshal(data, new(any))
		var se *json.SyntaxError
		if errors.As(err, &se) && se.Error() == "exceeded max depth" {
			return // encoding/json's limit; the validator has none
		}
		if at >= 0 && !errors.As(err, &se) {
			t.Fatalf("validator rejects at %d, json.Unmarshal: %v", at, err)
		}
		if at < 0 && errors.As(err, &se) {
			t.Fatalf("validator accepts, json.Unmarshal: %v", err)
		}
	})
}

func TestValidatorDepth(t *testing.T) {
	// Node's JSON.parse reads any depth; so does the channel. encoding/json
	// stops at 10,000 levels.
	var v validator
	for _, depth := range []int{10000, 10001, 1 << 20} {
		deep := append(bytes.Repeat([]byte("["), depth), bytes.Repeat([]byte("]"), depth)...)
		if at, msg := v.check(deep); at >= 0 {
			t.Fatalf("depth %d refused at %d: %s", depth, at, msg)
		}
		unbalanced := append(append(bytes.Repeat([]byte(`{"a":`), depth), '1'), bytes.Repeat([]byte("}"), depth-1)...)
		if at, _ := v.check(unbalanced); at != len(unbalanced) {
			t.Fatalf("depth %d, one brace short: error at %d, want %d", depth, at, len(unbalanced))
		}
		mismatched := append(bytes.Repeat([]byte("["), depth), bytes.Repeat([]byte("]"), depth)...)
		mismatched[len(mismatched)-depth/2] = '}'
		if at, _ := v.check(mismatched); at != len(mismatched)-depth/2 {
			t.Fatalf("depth %d, mismatched bracket: error at %d", depth, at)
		}
	}
	if n := cap(v.open.bits); n > 1<<10 {
		t.Fatalf("the validator kept a %d-word stack", n)
	}
}

func TestDeepMessageThroughChannel(t *testing.T) {
	a, b := pair(t, nil)
	const depth = 200000
	deep := Message(strings.Repeat(`{"k":[`, depth) + `"leaf"` + strings.Repeat("]}", depth))
	// Also inside a handle envelope, whose members are found without
	// decoding them.
	r, w, err := os.Pipe()
	require.NoError(t, err)
	defer r.Close()
	sent := make(chan error, 1)
	go func() {
		defer w.Close()
		if err := a.Send(deep); err != nil {
			sent <- err
			return
		}
		sent <- a.SendFile(deep, w)
	}()
	m, err := b.Recv()
	require.NoError(t, err)
	assert.Equal(t, deep, m)
	m, f, err := b.RecvFile()
	require.NoError(t, err)
	require.NotNil(t, f)
	f.Close()
	assert.Equal(t, deep, m)
	require.NoError(t, <-sent)
}

// deeperThanJSON reports whether b opens more than encoding/json's 10,000
// levels (a rough count that ignores strings, enough for fuzzed input).
func deeperThanJSON(b []byte) bool {
	return bytes.Count(b, []byte("["))+bytes.Count(b, []byte("{")) > 10000
}
