package pipeline

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spawnkit/spawnkit/childproc"
	"github.com/spawnkit/spawnkit/shell"
)

// words returns each stage's argv.
func words(p *Pipeline) [][]string {
	var out [][]string
	for _, s := range p.stages {
		out = append(out, append([]string{s.name}, s.args...))
	}
	return out
}

// accepted are command lines Parse accepts, with the argv of each stage.
var accepted = []struct {
	line string
	want [][]string
}{
	{"find . -type f | wc -l", [][]string{{"find", ".", "-type", "f"}, {"wc", "-l"}}},
	{"a|b|c", [][]string{{"a"}, {"b"}, {"c"}}},
	{"  ls\t|  wc -l  \n", [][]string{{"ls"}, {"wc", "-l"}}},
	{"grep 'a|b' x|wc", [][]string{{"grep", "a|b", "x"}, {"wc"}}},
	{`grep "a|b" | sort`, [][]string{{"grep", "a|b"}, {"sort"}}},
	{`grep a\|b`, [][]string{{"grep", "a|b"}}},
	{`grep '*.go' '?' '[x]' '~' '{a,b}'`, [][]string{{"grep", "*.go", "?", "[x]", "~", "{a,b}"}}},
	{"echo \\$HOME \"\\$x\" '$y' \"\\`\" \\* \\? \\[ \\~ \\{ \\} \\; \\& \\< \\> \\( \\)", [][]string{{"echo", "$HOME", "$x", "$y", "`", "*", "?", "[", "~", "{", "}", ";", "&", "<", ">", "(", ")"}}},
	{`echo "a\"b" 'it'\''s' "C:\dir"`, [][]string{{"echo", `a"b`, "it's", `C:\dir`}}},
	{`find . -exec echo {} \; | sort`, [][]string{{"find", ".", "-exec", "echo", "{}", ";"}, {"sort"}}},
	{"cat # comment | wc -l", [][]string{{"cat"}}},
	{"cat | wc -l # it's a comment; really $(not)", [][]string{{"cat"}, {"wc", "-l"}}},
	{"echo a#b '#c'", [][]string{{"echo", "a#b", "#c"}}},
	{"env FOO=1 A=b printenv FOO", [][]string{{"env", "FOO=1", "A=b", "printenv", "FOO"}}},
	{"echo a~b x=~ a!b ! a=b", [][]string{{"echo", "a~b", "x=~", "a!b", "!", "a=b"}}},
	{"cat\\\n  file | wc", [][]string{{"cat", "file"}, {"wc"}}},
	{"ca\\\nt", [][]string{{"cat"}}},
	{`echo '' ""`, [][]string{{"echo", "", ""}}},
	{"find . ! -name x", [][]string{{"find", ".", "!", "-name", "x"}}},
	{`'if' x | "while" | \! | 'FOO=1' y`, [][]string{{"if", "x"}, {"while"}, {"!"}, {"FOO=1", "y"}}},
	{"echo if then fi", [][]string{{"echo", "if", "then", "fi"}}},
	{"printf 'multi\nline' | tr '\\n' ' '", [][]string{{"printf", "multi\nline"}, {"tr", `\n`, " "}}},
	{"echo é ü\r", [][]string{{"echo", "é", "ü\r"}}},
	{"echo 5%", [][]string{{"echo", "5%"}}},
}

func TestParse(t *testing.T) {
	for _, tc := range accepted {
		t.Run(tc.line, func(t *testing.T) {
			p, err := Parse(tc.line)
			require.NoError(t, err)
			assert.Equal(t, tc.want, words(p))
		})
	}
}

// TestParseMatchesSh checks the words Parse finds against /bin/sh's own: for
// each stage, sh runs `printf '%s\0' STAGE`.
func TestParseMatchesSh(t *testing.T) {
	for _, tc := range accepted {
		t.Run(tc.line, func(t *testing.T) {
			assertMatchesSh(t, tc.line)
		})
	}
}

func assertMatchesSh(t *testing.T, line string) {
	t.Helper()
	segs, err := segments(line)
	require.NoError(t, err)
	p, err := Parse(line)
	require.NoError(t, err)
	for i, seg := range segs {
		res, err := childproc.ExecFile(context.Background(), "/bin/sh", []string{"-c", `printf '%s\0' ` + seg.text}, nil)
		require.NoError(t, err, "segment %q", seg.text)
		got := strings.Split(string(res.Stdout), "\x00")
		got = got[:len(got)-1]
		assert.Equal(t, got, words(p)[i], "stage %d of %q", i, line)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ line, msg string }{
		{"a && b", `"&&" at offset 2`},
		{"a || b", `"||" at offset 2`},
		{"a ; b", `";" at offset 2`},
		{"a &", `"&" (background job) at offset 2`},
		{"a |& b", `"|&" at offset 2`},
		{"a > f", `redirection '>' at offset 2`},
		{"a >> f", `redirection '>' at offset 2`},
		{"a < f", `redirection '<' at offset 2`},
		{"a 2>&1 | b", `redirection '>' at offset 3`},
		{"echo $(ls)", `"$" (variable`},
		{"echo $HOME", `"$" (variable`},
		{"echo x$", `"$" (variable`},
		{`echo "$HOME"`, `"$" inside double quotes`},
		{"echo `ls`", "backtick (command substitution) at offset 5"},
		{"echo \"`ls`\"", "backtick inside double quotes"},
		{"ls *.go", `glob character '*'`},
		{"ls ?", `glob character '?'`},
		{"ls [ab]", `glob character '['`},
		{"ls ~", `"~" (home directory expansion) at offset 3`},
		{"ls ~/x", `"~" (home directory expansion)`},
		{"(ls)", `'(' (subshell or function) at offset 0`},
		{"{ ls; }", `"{" (grouping or brace expansion`},
		{"echo a{b,c}", `"{" (grouping`},
		{"echo {}x", `"{" (grouping`},
		{"echo }", `"}" (grouping`},
		{"FOO=1 ls", `variable assignment "FOO=" before the command`},
		{"ls | _x9=a\"b\" ls", `stage 1: variable assignment "_x9="`},
		{"! ls", `reserved word "!" at the start of a command`},
		{"if true", `reserved word "if"`},
		{"ls | while", `stage 1: reserved word "while"`},
		{"  \\\ntime ls", `reserved word "time" at the start of a command (quote it to run a program of that name) at offset 4`},
		{"| a", "stage 0 is empty (at offset 0)"},
		{"a |", "stage 1 is empty (at offset 3)"},
		{"a | | b", "stage 1 is empty (at offset 3)"},
		{"a | # c", "stage 1 is empty"},
		{"", "stage 0 is empty"},
		{"  \n", "stage 0 is empty"},
		{"# just a comment", "stage 0 is empty"},
		{"a\nb", "newline (a command separator in sh) at offset 1"},
		{"a # c\nb", "newline (a command separator in sh) at offset 5"},
		{"a\n# c", "newline (a command separator in sh) at offset 1"},
		// What comes before an unterminated quote is checked first.
		{"echo \"abc $x", `"$" inside double quotes (variable or command substitution; use single quotes or \$ for a literal $) at offset 10`},
		{"ls *'x", `glob character '*' (quote it for a literal *) at offset 3`},
		{"a && 'b", `"&&" at offset 2`},
		{"{}; x", `"{" (grouping or brace expansion; only the word {} is allowed unquoted) at offset 0`},
	} {
		t.Run(tc.line, func(t *testing.T) {
			p, err := Parse(tc.line)
			require.Error(t, err)
			assert.Nil(t, p)
			assert.ErrorIs(t, err, ErrUnsupported)
			assert.Contains(t, err.Error(), tc.msg)
			assert.Contains(t, err.Error(), "use childproc.Exec")
		})
	}

	_, err := Parse("a && b")
	assert.EqualError(t, err, `pipeline: parse "a && b": "&&" at offset 2: shell syntax not supported by pipeline.Parse (use childproc.Exec to run it through a shell)`)

	_, err = Parse("echo 'x | y")
	assert.ErrorIs(t, err, shell.ErrUnterminatedQuote)
	assert.False(t, errors.Is(err, ErrUnsupported))
	_, err = Parse(`echo "x | y`)
	assert.ErrorIs(t, err, shell.ErrUnterminatedQuote)
	_, err = Parse(`echo x | y \`)
	assert.ErrorIs(t, err, shell.ErrTrailingBackslash)
	_, err = Parse("a | b 'x")
	assert.EqualError(t, err, `pipeline: parse "a | b 'x": stage 1: shell: unterminated quote: the single quote at byte 6 of "a | b 'x" is never closed`)
	_, err = Parse("echo a\x00b")
	assert.EqualError(t, err, `pipeline: parse "echo a\x00b": NUL byte at offset 6: no program argument can contain one`)
}

// FuzzParse checks that Parse never panics and that what it accepts is what
// shell.Split makes of each '|'-separated part, that the parts put back
// together are the line, and that the pipeline's String parses back to the
// same words. With PIPELINE_FUZZ_SH=1 it also compares with /bin/sh (slow).
func FuzzParse(f *testing.F) {
	for _, tc := range accepted {
		f.Add(tc.line)
	}
	for _, s := range []string{"a && b", "echo $(x) | y", "ls *.go", "a | | b", "echo 'x", "FOO=1 x", "{} | {}", "a\\", "echo \"abc $x", "a\n# c", "{}; x", "a | b 'x", "  \\\ntime ls", "if\\\n x", "a 2>&1 | b", "find . -exec echo {} \\; | sort"} {
		f.Add(s)
	}
	withSh := os.Getenv("PIPELINE_FUZZ_SH") == "1"
	f.Fuzz(func(t *testing.T, line string) {
		p, err := Parse(line)
		if err != nil {
			assert.Nil(t, p)
			return
		}
		segs, err := segments(line)
		require.NoError(t, err)
		require.Len(t, p.stages, len(segs))
		var joined []string
		for i, seg := range segs {
			w, err := shell.Split(seg.text)
			require.NoError(t, err)
			require.Equal(t, w, words(p)[i])
			require.Equal(t, seg.text, line[seg.offset:seg.offset+len(seg.text)])
			joined = append(joined, seg.text)
		}
		require.Equal(t, line, strings.Join(joined, "|"))

		back, err := Parse(p.String())
		require.NoError(t, err, "String() = %q", p.String())
		require.Equal(t, words(p), words(back))

		if withSh && !bytes.ContainsAny([]byte(line), "\x00") {
			assertMatchesSh(t, line)
		}
	})
}
