package shell

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

// fuzzArgs turns one fuzz input into an argument list: the input split at
// NUL bytes, which no argument can contain. So every generated list is a
// valid argv and no input is wasted.
func fuzzArgs(s string) []string { return strings.Split(s, "\x00") }

// maxFuzzLen keeps fuzz inputs well below the kernel's limit on one
// argument (MAX_ARG_STRLEN, 128 KiB).
const maxFuzzLen = 32 << 10

func addSeeds(f *testing.F) {
	for _, a := range tricky {
		f.Add(a)
	}
	f.Add(strings.Join(tricky, "\x00"))
	f.Add("a\x00\x00b")
	f.Add("\x00")
}

// FuzzQuoteRoundTrip runs Join(args) through /bin/sh and checks that sh
// passes exactly args to printf.
func FuzzQuoteRoundTrip(f *testing.F) {
	addSeeds(f)
	sh := shells(f)[0]
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > maxFuzzLen {
			t.Skip()
		}
		args := fuzzArgs(s)
		got, err := printArgs(t, sh, Join(args))
		require.NoError(t, err, "Join(%q) = %q", args, Join(args))
		require.Equal(t, args, got, "Join(%q) = %q", args, Join(args))
	})
}

// FuzzSplit checks that Split never panics, that it reports errors it
// promises to, and that Split(Join(args)) == args.
func FuzzSplit(f *testing.F) {
	addSeeds(f)
	for _, s := range []string{
		`'abc`, `"abc`, `a\`, `"a\"`, "a #b 'c\nd", `"C:\dir"`, "a\\\nb",
		"\"\\\n\"", "\xff\\\xfe'\xfd'", "\U0010ff00 \\\U0010ffff \xf4\x8f\xbf",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		words, err := Split(s)
		if err != nil {
			require.Nil(t, words)
			require.True(t, errors.Is(err, ErrUnterminatedQuote) || errors.Is(err, ErrTrailingBackslash), "Split(%q): %v", s, err)
			require.True(t, strings.HasPrefix(err.Error(), "shell: "), "Split(%q): %v", s, err)
		} else if utf8.ValidString(s) {
			// Bytes are never invented: a valid line gives valid words.
			for _, w := range words {
				require.True(t, utf8.ValidString(w), "Split(%q) = %q", s, words)
			}
		}

		args := fuzzArgs(s)
		got, err := Split(Join(args))
		require.NoError(t, err, "Join(%q) = %q", args, Join(args))
		require.Equal(t, args, got, "Join(%q) = %q", args, Join(args))
	})
}

// FuzzSplitMatchesSh compares Split with sh on lines that contain no
// expansion, operator or unquoted newline, which Split does not handle
// like sh by design.
func FuzzSplitMatchesSh(f *testing.F) {
	for _, s := range []string{
		`a 'b c' "d\"e\f" \g`, "a #b", "a#b", `"C:\dir"`, "a\\\rb", "''#x",
		`\\ "\\\\" '\'`, "\xff '\xfe' \"\xfd\" \\\xfc", `'it'\''s'`,
	} {
		f.Add(s)
	}
	sh := shells(f)[0]
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > maxFuzzLen || strings.ContainsAny(s, "\x00\n$`|&;<>()*?[]~{}!") {
			t.Skip()
		}
		words, err := Split(s)
		if errors.Is(err, ErrTrailingBackslash) {
			t.Skip() // sh keeps it; Split refuses, as documented
		}
		want, sherr := printArgs(t, sh, s)
		if errors.Is(err, ErrUnterminatedQuote) {
			require.Error(t, sherr, "sh accepted %q, Split: %v", s, err)
			return
		}
		require.NoError(t, err, "Split(%q)", s)
		require.NoError(t, sherr, "sh -c %q", s)
		require.Equal(t, want, words, "Split(%q)", s)
	})
}
