package pipeline

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spawnkit/spawnkit/shell"
)

// ErrUnsupported is matched (errors.Is) by the error Parse returns for a
// command line that uses shell syntax a pipeline cannot express without a
// shell: lists (&&, ||, ;, &), redirections, substitutions, variables,
// globs, and the like. Run such a line with childproc.Exec, which hands it to
// /bin/sh.
var ErrUnsupported = errors.New("shell syntax not supported by pipeline.Parse (use childproc.Exec to run it through a shell)")

// Parse turns a command line such as "find . -type f | wc -l" into a Pipeline
// of Command stages, without involving a shell.
//
// The line is cut at every unquoted '|' and each part is split into words
// with shell.Split, so quotes and backslashes work as in sh and a quoted or
// escaped '|' is an ordinary character: `grep 'a|b' | wc -l` has two stages.
// A '#' at the start of a word begins a comment that runs to the end of the
// line.
//
// Everything whose meaning in sh needs a shell is refused rather than passed
// on literally, with an error matching ErrUnsupported that names the
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
// trailing backslash is an error matching shell.ErrUnterminatedQuote or
// shell.ErrTrailingBackslash.
func Parse(cmdline string) (*Pipeline, error) {
	segs, err := segments(cmdline)
	if err != nil {
		return nil, fmt.Errorf("pipeline: parse %q: %w", cmdline, err)
	}
	stages := make([]Stage, 0, len(segs))
	for i, seg := range segs {
		words, err := shell.Split(seg.text)
		if err != nil {
			return nil, fmt.Errorf("pipeline: parse %q: stage %d: %w", cmdline, i, err)
		}
		if len(words) == 0 {
			return nil, fmt.Errorf("pipeline: parse %q: stage %d is empty (at offset %d): %w", cmdline, i, seg.offset, ErrUnsupported)
		}
		if err := checkCommandWord(seg, words[0]); err != nil {
			return nil, fmt.Errorf("pipeline: parse %q: stage %d: %w", cmdline, i, err)
		}
		stages = append(stages, Command(words[0], words[1:]...))
	}
	return New(stages...), nil
}

// segment is the text of one stage of a command line and its byte offset.
type segment struct {
	text   string
	offset int
}

// unsupported reports the construct what found at byte offset off.
func unsupported(what string, off int) error {
	return fmt.Errorf("%s at offset %d: %w", what, off, ErrUnsupported)
}

// segments cuts s at every unquoted '|', following sh's quoting rules (the
// same ones shell.Split follows), and refuses every unquoted character that
// sh would give a meaning pipeline cannot reproduce. An unterminated quote
// or trailing backslash is left for shell.Split to report.
func segments(s string) ([]segment, error) {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return nil, fmt.Errorf("NUL byte at offset %d: no program argument can contain one", i)
	}
	var segs []segment
	start := 0
	wordStart := true // the next byte would begin a new word
	i := 0
	for i < len(s) {
		c := s[i]
		switch c {
		case '\\':
			if i+1 < len(s) && s[i+1] == '\n' {
				i += 2 // line continuation: removed, changes nothing
				continue
			}
			i += 2
			wordStart = false
		case '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return append(segs, segment{s[start:], start}), nil
			}
			i += j + 2
			wordStart = false
		case '"':
			j := i + 1
			for ; j < len(s) && s[j] != '"'; j++ {
				switch s[j] {
				case '\\':
					j++ // whatever follows is escaped or kept: never special
				case '$':
					return nil, unsupported(`"$" inside double quotes (variable or command substitution; use single quotes or \$ for a literal $)`, j)
				case '`':
					return nil, unsupported("backtick inside double quotes (command substitution; use single quotes for a literal `)", j)
				}
			}
			if j >= len(s) {
				return append(segs, segment{s[start:], start}), nil
			}
			i = j + 1
			wordStart = false
		case ' ', '\t':
			i++
			wordStart = true
		case '\n':
			if strings.TrimLeft(s[i:], " \t\n") != "" {
				return nil, unsupported("newline (a command separator in sh)", i)
			}
			i++
			wordStart = true
		case '#':
			if wordStart {
				j := strings.IndexByte(s[i:], '\n')
				if j < 0 {
					i = len(s)
				} else {
					i += j
				}
				continue
			}
			i++
		case '|':
			if i+1 < len(s) && s[i+1] == '|' {
				return nil, unsupported(`"||"`, i)
			}
			if i+1 < len(s) && s[i+1] == '&' {
				return nil, unsupported(`"|&"`, i)
			}
			segs = append(segs, segment{s[start:i], start})
			i++
			start = i
			wordStart = true
		case '&':
			if i+1 < len(s) && s[i+1] == '&' {
				return nil, unsupported(`"&&"`, i)
			}
			return nil, unsupported(`"&" (background job)`, i)
		case ';':
			return nil, unsupported(`";"`, i)
		case '<', '>':
			return nil, unsupported(fmt.Sprintf("redirection %q", c), i)
		case '(', ')':
			return nil, unsupported(fmt.Sprintf("%q (subshell or function)", c), i)
		case '`':
			return nil, unsupported("backtick (command substitution)", i)
		case '$':
			return nil, unsupported(`"$" (variable, command or arithmetic substitution; quote it as '$' for a literal $)`, i)
		case '*', '?', '[':
			return nil, unsupported(fmt.Sprintf("glob character %q (quote it for a literal %c)", c, c), i)
		case '~':
			if wordStart {
				return nil, unsupported(`"~" (home directory expansion)`, i)
			}
			i++
		case '{':
			if wordStart && strings.HasPrefix(s[i:], "{}") && endsWord(s, i+2) {
				i += 2
				wordStart = false
				continue
			}
			return nil, unsupported(`"{" (grouping or brace expansion; only the word {} is allowed unquoted)`, i)
		case '}':
			return nil, unsupported(`"}" (grouping or brace expansion)`, i)
		default:
			i++
			wordStart = false
		}
	}
	return append(segs, segment{s[start:], start}), nil
}

// endsWord reports whether a word ending just before s[i] ends there.
func endsWord(s string, i int) bool {
	return i == len(s) || strings.IndexByte(" \t\n|", s[i]) >= 0
}

// reserved are the words sh (and bash) treat specially at the start of a
// command; "{" and "}" are refused by segments already.
var reserved = map[string]bool{
	"!": true, "case": true, "do": true, "done": true, "elif": true, "else": true,
	"esac": true, "fi": true, "for": true, "if": true, "in": true, "then": true,
	"until": true, "while": true, "function": true, "select": true, "time": true,
	"coproc": true,
}

// checkCommandWord refuses a stage whose first word sh would not run as a
// program: an unquoted reserved word or "!", or a VAR=value assignment.
// first is that word after shell.Split.
func checkCommandWord(seg segment, first string) error {
	raw := seg.text
	for {
		t := strings.TrimLeft(raw, " \t\n")
		t = strings.TrimPrefix(t, "\\\n")
		if t == raw {
			break
		}
		raw = t
	}
	off := seg.offset + len(seg.text) - len(raw)
	if reserved[first] && strings.HasPrefix(raw, first) && endsWord(raw, len(first)) {
		return unsupported(fmt.Sprintf("reserved word %q at the start of a command (quote it to run a program of that name)", first), off)
	}
	if n := assignmentName(raw); n > 0 {
		return unsupported(fmt.Sprintf("variable assignment %q before the command (set Options.ExtraEnv with CommandWith instead)", raw[:n+1]), off)
	}
	return nil
}

// assignmentName returns the length of NAME when s starts with NAME=, as
// in sh's "NAME=value cmd", and 0 otherwise.
func assignmentName(s string) int {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '=' && i > 0:
			return i
		case c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z':
		case '0' <= c && c <= '9' && i > 0:
		default:
			return 0
		}
	}
	return 0
}
