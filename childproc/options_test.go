package childproc_test

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spawnkit/spawnkit/childproc"
)

// TestNegativeTimeoutIsNever checks that a negative Timeout, like 0, never
// kills the child: a command that runs well past a nanosecond exits by
// itself, with its output.
func TestNegativeTimeoutIsNever(t *testing.T) {
	res, err := childproc.Exec(context.Background(), "sleep 0.2; echo done", &childproc.Options{Timeout: -time.Nanosecond})
	require.NoError(t, err)
	assert.Equal(t, "done\n", string(res.Stdout))
	assert.Equal(t, 0, res.ExitCode)
}

// TestSpawnCopiesOptions checks that changing the Options after Spawn
// returns does not change the running child's handling: a Timeout, a
// KillSignal and an Env set afterwards have no effect.
func TestSpawnCopiesOptions(t *testing.T) {
	opts := &childproc.Options{Env: []string{"CHILDPROC_TEST_V=before"}, Stdin: childproc.Ignore, Stderr: childproc.Ignore}
	p, err := childproc.Spawn(context.Background(), "/bin/sh", []string{"-c", `sleep 0.2; echo "$CHILDPROC_TEST_V"`}, opts)
	require.NoError(t, err)
	opts.Timeout, opts.KillSignal, opts.KillDelay = time.Nanosecond, syscall.SIGKILL, time.Nanosecond
	opts.Env[0] = "CHILDPROC_TEST_V=after"
	var out []byte
	for line, err := range childproc.Lines(p.Stdout) {
		require.NoError(t, err)
		out = append(out, line+"\n"...)
	}
	require.NoError(t, p.Wait())
	assert.Equal(t, "before\n", string(out))
}
