//go:build unix

package childproc_test

import (
	"context"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spawnkit/spawnkit/childproc"
)

// lines collects what Lines yields, with the error, if any, last.
func lines(r io.Reader) ([]string, error) {
	var out []string
	for line, err := range childproc.Lines(r) {
		if err != nil {
			return out, err
		}
		out = append(out, line)
	}
	return out, nil
}

func TestLinesOfAChildStream(t *testing.T) {
	p, err := childproc.Spawn(context.Background(), "printf", []string{`one\r\ntwo\n\nlone\rcr\nlast`}, nil)
	require.NoError(t, err)
	got, err := lines(p.Stdout)
	require.NoError(t, err)
	assert.Equal(t, []string{"one", "two", "", "lone\rcr", "last"}, got)
	io.Copy(io.Discard, p.Stderr)
	require.NoError(t, p.Wait())
	collect(t, p)
}

func TestLinesEdgeCases(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"\n", []string{""}},
		{"a", []string{"a"}},
		{"a\n", []string{"a"}},
		{"a\r\n", []string{"a"}},
		{"a\r", []string{"a"}},
		{"a\r\r\n", []string{"a\r"}},
		{"\r\n\r\n", []string{"", ""}},
		{"a\nb", []string{"a", "b"}},
	} {
		// One byte per Read: a "\r\n" split across reads is still one ending.
		got, err := lines(iotest.OneByteReader(strings.NewReader(tc.in)))
		require.NoError(t, err, "%q", tc.in)
		assert.Equal(t, tc.want, got, "%q", tc.in)
	}
}

func TestLinesTooLongFromAChild(t *testing.T) {
	max := childproc.MaxLineLength
	// A line of exactly MaxLineLength bytes, even with "\r\n", is fine; the
	// next one, one byte longer and without any newline yet, is refused at
	// once, while the child still runs.
	script := `head -c $1 /dev/zero | tr '\0' a; printf '\r\nok\n'; head -c $2 /dev/zero | tr '\0' b; sleep 30`
	p, err := childproc.Spawn(context.Background(), "sh", []string{"-c", script, "sh", strconv.Itoa(max), strconv.Itoa(max + 1)}, &childproc.Options{Stdin: childproc.Ignore})
	require.NoError(t, err)
	got, err := lines(p.Stdout)
	require.ErrorIs(t, err, childproc.ErrLineTooLong)
	assert.Equal(t, "childproc: line too long (over 1048576 bytes)", err.Error())
	require.Len(t, got, 2)
	assert.Equal(t, strings.Repeat("a", max), got[0])
	assert.Equal(t, "ok", got[1])

	// The loop stopped early; closing the stream lets the child go.
	require.NoError(t, p.Stdout.Close())
	require.NoError(t, p.Kill()) // the whole tree: sleep holds stderr
	require.Error(t, p.Wait())
	io.Copy(io.Discard, p.Stderr)
	collect(t, p)
}

func TestLinesTooLongAtEOF(t *testing.T) {
	max := childproc.MaxLineLength
	got, err := lines(strings.NewReader(strings.Repeat("x", max) + "\r"))
	require.NoError(t, err)
	assert.Equal(t, []string{strings.Repeat("x", max)}, got)

	got, err = lines(strings.NewReader("first\n" + strings.Repeat("x", max+1)))
	require.ErrorIs(t, err, childproc.ErrLineTooLong)
	assert.Equal(t, []string{"first"}, got)

	got, err = lines(strings.NewReader(strings.Repeat("x", max) + "\r\r\n"))
	require.ErrorIs(t, err, childproc.ErrLineTooLong, "the first \\r is part of the line")
	assert.Empty(t, got)
}

func TestLinesReadErrorEndsIteration(t *testing.T) {
	boom := errors.New("boom")
	r := io.MultiReader(strings.NewReader("a\nb\npartial"), iotest.ErrReader(boom))
	got, err := lines(r)
	require.ErrorIs(t, err, boom)
	assert.Equal(t, []string{"a", "b", "partial"}, got)
}

func TestLinesBreakStopsReading(t *testing.T) {
	var seen []string
	for line, err := range childproc.Lines(strings.NewReader("a\nb\nc\n")) {
		require.NoError(t, err)
		seen = append(seen, line)
		if line == "b" {
			break // a yield after this would panic
		}
	}
	assert.Equal(t, []string{"a", "b"}, seen)
}

func TestResultTextAndLines(t *testing.T) {
	res, err := childproc.Exec(context.Background(), `printf 'abc\r\n'`, nil)
	require.NoError(t, err)
	assert.Equal(t, "abc", res.Text())

	res, err = childproc.ExecFile(context.Background(), "printf", []string{`x\ny\r\n\nz\n\n`}, nil)
	require.NoError(t, err)
	assert.Equal(t, "x\ny\r\n\nz\n", res.Text(), "only the final newline goes")
	var got []string
	for line := range res.Lines() {
		got = append(got, line)
	}
	assert.Equal(t, []string{"x", "y", "", "z", ""}, got)

	for in, want := range map[string]string{"": "", "\n": "", "a": "a", "a\r": "a\r", "\r\n": ""} {
		assert.Equal(t, want, (&childproc.Result{Stdout: []byte(in)}).Text(), "%q", in)
	}
	var nilRes *childproc.Result
	assert.Equal(t, "", nilRes.Text())
	for range nilRes.Lines() {
		t.Fatal("a nil Result has no lines")
	}
}
