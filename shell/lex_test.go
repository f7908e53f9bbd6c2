package shell

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// w and op build the expected tokens of TestLex: a word with its text, raw
// form and position, and an operator at pos.
func w(text, raw string, pos int, exps ...Expansion) Token {
	return Token{Kind: Word, Text: text, Raw: raw, Pos: pos, End: pos + len(raw), Expansions: exps}
}

func op(text string, pos int) Token {
	return Token{Kind: Operator, Text: text, Raw: text, Pos: pos, End: pos + len(text)}
}

func TestLex(t *testing.T) {
	tests := []struct {
		in   string
		want []Token
	}{
		{"", nil},
		{"  \t # only a comment", nil},
		{"a|b", []Token{w("a", "a", 0), op("|", 1), w("b", "b", 2)}},
		{"find . -type f | wc -l", []Token{w("find", "find", 0), w(".", ".", 5), w("-type", "-type", 7), w("f", "f", 13), op("|", 15), w("wc", "wc", 17), w("-l", "-l", 20)}},
		{`grep 'a|b' "c|d" e\|f`, []Token{w("grep", "grep", 0), w("a|b", "'a|b'", 5), w("c|d", `"c|d"`, 11), w("e|f", `e\|f`, 17)}},
		{"a&&b||c;d&e", []Token{w("a", "a", 0), op("&&", 1), w("b", "b", 3), op("||", 4), w("c", "c", 6), op(";", 7), w("d", "d", 8), op("&", 9), w("e", "e", 10)}},
		{"a |& b ;; c ;;& d ;& e", []Token{w("a", "a", 0), op("|&", 2), w("b", "b", 5), op(";;", 7), w("c", "c", 10), op(";;&", 12), w("d", "d", 16), op(";&", 18), w("e", "e", 21)}},
		{"a 2>&1 >>f <g <<EOF <<-X <<<s <&3 <>f >|f &>f &>>f", []Token{
			w("a", "a", 0), w("2", "2", 2), op(">&", 3), w("1", "1", 5), op(">>", 7), w("f", "f", 9),
			op("<", 11), w("g", "g", 12), op("<<", 14), w("EOF", "EOF", 16), op("<<-", 20), w("X", "X", 23),
			op("<<<", 25), w("s", "s", 28), op("<&", 30), w("3", "3", 32), op("<>", 34), w("f", "f", 36),
			op(">|", 38), w("f", "f", 40), op("&>", 42), w("f", "f", 44), op("&>>", 46), w("f", "f", 49),
		}},
		{"(a)", []Token{op("(", 0), w("a", "a", 1), op(")", 2)}},
		{"a\nb\n", []Token{w("a", "a", 0), op("\n", 1), w("b", "b", 2), op("\n", 3)}},
		{"a # c | d\ne", []Token{w("a", "a", 0), op("\n", 9), w("e", "e", 10)}},
		{"a|#c\nd#e", []Token{w("a", "a", 0), op("|", 1), op("\n", 4), w("d#e", "d#e", 5)}},
		// A continuation inside or right after a word is part of it; one
		// before a word is part of nothing.
		{"  \\\nif x\\\n y\\\nz", []Token{w("if", "if", 4), w("x", "x\\\n", 7), w("yz", "y\\\nz", 11)}},
		{`'it'\''s' "a\"b\c" ''`, []Token{w("it's", `'it'\''s'`, 0), w(`a"b\c`, `"a\"b\c"`, 10), w("", "''", 19)}},
		// Expansions: unquoted $ ` * ? [ { } and a leading ~; $ and ` in double quotes.
		{"$a `b` \"$c`d\" '$e' \\$f \"\\$g\"", []Token{
			w("$a", "$a", 0, Expansion{Pos: 0}), w("`b`", "`b`", 3, Expansion{Pos: 3}, Expansion{Pos: 5}),
			w("$c`d", `"$c`+"`"+`d"`, 7, Expansion{Pos: 8, Quoted: true}, Expansion{Pos: 10, Quoted: true}),
			w("$e", "'$e'", 14), w("$f", `\$f`, 19), w("$g", `"\$g"`, 23),
		}},
		{"*.go a?[b] {x,y} } ~/x a~ ''~ \\~ x=~ \"*?[{}~\"", []Token{
			w("*.go", "*.go", 0, Expansion{Pos: 0}), w("a?[b]", "a?[b]", 5, Expansion{Pos: 6}, Expansion{Pos: 7}),
			w("{x,y}", "{x,y}", 11, Expansion{Pos: 11}, Expansion{Pos: 15}), w("}", "}", 17, Expansion{Pos: 17}),
			w("~/x", "~/x", 19, Expansion{Pos: 19}), w("a~", "a~", 23), w("~", "''~", 26), w("~", `\~`, 30),
			w("x=~", "x=~", 33), w("*?[{}~", `"*?[{}~"`, 37),
		}},
		{"\xff '\xfe' a\x00b", []Token{w("\xff", "\xff", 0), w("\xfe", "'\xfe'", 2), w("a\x00b", "a\x00b", 6)}},
	}
	for _, tt := range tests {
		got, err := Lex(tt.in)
		if assert.NoError(t, err, "Lex(%q)", tt.in) {
			assert.Equal(t, tt.want, got, "Lex(%q)", tt.in)
		}
	}
}

// TestLexErrors checks that Lex reports the errors Split does and still
// returns the tokens, the last one the word cut short.
func TestLexErrors(t *testing.T) {
	tests := []struct {
		in      string
		is      error
		message string
		want    []Token
	}{
		{"a | 'b c", ErrUnterminatedQuote, `shell: unterminated quote: the single quote at byte 4 of "a | 'b c" is never closed`,
			[]Token{w("a", "a", 0), op("|", 2), w("b c", "'b c", 4)}},
		{`a; *"$x`, ErrUnterminatedQuote, "the double quote at byte 4",
			[]Token{w("a", "a", 0), op(";", 1), w("*$x", `*"$x`, 3, Expansion{Pos: 3}, Expansion{Pos: 5, Quoted: true})}},
		{"a \\", ErrTrailingBackslash, `shell: trailing backslash: nothing follows the backslash at byte 2 of "a \\"`,
			[]Token{w("a", "a", 0), w("", "\\", 2)}},
		{"a\\", ErrTrailingBackslash, "byte 1", []Token{w("a", "a\\", 0)}},
	}
	for _, tt := range tests {
		got, err := Lex(tt.in)
		require.Error(t, err, "Lex(%q)", tt.in)
		assert.ErrorIs(t, err, tt.is, "Lex(%q)", tt.in)
		assert.Contains(t, err.Error(), tt.message, "Lex(%q)", tt.in)
		assert.Equal(t, tt.want, got, "Lex(%q)", tt.in)
	}
}

func TestTokenReservedAndAssignment(t *testing.T) {
	for _, tt := range []struct {
		in         string
		reserved   bool
		assignment string
	}{
		{"if", true, ""}, {"while", true, ""}, {"!", true, ""}, {"{", true, ""}, {"}", true, ""},
		{"coproc", true, ""}, {"time", true, ""},
		{"'if'", false, ""}, {`i\f`, false, ""}, {`"while"`, false, ""}, {"if\\\n", false, ""}, {"ifx", false, ""},
		{"echo", false, ""}, {"[[", false, ""},
		{"FOO=1", false, "FOO"}, {"_x9=a\"b\"", false, "_x9"}, {"a=", false, "a"}, {"A=b=c", false, "A"},
		{"=x", false, ""}, {"1a=b", false, ""}, {"a.b=c", false, ""}, {"'FOO'=1", false, ""}, {`FOO\=1`, false, ""},
		{`"FOO=1"`, false, ""},
	} {
		toks, err := Lex(tt.in)
		require.NoError(t, err)
		require.Len(t, toks, 1, "Lex(%q)", tt.in)
		assert.Equal(t, tt.reserved, toks[0].Reserved(), "Lex(%q).Reserved()", tt.in)
		assert.Equal(t, tt.assignment, toks[0].Assignment(), "Lex(%q).Assignment()", tt.in)
	}
	toks, err := Lex("|")
	require.NoError(t, err)
	assert.False(t, toks[0].Reserved())
	assert.Empty(t, toks[0].Assignment())
}

// FuzzLex checks that Lex never panics and describes s exactly: tokens in
// order, each Raw being s[Pos:End] and lexing alone to itself, only blanks,
// continuations and comments between them, and the same words as Split
// when s has no operator.
func FuzzLex(f *testing.F) {
	addSeeds(f)
	for _, s := range []string{
		"a|b", "a && b || c; d & e", "a 2>&1 >>f <<-X <<<s &>>f ;;& ;& |&", "(a) {b} ~c d~ $e `f`",
		"a # c | d\ne", "a|#c\nd", "  \\\nif x\\\n y", `a; *"$x`, "a \\", `"\$ \" \\ \x"`, "{} | {}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		toks, err := Lex(s)
		if err != nil {
			require.True(t, errors.Is(err, ErrUnterminatedQuote) || errors.Is(err, ErrTrailingBackslash), "Lex(%q): %v", s, err)
			require.NotEmpty(t, toks, "Lex(%q): %v", s, err)
			last := toks[len(toks)-1]
			require.Equal(t, Word, last.Kind)
			require.Equal(t, len(s), last.End, "Lex(%q): %v", s, err)
		}
		prev := 0
		for i, tok := range toks {
			require.LessOrEqual(t, prev, tok.Pos, "Lex(%q)[%d]", s, i)
			require.Less(t, tok.Pos, tok.End, "Lex(%q)[%d]", s, i)
			require.Equal(t, s[tok.Pos:tok.End], tok.Raw, "Lex(%q)[%d]", s, i)
			gap, gerr := Lex(s[prev:tok.Pos])
			require.NoError(t, gerr, "Lex(%q): gap before [%d]", s, i)
			require.Empty(t, gap, "Lex(%q): gap before [%d] is %q", s, i, s[prev:tok.Pos])
			prev = tok.End
			if err != nil && i == len(toks)-1 {
				break
			}
			alone, aerr := Lex(tok.Raw)
			require.NoError(t, aerr, "Lex(%q)[%d] = %q", s, i, tok.Raw)
			require.Len(t, alone, 1, "Lex(%q)[%d] = %q", s, i, tok.Raw)
			moved := alone[0]
			moved.Pos, moved.End = tok.Pos, tok.End
			for j := range moved.Expansions {
				moved.Expansions[j].Pos += tok.Pos
			}
			require.Equal(t, tok, moved, "Lex(%q)[%d]", s, i)
			if tok.Kind == Operator {
				require.Equal(t, tok.Raw, tok.Text)
			}
			for _, e := range tok.Expansions {
				require.Contains(t, "$`*?[{}~", string(s[e.Pos]), "Lex(%q)[%d]", s, i)
			}
		}
		if err == nil {
			gap, gerr := Lex(s[prev:])
			require.NoError(t, gerr)
			require.Empty(t, gap, "Lex(%q): trailing %q", s, s[prev:])
		}

		if !strings.ContainsAny(s, "|&;()<>\n") {
			words, serr := Split(s)
			require.Equal(t, fmt.Sprint(serr), fmt.Sprint(err), "Lex(%q)", s)
			if err == nil {
				require.Len(t, toks, len(words))
				for i, tok := range toks {
					require.Equal(t, words[i], tok.Text)
				}
			}
		}
	})
}
