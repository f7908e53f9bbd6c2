//go:build unix

package pool_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spawnkit/spawnkit/ipc"
	"github.com/spawnkit/spawnkit/pool"
)

// TestTasksAndResultsAreMarshaled: tasks and results are encoded by
// ipc.Marshal, as every message of the library: no HTML escaping, raw JSON
// as it is (compacted, as encoding/json does with a value inside the
// request or reply), and raw JSON that is empty or invalid is the handler's
// *TaskError, with the worker kept.
func TestTasksAndResultsAreMarshaled(t *testing.T) {
	p := newPool(t, &pool.Options{Workers: 1})
	ctx := context.Background()
	pid := pidOf(t, p)

	m, err := p.Submit(ctx, op{Op: "echo", Msg: `<a href="x">&amp;</a>`})
	require.NoError(t, err)
	assert.Equal(t, `"<a href=\"x\">&amp;</a>"`, m.String())

	m, err = p.Submit(ctx, op{Op: "raw", Msg: `{"a": [1, 2]}`})
	require.NoError(t, err)
	assert.Equal(t, `{"a":[1,2]}`, m.String(), "a raw result is taken as it is, compacted inside the reply")

	task := ipc.Message(`{"op": "self",  "msg": "<&>"}`)
	m, err = p.Submit(ctx, task)
	require.NoError(t, err)
	assert.Equal(t, `{"op":"self","msg":"<&>"}`, m.String(), "a raw task is taken as it is, compacted inside the request")

	for msg, want := range map[string]string{
		`{"broken"`: "pool: encode result: ipc: invalid raw message: unexpected end of JSON input",
		"":          "pool: encode result: ipc: cannot send an empty raw message",
	} {
		_, err = p.Submit(ctx, op{Op: "raw", Msg: msg})
		var te *pool.TaskError
		require.True(t, errors.As(err, &te), "%q: %v", msg, err)
		assert.Equal(t, want, te.Message)
		assert.Equal(t, pid, te.Pid)
	}
	assert.Equal(t, pid, pidOf(t, p), "the worker stays")
	closePool(t, p)
}
