//go:build unix

package pool_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spawnkit/spawnkit/internal/testkit"
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

// TestTaskOverTheLimitIsRefusedAtOnce: a task whose encoding cannot fit the
// IPC channel's size limit fails with ipc.ErrTooLarge before it waits for
// anything. Here the only worker is busy for an hour and there is no
// queue: a task that went on to wait for a worker would not come back.
func TestTaskOverTheLimitIsRefusedAtOnce(t *testing.T) {
	p := newPool(t, &pool.Options{Workers: 1})
	busyCtx, stopBusy := context.WithCancel(context.Background())
	busy := make(chan error, 1)
	go func() {
		_, err := p.Submit(busyCtx, op{Op: "sleepms", N: 3_600_000})
		busy <- err
	}()
	require.Eventually(t, func() bool { return p.Stats().Busy == 1 }, eventually, tick)

	type tooLarge struct {
		task any
		want string
	}
	big := strings.Repeat("z", ipc.DefaultMaxMessageSize-16)
	// {"op":"echo","msg":"zzz…"}: 22 bytes around the string.
	cases := []tooLarge{{op{Op: "echo", Msg: big}, "pool: task of 67108870 bytes: ipc: message exceeds the size limit"}}
	if !testkit.RaceEnabled { // half a minute each under the race detector at load 14
		cases = append(cases,
			// Raw JSON, compacted first: the spaces do not count.
			tooLarge{ipc.Message(`[ "` + big + `" ]`), "pool: task of 67108852 bytes: ipc: message exceeds the size limit"},
			// A []byte is base64 in JSON: 50 MiB, quoted, are 69905070 bytes.
			tooLarge{make([]byte, 50<<20), "pool: task of 69905070 bytes: ipc: message exceeds the size limit"},
		)
	}
	for _, c := range cases {
		errc := make(chan error, 1)
		go func() {
			_, err := p.Submit(context.Background(), c.task)
			errc <- err
		}()
		// The bound is for a hang: encoding 64 MiB takes seconds (15 under
		// the race detector at load 14).
		err := testkit.RecvOrFail(t, errc, 5*time.Minute, "Submit of a task over the limit waits with the worker busy")
		require.ErrorIs(t, err, ipc.ErrTooLarge)
		assert.EqualError(t, err, c.want)
	}
	assert.Equal(t, pool.Stats{Pids: p.Stats().Pids, Busy: 1}, p.Stats(), "nothing queued or waiting")

	stopBusy()
	require.ErrorIs(t, <-busy, context.Canceled)
	closePool(t, p)
}
