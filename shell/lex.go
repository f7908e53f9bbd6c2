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
	l := &lexer{s: s, ops: ops, pos: -1}
	for i := 0; i < len(s); {
		var err error
		switch c := s[i]; {
		case c == ' ' || c == '\t' || c == '\n' && !ops:
			l.end(i)
			i++
		case c == '\n':
			l.operator(i, 1)
			i++
		case c == '#' && l.pos < 0:
			i = l.comment(i)
		case c == '\\':
			i, err = l.backslash(i)
		case c == '\'':
			i, err = l.singleQuoted(i)
		case c == '"':
			i, err = l.doubleQuoted(i)
		case ops && strings.IndexByte("|&;()<>", c) >= 0:
			for _, op := range operators {
				if strings.HasPrefix(s[i:], op) {
					l.operator(i, len(op))
					i += len(op)
					break
				}
			}
		default:
			if strings.IndexByte("$`*?[{}", c) >= 0 || c == '~' && l.pos < 0 {
				l.exps = append(l.exps, Expansion{Pos: i})
			}
			l.begin(i)
			l.text = append(l.text, c)
			i++
		}
		if err != nil {
			l.end(len(s))
			return l.toks, err
		}
	}
	l.end(len(s))
	return l.toks, nil
}

// lexer is the state of lex: the tokens found so far and the word being
// read, if any.
type lexer struct {
	s    string
	ops  bool
	toks []Token
	text []byte      // the current word's text
	pos  int         // the current word's first byte; -1 between words
	exps []Expansion // the current word's expansions
}

// begin starts a word at s[i] unless one is being read.
func (l *lexer) begin(i int) {
	if l.pos < 0 {
		l.pos = i
	}
}

// end ends the current word, if any, just before s[i].
func (l *lexer) end(i int) {
	if l.pos < 0 {
		return
	}
	l.toks = append(l.toks, Token{Kind: Word, Text: string(l.text), Raw: l.s[l.pos:i], Pos: l.pos, End: i, Expansions: l.exps})
	l.text, l.pos, l.exps = l.text[:0], -1, nil
}

// operator ends the current word and adds the operator s[i:i+n].
func (l *lexer) operator(i, n int) {
	l.end(i)
	op := l.s[i : i+n]
	l.toks = append(l.toks, Token{Kind: Operator, Text: op, Raw: op, Pos: i, End: i + n})
}

// comment skips the comment at s[i] up to the newline that ends it (which
// is not part of it) and returns the offset of that newline.
func (l *lexer) comment(i int) int {
	if j := strings.IndexByte(l.s[i:], '\n'); j >= 0 {
		return i + j
	}
	return len(l.s)
}

// backslash reads the unquoted backslash at s[i] and the byte it escapes,
// and returns the offset after them.
func (l *lexer) backslash(i int) (int, error) {
	switch {
	case i+1 == len(l.s):
		l.begin(i)
		return len(l.s), fmt.Errorf("%w: nothing follows the backslash at byte %d of %s", ErrTrailingBackslash, i, abbrev(l.s))
	case l.s[i+1] == '\n':
		// A line continuation: removed; it neither starts nor ends a word.
	default:
		l.begin(i)
		l.text = append(l.text, l.s[i+1])
	}
	return i + 2, nil
}

// singleQuoted reads the single-quoted string at s[i] and returns the
// offset after it.
func (l *lexer) singleQuoted(i int) (int, error) {
	l.begin(i)
	j := strings.IndexByte(l.s[i+1:], '\'')
	if j < 0 {
		l.text = append(l.text, l.s[i+1:]...)
		return len(l.s), fmt.Errorf("%w: the single quote at byte %d of %s is never closed", ErrUnterminatedQuote, i, abbrev(l.s))
	}
	l.text = append(l.text, l.s[i+1:i+1+j]...)
	return i + j + 2, nil
}

// doubleQuoted reads the double-quoted string at s[i] and returns the
// offset after it.
func (l *lexer) doubleQuoted(open int) (int, error) {
	l.begin(open)
	s := l.s
	for i := open + 1; i < len(s); {
		c := s[i]
		switch {
		case c == '"':
			return i + 1, nil
		case c == '\\' && i+1 < len(s) && s[i+1] == '\n':
			i += 2
		case c == '\\' && i+1 < len(s) && strings.IndexByte("$`\"\\", s[i+1]) >= 0:
			l.text = append(l.text, s[i+1])
			i += 2
		default:
			// Before any other byte, a backslash is kept and the byte is
			// read as usual.
			if c == '$' || c == '`' {
				l.exps = append(l.exps, Expansion{Pos: i, Quoted: true})
			}
			l.text = append(l.text, c)
			i++
		}
	}
	return len(s), fmt.Errorf("%w: the double quote at byte %d of %s is never closed", ErrUnterminatedQuote, open, abbrev(s))
}
