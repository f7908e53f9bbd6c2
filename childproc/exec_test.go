package childproc_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spawnkit/spawnkit/childproc"
)

func TestExecCapturesBothStreams(t *testing.T) {
	res, err := childproc.Exec(context.Background(), "echo out; echo err >&2; printf 'no newline'", nil)
	require.NoError(t, err)
	assert.Equal(t, "out\nno newline", string(res.Stdout))
	assert.Equal(t, "err\n", string(res.Stderr))
	assert.Equal(t, 0, res.ExitCode)
}

func TestExecFailureCarriesOutput(t *testing.T) {
	res, err := childproc.Exec(context.Background(), "echo partial; echo 'bad thing happened' >&2; exit 7", nil)
	var ee *childproc.ExitError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, 7, ee.ExitCode)
	assert.Equal(t, 7, res.ExitCode)
	assert.Equal(t, "partial\n", string(ee.Stdout))
	assert.Equal(t, "bad thing happened\n", string(ee.Stderr))
	assert.Equal(t, "echo partial; echo 'bad thing happened' >&2; exit 7", ee.Command)
	assert.Equal(t, "childproc: command failed: echo partial; echo 'bad thing happened' >&2; exit 7: exit status 7: bad thing happened", ee.Error())
}

func TestExecInputAndNoStdin(t *testing.T) {
	res, err := childproc.Exec(context.Background(), "wc -l", &childproc.Options{Input: strings.NewReader("a\nb\nc\n")})
	require.NoError(t, err)
	assert.Equal(t, "3", strings.TrimSpace(string(res.Stdout)))
	// Without Input, stdin is /dev/null: cat ends at once instead of hanging.
	res, err = childproc.Exec(context.Background(), "cat", nil)
	require.NoError(t, err)
	assert.Empty(t, res.Stdout)
}

func TestExecFileNoShellInterpretation(t *testing.T) {
	args := []string{"$(touch /tmp/spawnkit-pwned)", "; rm -rf /", "`id`", "*", "a b", ""}
	res, err := childproc.ExecFile(context.Background(), "printf", append([]string{"[%s]"}, args...), nil)
	require.NoError(t, err)
	assert.Equal(t, "[$(touch /tmp/spawnkit-pwned)][; rm -rf /][`id`][*][a b][]", string(res.Stdout))
	assert.NoFileExists(t, "/tmp/spawnkit-pwned")
}

func TestExecCustomShellAndRejectsIPC(t *testing.T) {
	res, err := childproc.Exec(context.Background(), "echo $0", &childproc.Options{Shell: "/bin/bash"})
	require.NoError(t, err)
	assert.Equal(t, "/bin/bash\n", string(res.Stdout))
	_, err = childproc.Exec(context.Background(), "true", &childproc.Options{IPC: true})
	assert.ErrorContains(t, err, "need Spawn")
}
