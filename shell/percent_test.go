package shell

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestQuotePercentCommandNameIsABashJob checks the caveat in Quote's doc:
// as the first word of a command, a value starting with '%' is a job
// specification for bash, quoted or not, so the program is never run;
// naming it by a path with a slash ("./%prog") runs it, in every shell.
func TestQuotePercentCommandNameIsABashJob(t *testing.T) {
	dir := t.TempDir()
	prog := filepath.Join(dir, "%spawnkit-prog")
	require.NoError(t, os.WriteFile(prog, []byte("#!/bin/sh\necho ran\n"), 0o755))
	for _, sh := range shells(t) {
		run := func(line string) (string, int) {
			cmd := exec.Command(sh.path, "-c", line)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), sh.env...)
			cmd.Env = append(cmd.Env, "PATH="+dir+":/usr/bin:/bin")
			out, err := cmd.CombinedOutput()
			if ee, ok := err.(*exec.ExitError); ok {
				return string(out), ee.ExitCode()
			}
			require.NoError(t, err, "%s: %s", sh.name, out)
			return string(out), 0
		}
		out, code := run(Join([]string{"./%spawnkit-prog"}))
		assert.Equal(t, "ran\n", out, sh.name)
		assert.Equal(t, 0, code, sh.name)

		out, code = run(Join([]string{"%spawnkit-prog"}))
		if strings.HasPrefix(sh.name, "bash") {
			assert.NotContains(t, out, "ran", "%s: bash took it as a job, not a program", sh.name)
			assert.Contains(t, out, "fg:", sh.name)
			assert.Equal(t, 1, code, sh.name)
		} else if strings.Contains(out, "fg:") {
			// /bin/sh may be bash itself.
			assert.Equal(t, 1, code, sh.name)
		} else {
			assert.Equal(t, "ran\n", out, "%s finds it in PATH", sh.name)
		}
	}
}
