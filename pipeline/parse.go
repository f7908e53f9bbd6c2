package pipeline

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spawnkit/spawnkit/shell"
)

// ErrUnsupported is matched (errors.Is) by the error [Parse] returns for a
// command line that uses shell syntax a pipeline cannot express without a
// shell: lists (&&, ||, ;, &), redirections, substitutions, variables,
// globs, and the like. Run such a line with [childproc.Exec], which hands it to
// /bin/sh.
var ErrUnsupported = errors.New("shell syntax not supported by pipeline.Parse (use childproc.Exec to run it through a shell)")

// Parse turns a command line such as "find . -type f | wc -l" into a [Pipeline]
// of [Command] stages, without involving a shell.
//
// The line is split into words and operators with [shell.Lex] and cut at
// every '|' operator, so quotes and backslashes work as in sh (each stage's
// words are what [shell.Split] makes of its text) and a quoted or escaped '|'
// is an ordinary character: `grep 'a|b' | wc -l` has two stages. A '#' at
// the start of a word begins a comment that runs to the end of the line.
//
// Everything whose meaning in sh needs a shell is refused rather than passed
// on literally, with an error matching [ErrUnsupported] that names the
// construct and its byte offset: the operators && || ; & |& and a newline
// followed by more text, the redirections < > (so 2>&1 too), ( ) and { }
// grouping and brace expansion (except the word {}), $ (variables, $(...),
// arithmetic — also inside double quotes), backticks, the glob characters
// * ? [, a ~ that starts a word, a leading VAR=value assignment, a leading ! and
// reserved words such as if or while at the start of a stage. Quote or
// escape a character to make it literal: `grep '*.go'` and `echo \$HOME`
// are accepted. A NUL byte is refused, since no argument can hold one.
//
// An empty stage — an empty line, a leading or trailing '|', or "a | | b" —
// is an error matching ErrUnsupported as well. An unterminated quote or a
// trailing backslash is an error matching [shell.ErrUnterminatedQuote] or
// [shell.ErrTrailingBackslash].
func Parse(cmdline string) (*Pipeline, error) {
	segs, err := segments(cmdline)
	if err != nil {
		return nil, fmt.Errorf("pipeline: parse %q: %w", cmdline, err)
	}
	stages := make([]Stage, 0, len(segs))
	for i, seg := range segs {
		if seg.err != nil {
			return nil, fmt.Errorf("pipeline: parse %q: stage %d: %w", cmdline, i, seg.err)
		}
		if len(seg.words) == 0 {
			return nil, fmt.Errorf("pipeline: parse %q: stage %d is empty (at offset %d): %w", cmdline, i, seg.offset, ErrUnsupported)
		}
		if err := checkCommandWord(seg.words[0]); err != nil {
			return nil, fmt.Errorf("pipeline: parse %q: stage %d: %w", cmdline, i, err)
		}
		args := make([]string, len(seg.words)-1)
		for j, w := range seg.words[1:] {
			args[j] = w.Text
		}
		stages = append(stages, Command(seg.words[0].Text, args...))
	}
	return New(stages...), nil
}

// segment is one stage of a command line: its text, the text's byte offset
// in the line, its words, and the syntax error that cut it short (only the
// last stage can have one).
type segment struct {
	text   string
	offset int
	words  []shell.Token
	err    error
}

// unsupported reports the construct what found at byte offset off.
func unsupported(what string, off int) error {
	return fmt.Errorf("%s at offset %d: %w", what, off, ErrUnsupported)
}

// segments cuts the tokens of s (shell.Lex) at every '|' operator, and
// refuses every other operator and every word that sh would expand: the
// first of these in s is the error. A syntax error of shell.Lex is left in
// the last segment.
func segments(s string) ([]segment, error) {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return nil, fmt.Errorf("NUL byte at offset %d: no program argument can contain one", i)
	}
	toks, lexErr := shell.Lex(s)
	var segs []segment
	cur := segment{offset: 0}
	for _, t := range toks {
		if t.Kind == shell.Word {
			if err := checkExpansions(s, t); err != nil {
				return nil, err
			}
			cur.words = append(cur.words, t)
			continue
		}
		switch {
		case t.Text == "|":
			cur.text = s[cur.offset:t.Pos]
			segs = append(segs, cur)
			cur = segment{offset: t.End}
		case t.Text == "\n":
			if strings.TrimLeft(s[t.Pos:], " \t\n") != "" {
				return nil, unsupported("newline (a command separator in sh)", t.Pos)
			}
		case t.Text == "||" || t.Text == "|&" || t.Text == "&&":
			return nil, unsupported(fmt.Sprintf("%q", t.Text), t.Pos)
		case t.Text[0] == '&':
			return nil, unsupported(`"&" (background job)`, t.Pos)
		case t.Text[0] == ';':
			return nil, unsupported(`";"`, t.Pos)
		case t.Text[0] == '<' || t.Text[0] == '>':
			return nil, unsupported(fmt.Sprintf("redirection %q", t.Text[0]), t.Pos)
		default: // ( )
			return nil, unsupported(fmt.Sprintf("%q (subshell or function)", t.Text[0]), t.Pos)
		}
	}
	cur.text = s[cur.offset:]
	cur.err = lexErr
	return append(segs, cur), nil
}

// checkExpansions refuses the word t of s if sh would expand it, except
// for the word {} written as such (find -exec's placeholder), followed by
// the end of a stage or a blank.
func checkExpansions(s string, t shell.Token) error {
	if t.Raw == "{}" && (t.End == len(s) || strings.IndexByte(" \t\n|", s[t.End]) >= 0) {
		return nil
	}
	for _, e := range t.Expansions {
		switch c := s[e.Pos]; {
		case c == '$' && e.Quoted:
			return unsupported(`"$" inside double quotes (variable or command substitution; use single quotes or \$ for a literal $)`, e.Pos)
		case c == '`' && e.Quoted:
			return unsupported("backtick inside double quotes (command substitution; use single quotes for a literal `)", e.Pos)
		case c == '$':
			return unsupported(`"$" (variable, command or arithmetic substitution; quote it as '$' for a literal $)`, e.Pos)
		case c == '`':
			return unsupported("backtick (command substitution)", e.Pos)
		case c == '~':
			return unsupported(`"~" (home directory expansion)`, e.Pos)
		case c == '{':
			return unsupported(`"{" (grouping or brace expansion; only the word {} is allowed unquoted)`, e.Pos)
		case c == '}':
			return unsupported(`"}" (grouping or brace expansion)`, e.Pos)
		default: // * ? [
			return unsupported(fmt.Sprintf("glob character %q (quote it for a literal %c)", c, c), e.Pos)
		}
	}
	return nil
}

// checkCommandWord refuses a stage whose first word sh would not run as a
// program: an unquoted reserved word or "!", or a VAR=value assignment.
func checkCommandWord(first shell.Token) error {
	if first.Reserved() {
		return unsupported(fmt.Sprintf("reserved word %q at the start of a command (quote it to run a program of that name)", first.Text), first.Pos)
	}
	if name := first.Assignment(); name != "" {
		return unsupported(fmt.Sprintf("variable assignment %q before the command (set Options.ExtraEnv with CommandWith instead)", name+"="), first.Pos)
	}
	return nil
}
