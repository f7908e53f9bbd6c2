package pipeline_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spawnkit/spawnkit/childproc"
	"github.com/spawnkit/spawnkit/pipeline"
)

// TestCommandWithCopiesOptions checks that CommandWith copies its Options,
// slices included: changes made before Run (to a field, to an ExtraEnv
// entry, and a field the stage would refuse) do not reach the stage.
func TestCommandWithCopiesOptions(t *testing.T) {
	opts := &childproc.Options{ExtraEnv: []string{"PIPELINE_TEST_V=before"}}
	args := []string{"-c", `echo "$PIPELINE_TEST_V"`}
	p := pipeline.New(pipeline.CommandWith("sh", args, opts))
	opts.ExtraEnv[0] = "PIPELINE_TEST_V=after"
	opts.Shell = "/bin/sh" // refused by a stage, had it been kept
	args[1] = "echo changed"
	out, err := p.Output(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "before\n", string(out))
}
