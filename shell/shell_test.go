package shell

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// shellRun is one way of running sh for the tests.
type shellRun struct {
	name string
	path string
	env  []string // added to os.Environ()
}

// shells returns the shells available here: /bin/sh always, plus dash and
// bash (in the C and a UTF-8 locale) when installed.
func shells(t testing.TB) []shellRun {
	t.Helper()
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("no /bin/sh")
	}
	out := []shellRun{{name: "sh", path: "/bin/sh"}}
	if _, err := os.Stat("/bin/dash"); err == nil {
		out = append(out, shellRun{name: "dash", path: "/bin/dash"})
	}
	if _, err := os.Stat("/bin/bash"); err == nil {
		out = append(out,
			shellRun{name: "bash", path: "/bin/bash", env: []string{"LC_ALL=C"}},
			shellRun{name: "bash-utf8", path: "/bin/bash", env: []string{"LC_ALL=C.UTF-8"}},
			shellRun{name: "bash-posix", path: "/bin/bash", env: []string{"POSIXLY_CORRECT=1"}},
		)
	}
	return out
}

// printArgs runs `printf '%s\0' X WORDS` through sh and returns the words
// sh passed to printf after the marker X, and sh's error if it failed.
func printArgs(t testing.TB, sh shellRun, words string) ([]string, error) {
	t.Helper()
	cmd := exec.Command(sh.path, "-c", `printf '%s\0' X `+words)
	cmd.Env = append(os.Environ(), sh.env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, errors.Join(err, errors.New(stderr.String()))
	}
	require.True(t, bytes.HasSuffix(out, []byte{0}), "output %q", out)
	got := strings.Split(string(out[:len(out)-1]), "\x00")
	require.Equal(t, "X", got[0], "output %q", out)
	return got[1:], nil
}

// tricky are arguments that a shell would love to interpret.
var tricky = []string{
	"", " ", "  ", "\t", "\n", "\r\n", "a b", " leading", "trailing ",
	"$HOME", "${HOME}", "$(id)", "`id`", "$((1+1))", "$", "$'x'", `$"x"`,
	"a;b", ";", "a|b", "|", "a&b", "&", "&&", "||", "a>b", "<", ">>", "2>&1",
	"(", ")", "{", "}", "{a,b}", "[", "]", "[[", "]]", "*", "?", "[a]*",
	"~", "~root", "a~", "x=~", "!", "!!", "!$", "a!b", "#", "#x", "a#b", "a #b",
	"'", "''", "'''", `"`, `""`, `'"'`, `"'"`, "it's", `say "hi"`,
	`\`, `\\`, `a\`, `\n`, `\'`, `\"`, "a\\\nb", "\\\n",
	"-", "--", "-n", "-e", "-rf", "--foo=bar", "-%s", "%s", "%b", `\0`,
	"if", "then", "fi", "for", "do", "done", "in", "case", "esac", "!", "time",
	"FOO=bar", "a=b=c", "_x=1", "=x", "1a=b", "a.b=c",
	"line1\nline2\n", "\x01\x02\x1b[31m\x7f", "\xff", "\xfe\xff", "\xc3", "\xc3\xa9",
	"héllo wörld", "日本語", "\U0010ffff", "\U0010ff41", "\xef\xbf\xbd", "\xed\xa0\x80",
	"a\u00a0b", "\v\f", "@%+=:,./-_", "ÿ", strings.Repeat("'", 10),
	strings.Repeat("x y ", 1000),
}

func TestQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "''"},
		{"abc", "abc"},
		{"ABCxyz0189", "ABCxyz0189"},
		{"@%+=:,./-_", "@%+=:,./-_"},
		{"/usr/local/bin/go", "/usr/local/bin/go"},
		{"-rf", "-rf"},
		{"--foo=bar", "--foo=bar"},
		{"user@host:/path,x", "user@host:/path,x"},
		{"=x", "=x"},
		{"1a=b", "1a=b"},
		{"a.b=c", "a.b=c"},
		{"FOO=bar", "'FOO=bar'"},
		{"_x=", "'_x='"},
		{"a=b=c", "'a=b=c'"},
		{"if", "'if'"},
		{"done", "'done'"},
		{"iff", "iff"},
		{"a b", "'a b'"},
		{"it's", `'it'\''s'`},
		{"'", `''\'''`},
		{"''", `''\'''\'''`},
		{"$HOME", "'$HOME'"},
		{"`id`", "'`id`'"},
		{"a\nb", "'a\nb'"},
		{`back\slash`, `'back\slash'`},
		{`"dq"`, `'"dq"'`},
		{"~", "'~'"},
		{"!", "'!'"},
		{"#", "'#'"},
		{"*", "'*'"},
		{"\xff\xfe", "'\xff\xfe'"},
		{"héllo", "'héllo'"},
		{"a\x00b", "'a\x00b'"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, Quote(tt.in), "Quote(%q)", tt.in)
	}
}

func TestJoin(t *testing.T) {
	tests := []struct {
		in   []string
		want string
	}{
		{nil, ""},
		{[]string{}, ""},
		{[]string{""}, "''"},
		{[]string{"", ""}, "'' ''"},
		{[]string{"ls", "-l", "my dir"}, "ls -l 'my dir'"},
		{[]string{"echo", "it's", "$x"}, `echo 'it'\''s' '$x'`},
		{[]string{"a\nb"}, "'a\nb'"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, Join(tt.in), "Join(%q)", tt.in)
	}
}

func TestSplit(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", []string{}},
		{"   \t\n ", []string{}},
		{"# only a comment", []string{}},
		{"a", []string{"a"}},
		{"  a   b\tc\nd  ", []string{"a", "b", "c", "d"}},
		{"a\rb", []string{"a\rb"}},
		{"a \r b", []string{"a", "\r", "b"}},
		{"a\v\fb", []string{"a\v\fb"}},
		{"''", []string{""}},
		{`""`, []string{""}},
		{`a '' b "" c`, []string{"a", "", "b", "", "c"}},
		{`'a b'"c d"e\ f`, []string{"a bc de f"}},
		{`'$HOME "x" \n \'`, []string{`$HOME "x" \n \`}},
		{`"a\"b\\c\$d\` + "`" + `e"`, []string{"a\"b\\c$d`e"}},
		{`"C:\dir\new"`, []string{`C:\dir\new`}},
		{`"\a\'\#"`, []string{`\a\'\#`}},
		{`\a\'\"\\\$`, []string{`a'"\$`}},
		{"a\\\nb", []string{"ab"}},
		{"a \\\n b", []string{"a", "b"}},
		{"\"a\\\nb\"", []string{"ab"}},
		{"'a\\\nb'", []string{"a\\\nb"}},
		{"\"a\nb\"", []string{"a\nb"}},
		{"a #b c", []string{"a"}},
		{"a#b c", []string{"a#b", "c"}},
		{"a #b 'c\nd", []string{"a", "d"}},
		{"a # it's\nb", []string{"a", "b"}},
		{"a # x\\\nb", []string{"a", "b"}},
		{"#a\n#b\nc", []string{"c"}},
		{`a '#b' "#c" \#d`, []string{"a", "#b", "#c", "#d"}},
		{"''#x", []string{"#x"}},
		{"a\\ #b", []string{"a #b"}},
		{"\\\n#x", []string{}},
		{"$HOME $(id) `id` ~ * ?", []string{"$HOME", "$(id)", "`id`", "~", "*", "?"}},
		{"a|b a;b a&&b a>b (a)", []string{"a|b", "a;b", "a&&b", "a>b", "(a)"}},
		{"héllo 'wörld' 日本", []string{"héllo", "wörld", "日本"}},
		{"\xff '\xfe' \"\xfd\" \\\xfc", []string{"\xff", "\xfe", "\xfd", "\xfc"}},
		{"\xef\xbf\xbd", []string{"\xef\xbf\xbd"}},
		{"\U0010ff41 '\U0010ffff'", []string{"\U0010ff41", "\U0010ffff"}},
		{"\xf4\x8f\xbd", []string{"\xf4\x8f\xbd"}},
		{"a\x00b", []string{"a\x00b"}},
	}
	for _, tt := range tests {
		got, err := Split(tt.in)
		if assert.NoError(t, err, "Split(%q)", tt.in) {
			assert.Equal(t, tt.want, got, "Split(%q)", tt.in)
		}
	}
}

func TestSplitErrors(t *testing.T) {
	tests := []struct {
		in      string
		is      error
		message string
	}{
		{`'abc`, ErrUnterminatedQuote, `shell: unterminated quote: the single quote at byte 0 of "'abc" is never closed`},
		{`echo "abc`, ErrUnterminatedQuote, `shell: unterminated quote: the double quote at byte 5 of "echo \"abc" is never closed`},
		{`a 'b' "c`, ErrUnterminatedQuote, "double quote at byte 6"},
		{`"a\"`, ErrUnterminatedQuote, "double quote at byte 0"},
		{`"a\`, ErrUnterminatedQuote, "double quote"},
		{`"it's`, ErrUnterminatedQuote, "double quote"},
		{`'it"s`, ErrUnterminatedQuote, "single quote"},
		{`a'`, ErrUnterminatedQuote, "single quote at byte 1"},
		{`a\`, ErrTrailingBackslash, `shell: trailing backslash: nothing follows the backslash at byte 1 of "a\\"`},
		{`\`, ErrTrailingBackslash, "byte 0"},
		{`a \\\`, ErrTrailingBackslash, "byte 4"},
	}
	for _, tt := range tests {
		got, err := Split(tt.in)
		require.Error(t, err, "Split(%q)", tt.in)
		assert.Nil(t, got, "Split(%q)", tt.in)
		assert.ErrorIs(t, err, tt.is, "Split(%q)", tt.in)
		assert.Contains(t, err.Error(), tt.message, "Split(%q)", tt.in)
		assert.True(t, strings.HasPrefix(err.Error(), "shell: "), "Split(%q): %v", tt.in, err)
	}
}

func TestSplitErrorLongLine(t *testing.T) {
	_, err := Split(strings.Repeat("a", 1000) + ` "b`)
	require.ErrorIs(t, err, ErrUnterminatedQuote)
	assert.Contains(t, err.Error(), "double quote at byte 1001")
	assert.Contains(t, err.Error(), `aaa"...`)
	assert.Less(t, len(err.Error()), 200)
}

// TestSplitMatchesSh checks Split against what sh passes to a command for
// lines without expansions or operators (the only ones Split claims to
// handle like sh).
func TestSplitMatchesSh(t *testing.T) {
	lines := []string{
		"", "a", "  a   b\tc  ", "a\rb", "a\v\fb", "''", `""`, `a '' b "" c`,
		`'a b'"c d"e\ f`, `'"x" \n \'`, `"a\"b\\c\$d\` + "`" + `e"`,
		`"C:\dir\new"`, `"\a\'\#"`, `\a\'\"\\\$`, "a\\\nb", "a \\\n b",
		"\"a\\\nb\"", "'a\\\nb'", "\"a\nb\"", "a #b c", "a#b c",
		"a # it's", "a # x\\\n", "a '#b' \"#c\" \\#d", "''#x", "a\\ #b",
		"\\\n#x", "héllo 'wörld' 日本", "\xff '\xfe' \"\xfd\" \\\xfc",
		"\U0010ff41 '\U0010ffff' \xf4\x8f\xbd", "'it'\\''s'", `"'" '"'`,
		`\\\\ "\\\\" '\\\\'`, "a\\\tb", "\"\\\r\"", "-n -e --", "%s %b",
	}
	for _, sh := range shells(t) {
		t.Run(sh.name, func(t *testing.T) {
			for _, line := range lines {
				want, err := printArgs(t, sh, line)
				require.NoError(t, err, "sh -c %q", line)
				got, err := Split(line)
				require.NoError(t, err, "Split(%q)", line)
				assert.Equal(t, want, got, "Split(%q)", line)
			}
		})
	}
}

// TestSplitUnterminatedShFails checks that sh, too, rejects the lines
// Split reports as unterminated.
func TestSplitUnterminatedShFails(t *testing.T) {
	for _, line := range []string{`'abc`, `"abc`, `a 'b' "c`, `"a\"`, `'it"s`} {
		_, err := Split(line)
		require.ErrorIs(t, err, ErrUnterminatedQuote)
		for _, sh := range shells(t) {
			_, err := printArgs(t, sh, line)
			assert.Error(t, err, "%s -c %q", sh.name, line)
		}
	}
}

func TestQuoteRoundTripSh(t *testing.T) {
	for _, sh := range shells(t) {
		t.Run(sh.name, func(t *testing.T) {
			// All at once, and each on its own (an argument alone may behave
			// differently from one among others, e.g. "").
			got, err := printArgs(t, sh, Join(tricky))
			require.NoError(t, err)
			require.Equal(t, tricky, got)
			for _, arg := range tricky {
				got, err := printArgs(t, sh, Quote(arg))
				require.NoError(t, err, "Quote(%q) = %q", arg, Quote(arg))
				require.Equal(t, []string{arg}, got, "Quote(%q) = %q", arg, Quote(arg))
			}
		})
	}
}

// TestQuoteCommandName checks that a quoted first word is a command name,
// never a keyword or an assignment.
func TestQuoteCommandName(t *testing.T) {
	for _, sh := range shells(t) {
		for _, name := range []string{"if", "for", "done", "in", "time", "FOO=bar", "!", "{", "[["} {
			cmd := exec.Command(sh.path, "-c", Join([]string{name, "arg"}))
			cmd.Env = append(os.Environ(), sh.env...)
			out, err := cmd.CombinedOutput()
			var ee *exec.ExitError
			require.ErrorAs(t, err, &ee, "%s: %q", sh.name, out)
			assert.Equal(t, 127, ee.ExitCode(), "%s: %s: want command not found, got %q", sh.name, name, out)
		}
	}
}

func TestSplitJoinRoundTrip(t *testing.T) {
	got, err := Split(Join(tricky))
	require.NoError(t, err)
	require.Equal(t, tricky, got)
	for _, arg := range tricky {
		got, err := Split(Quote(arg))
		require.NoError(t, err, "Quote(%q) = %q", arg, Quote(arg))
		require.Equal(t, []string{arg}, got)
	}
}
