package shell

import (
	"fmt"
	"strings"
)

// TokenKind tells the words of a command line from its operators.
type TokenKind int

const (
	// Word is a word: a command name, an argument or an assignment.
	Word TokenKind = iota
	// Operator is a control or redirection operator, or a newline.
	Operator
)

// A Token is one word or operator of a command line, as [Lex] finds it.
type Token struct {
	Kind TokenKind

	// Text is, for a Word, the word with its quotes, escaping backslashes
	// and line continuations removed: what Split returns for it. For an
	// Operator, it is the operator as written.
	Text string

	// Raw is the token as written in the line: line[Pos:End]. A word's Raw
	// includes a line continuation (backslash-newline) that follows it
	// directly; a continuation between two tokens belongs to neither.
	Raw string

	// Pos is the byte offset in the line of the token's first byte, End the
	// offset just past its last one.
	Pos, End int

	// Expansions lists, in order, the characters of a Word at which sh or
	// bash would expand it rather than take it as written (nil when there
	// are none: the word is then exactly its Text). They are every $ and `
	// not quoted by single quotes or a backslash (parameter expansion,
	// command substitution, arithmetic; inside double quotes too), and
	// every unquoted * ? [ (pathname expansion), { } (bash's brace
	// expansion), and ~ when it is the first character of the word (tilde
	// expansion).
	Expansions []Expansion
}

// An Expansion is a character of a word that sh or bash would expand; see
// [Token].Expansions.
type Expansion struct {
	Pos    int  // byte offset of the character in the line
	Quoted bool // it is inside double quotes (only $ and ` are expanded there)
}

// Reserved reports whether t would be taken as a reserved word by sh or
// bash, rather than as the name of a program, if it began a command: it is
// a [Word] written without any quoting, escaping or line continuation that
// equals one of ! { } case coproc do done elif else esac fi for function if
// in select then time until while. A quoted reserved word ('if') is an
// ordinary word.
func (t Token) Reserved() bool {
	return t.Kind == Word && t.Raw == t.Text && reserved[t.Text]
}

// Assignment returns NAME when t, at the start of a command, would be the
// variable assignment NAME=value rather than the name of a program: t is a
// [Word] that begins with an unquoted shell variable name (ASCII letters,
// digits and '_', not starting with a digit) directly followed by '='.
// Otherwise it returns "". A word like 'FOO'=1 or FOO\=1, quoted before its
// '=', is no assignment.
func (t Token) Assignment() string {
	if t.Kind != Word {
		return ""
	}
	if i := strings.IndexByte(t.Raw, '='); i > 0 && isName(t.Raw[:i]) {
		return t.Raw[:i]
	}
	return ""
}

// Lex splits the command line s into words and operators the way sh's
// tokenizer does, following the quoting and comment rules of [Split] (words
// and their Text are exactly those Split returns, if s has no operator).
// In addition, an unquoted newline and every unquoted operator of sh or
// bash ends the current word and is a token of its own, matched longest
// first:
//
//	|  ||  |&  &  &&  &>  &>>  ;  ;;  ;&  ;;&  (  )
//	<  <<  <<-  <<<  <&  <>  >  >>  >&  >|
//
// The digits of a redirection such as 2>&1 are a word of their own ("2").
// Lex interprets nothing else: it reports where words would be expanded
// ([Token].Expansions) but expands nothing, and knows no grammar (reserved
// words and assignments are words; see [Token.Reserved] and
// [Token.Assignment]).
//
// On a syntax error (an unterminated quote, a trailing backslash; both are
// found only at the end of s, with the errors Split returns), Lex returns
// every token along with the error, the last one being the word that the
// end of s cut short. A line with no tokens gives a nil slice.
func Lex(s string) ([]Token, error) {
	return lex(s, true)
}

// operators are sh's and bash's operators, longest first among those that
// share a first byte.
var operators = []string{
	"||", "|&", "|",
	"&&", "&>>", "&>", "&",
	";;&", ";;", ";&", ";",
	"(", ")",
	"<<<", "<<-", "<<", "<&", "<>", "<",
	">>", ">&", ">|", ">",
}

// lex is Lex, with operators recognised only when ops is set (Split does
// not).
func lex(s string, ops bool) ([]Token, error) {
	var (
		toks []Token
		text []byte      // the current word's text
		pos  = -1        // the current word's first byte; -1 between words
		exps []Expansion // the current word's expansions
	)
	begin := func(i int) {
		if pos < 0 {
			pos = i
		}
	}
	end := func(i int) {
		if pos < 0 {
			return
		}
		toks = append(toks, Token{Kind: Word, Text: string(text), Raw: s[pos:i], Pos: pos, End: i, Expansions: exps})
		text, pos, exps = text[:0], -1, nil
	}
	operator := func(i, n int) {
		end(i)
		toks = append(toks, Token{Kind: Operator, Text: s[i : i+n], Raw: s[i : i+n], Pos: i, End: i + n})
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' && !ops:
			end(i)
			i++
		case c == '\n':
			operator(i, 1)
			i++
		case c == '#' && pos < 0:
			// A comment, up to the newline (which is not part of it).
			if j := strings.IndexByte(s[i:], '\n'); j >= 0 {
				i += j
			} else {
				i = len(s)
			}
		case c == '\\':
			switch {
			case i+1 == len(s):
				begin(i)
				end(len(s))
				return toks, fmt.Errorf("%w: nothing follows the backslash at byte %d of %s", ErrTrailingBackslash, i, abbrev(s))
			case s[i+1] == '\n':
				// A line continuation: removed; it neither starts nor ends a word.
			default:
				begin(i)
				text = append(text, s[i+1])
			}
			i += 2
		case c == '\'':
			begin(i)
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				text = append(text, s[i+1:]...)
				end(len(s))
				return toks, fmt.Errorf("%w: the single quote at byte %d of %s is never closed", ErrUnterminatedQuote, i, abbrev(s))
			}
			text = append(text, s[i+1:i+1+j]...)
			i += j + 2
		case c == '"':
			begin(i)
			open := i
			for i++; ; {
				if i == len(s) {
					end(len(s))
					return toks, fmt.Errorf("%w: the double quote at byte %d of %s is never closed", ErrUnterminatedQuote, open, abbrev(s))
				}
				d := s[i]
				if d == '"' {
					i++
					break
				}
				if d == '\\' && i+1 < len(s) {
					switch e := s[i+1]; e {
					case '\n':
						i += 2
						continue
					case '$', '`', '"', '\\':
						text = append(text, e)
						i += 2
						continue
					}
					// Otherwise the backslash is kept and the next byte read
					// as usual.
				}
				if d == '$' || d == '`' {
					exps = append(exps, Expansion{Pos: i, Quoted: true})
				}
				text = append(text, d)
				i++
			}
		case ops && strings.IndexByte("|&;()<>", c) >= 0:
			for _, op := range operators {
				if strings.HasPrefix(s[i:], op) {
					operator(i, len(op))
					i += len(op)
					break
				}
			}
		default:
			if strings.IndexByte("$`*?[{}", c) >= 0 || c == '~' && pos < 0 {
				exps = append(exps, Expansion{Pos: i})
			}
			begin(i)
			text = append(text, c)
			i++
		}
	}
	end(len(s))
	return toks, nil
}
