package shell_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spawnkit/spawnkit/childproc"
	"github.com/spawnkit/spawnkit/pipeline"
	"github.com/spawnkit/spawnkit/shell"
)

// The tests in this file try to run a command (touch MARKER) through every
// way a value can reach a shell or a program, and check that it never
// runs: shell.Quote and Join into childproc.Exec, pipeline.Parse, and
// childproc.ExecFile.

// injections returns values that run `touch marker` if a shell interprets
// them anywhere.
func injections(marker string) []string {
	cmd := "touch " + marker
	return []string{
		"$(" + cmd + ")", "`" + cmd + "`", "; " + cmd, "a;" + cmd, "| " + cmd, "|| " + cmd, "&& " + cmd,
		"& " + cmd, "\n" + cmd, "\r\n" + cmd, "' ; " + cmd + " ; '", "\" ; " + cmd + " ; \"",
		"'$(" + cmd + ")'", "\"$(" + cmd + ")\"", "\\'; " + cmd + " #", "$'\\x27'; " + cmd,
		"> " + marker, ">" + marker, "2>" + marker, "<(" + cmd + ")", "$((0))$(" + cmd + ")",
		"${IFS}" + cmd, "x=$(" + cmd + ")", "{" + cmd + ",}", "!" + cmd, "#\n" + cmd,
		"'\n" + cmd + "\n'", strings.Repeat("'", 7) + "; " + cmd, "\xff'; " + cmd + " #",
		"-c", "--", "-e",
	}
}

func TestQuoteBlocksInjectionThroughExec(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "pwned")
	values := injections(marker)
	ctx := context.Background()
	shells := []string{"/bin/sh"}
	for _, sh := range []string{"/bin/dash", "/bin/bash"} {
		if _, err := os.Stat(sh); err == nil {
			shells = append(shells, sh)
		}
	}
	for _, sh := range shells {
		// One value per command, in argument position and as the command.
		for _, v := range values {
			res, err := childproc.Exec(ctx, `printf '%s\0' `+shell.Quote(v), &childproc.Options{Shell: sh})
			require.NoError(t, err, "%s: Quote(%q) = %q", sh, v, shell.Quote(v))
			assert.Equal(t, v+"\x00", string(res.Stdout), "%s: Quote(%q)", sh, v)
			_, err = childproc.Exec(ctx, shell.Quote(v), &childproc.Options{Shell: sh})
			var ee *childproc.ExitError
			assert.ErrorAs(t, err, &ee, "%s: Quote(%q) as a command name is not found", sh, v)
		}
		// All at once, with Join.
		res, err := childproc.Exec(ctx, `printf '%s\0' `+shell.Join(values), &childproc.Options{Shell: sh})
		require.NoError(t, err)
		assert.Equal(t, values, strings.Split(strings.TrimSuffix(string(res.Stdout), "\x00"), "\x00"), sh)
	}
	assert.NoFileExists(t, marker)
}

func TestSplitNeverExpands(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "pwned")
	// Split performs no expansion: what it returns, passed as an argv,
	// runs nothing.
	for _, v := range injections(marker) {
		words, err := shell.Split(v)
		if err != nil {
			continue
		}
		if len(words) == 0 {
			continue
		}
		_, err = childproc.ExecFile(context.Background(), "printf", append([]string{`%s\0`}, words...), nil)
		require.NoError(t, err, "Split(%q) = %q", v, words)
	}
	assert.NoFileExists(t, marker)
}

func TestPipelineParseNeverUsesAShell(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "pwned")
	ctx := context.Background()
	accepted := 0
	for _, v := range injections(marker) {
		if strings.Contains(v, "|") {
			// '|' is the one operator Parse implements: an unquoted value
			// holding one adds a stage, as it would in sh. Quote values
			// (below).
			continue
		}
		for _, line := range []string{"echo " + v, "echo " + v + " | cat", "cat | echo " + v, v} {
			p, err := pipeline.Parse(line)
			if err != nil {
				// Refused: an unsupported construct, or a quote or escape
				// left open.
				assert.True(t, errors.Is(err, pipeline.ErrUnsupported) || errors.Is(err, shell.ErrUnterminatedQuote) || errors.Is(err, shell.ErrTrailingBackslash),
					"Parse(%q): %v", line, err)
				continue
			}
			accepted++
			// Accepted: it runs its programs with literal arguments. Whatever
			// it outputs, the marker is not created.
			p.Output(ctx)
		}
	}
	t.Logf("%d lines accepted", accepted)
	assert.NoFileExists(t, marker)

	// What a quoted value looks like to the program: exactly the value.
	for _, v := range injections(marker) {
		if strings.ContainsRune(v, 0) {
			continue
		}
		p, err := pipeline.Parse("printf '%s\\0' " + shell.Quote(v) + " | cat")
		require.NoError(t, err, "Quote(%q) = %q", v, shell.Quote(v))
		out, err := p.Output(ctx)
		require.NoError(t, err)
		assert.Equal(t, v+"\x00", string(out))
	}
	assert.NoFileExists(t, marker)
}
