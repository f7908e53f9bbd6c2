package shell

import (
	"errors"
	"fmt"
	"strings"
)

// Errors returned (wrapped) by [Split]; match them with errors.Is.
var (
	// ErrUnterminatedQuote means a single or double quote is never closed.
	ErrUnterminatedQuote = errors.New("shell: unterminated quote")
	// ErrTrailingBackslash means the line ends with an unquoted backslash
	// that has nothing to escape.
	ErrTrailingBackslash = errors.New("shell: trailing backslash")
)

// Split splits the command line s into words the way sh would before
// expansion, removing quotes and comments.
//
// It follows POSIX sh quoting:
//   - words are separated by unquoted spaces, tabs and newlines; a newline
//     is just a separator (there is only one command);
//   - a carriage return or other control character is an ordinary
//     character, as in sh;
//   - '...' keeps every byte up to the next ' literally;
//   - "..." keeps every byte literally except that a backslash before $,
//     `, ", \ or a newline escapes it (backslash-newline is removed); before
//     any other byte the backslash is kept, so "C:\dir" is C:\dir;
//   - an unquoted backslash makes the next byte literal, and an unquoted
//     backslash-newline is removed (line continuation);
//   - '#' starts a comment, running to the end of the line, only at the start
//     of a word: a #b gives ["a"], a#b gives ["a#b"], a '#b' gives ["a" "#b"];
//   - an empty quoted string (two quotes of either kind) is an empty word.
//
// Unlike sh, Split performs no expansion and recognises no operators:
// $VAR, $(cmd), `cmd`, ~, *, ? and [ are kept literally, and ; | & < > ( )
// are ordinary characters inside words ("a|b" is one word, "a | b" three).
// Use it to turn a human-written argument list into an argv, not to
// interpret shell programs.
//
// Bytes that are not valid UTF-8 and NUL bytes are kept as they are.
// For every args without NUL bytes, Split(Join(args)) returns args.
//
// A line with no words (empty, only blanks or only a comment) yields an
// empty slice and a nil error. An unterminated quote is an error matching
// [ErrUnterminatedQuote]; a line ending in an unquoted backslash is an error
// matching [ErrTrailingBackslash] (sh would keep the backslash; Split treats
// the line as truncated). On error Split returns a nil slice.
//
// Split is [Lex] without operators (; | & < > ( ) are ordinary characters
// and a newline is a separator): it returns the Text of each word.
func Split(s string) ([]string, error) {
	toks, err := lex(s, false)
	if err != nil {
		return nil, err
	}
	words := make([]string, len(toks))
	for i, t := range toks {
		words[i] = t.Text
	}
	return words, nil
}

// abbrev returns s quoted for an error message, cut short if it is long.
func abbrev(s string) string {
	const limit = 64
	if len(s) <= limit {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprintf("%q...", s[:limit])
}

// Quote returns s quoted so that /bin/sh (dash, bash and other POSIX
// shells) reads it back as exactly one word equal to s, byte for byte.
//
// A non-empty s made only of ASCII letters, digits and the characters
// @%+=:,./-_ is returned unchanged, unless it could be read as something
// other than a plain word: a variable assignment (NAME=value, which sh
// treats specially as the first word of a command) or a reserved word such
// as "if" or "done". Everything else, including the empty string, is
// enclosed in single quotes, with each single quote in s written as the
// four bytes quote, backslash, quote, quote:
//
//	Quote("")     == `''`
//	Quote("it's") == `'it'\''s'`
//
// Inside single quotes sh gives no byte a special meaning, so any content
// is safe: newlines, $, `, \, !, #, ~, *, control characters and bytes that
// are not valid UTF-8 are kept as they are (tested with dash and with bash
// in the C and C.UTF-8 locales).
//
// Quote keeps NUL bytes (inside the quotes), but no shell can receive them:
// see the package documentation.
//
// Quote does not protect a value starting with '-' from being taken as an
// option by the command; use "--" before it.
//
// As the first word of a command, a value starting with '%' is not a
// command name for bash, quoted or not: bash resumes the job it names, as
// fg would. Quote cannot prevent that; name such a program by a path
// containing a slash ("./%prog").
func Quote(s string) string {
	if isSafe(s) {
		return s
	}
	n := len(s) + 2 + 3*strings.Count(s, "'")
	var b strings.Builder
	b.Grow(n)
	b.WriteByte('\'')
	for {
		i := strings.IndexByte(s, '\'')
		if i < 0 {
			break
		}
		b.WriteString(s[:i])
		b.WriteString(`'\''`)
		s = s[i+1:]
	}
	b.WriteString(s)
	b.WriteByte('\'')
	return b.String()
}

// Join quotes each of args with [Quote] and joins the results with single
// spaces, giving a command line that sh splits back into exactly args.
// Join of an empty or nil slice is the empty string; an empty argument
// becomes a pair of single quotes, so it is not lost.
func Join(args []string) string {
	var b strings.Builder
	for i, a := range args {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(Quote(a))
	}
	return b.String()
}

// reserved are the words that dash or bash treat as keywords when they
// appear unquoted where a command name is expected.
var reserved = map[string]bool{
	"!": true, "{": true, "}": true, "if": true, "then": true, "else": true, "elif": true, "fi": true,
	"case": true, "esac": true, "for": true, "select": true, "while": true,
	"until": true, "do": true, "done": true, "in": true, "function": true,
	"time": true, "coproc": true,
}

// isSafe reports whether s can be given to sh unquoted.
func isSafe(s string) bool {
	if s == "" || reserved[s] {
		return false
	}
	eq := -1
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("@%+:,./-_", c) >= 0:
		case c == '=':
			if eq < 0 {
				eq = i
			}
		default:
			return false
		}
	}
	// NAME=... is an assignment when it is the first word.
	return eq < 0 || !isName(s[:eq])
}

// isName reports whether s is a shell variable name.
func isName(s string) bool {
	if s == "" || ('0' <= s[0] && s[0] <= '9') {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}
