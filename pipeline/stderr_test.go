package pipeline_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spawnkit/spawnkit/pipeline"
)

// stderrRecorder records every Write call it gets, each as one string, and
// fails them all: Pipeline.Stderr promises one Write per chunk and that
// its write errors are ignored.
type stderrRecorder struct {
	mu     sync.Mutex
	writes []string
}

func (r *stderrRecorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.writes = append(r.writes, string(p))
	return 0, errors.New("stderr sink broken")
}

// TestStderrWriteErrorsAreIgnored checks Pipeline.Stderr's promise: a
// Stderr whose every Write fails changes nothing of the run (the output,
// the nil error), it still receives what each stage wrote, and the last
// bytes of stderr are still kept for a failing stage's *Error.
func TestStderrWriteErrorsAreIgnored(t *testing.T) {
	ctx := context.Background()

	var rec stderrRecorder
	p, err := pipeline.Parse(`sh -c 'echo one >&2; echo a' | sh -c 'cat; echo two >&2'`)
	require.NoError(t, err)
	p.Stderr = &rec
	out, err := p.Output(ctx)
	require.NoError(t, err)
	assert.Equal(t, "a\n", string(out))
	rec.mu.Lock()
	got := strings.Join(rec.writes, "")
	rec.mu.Unlock()
	// The two stages' lines may come in either order, never split.
	assert.Contains(t, []string{"one\ntwo\n", "two\none\n"}, got)

	var rec2 stderrRecorder
	p, err = pipeline.Parse(`sh -c 'echo why >&2; exit 3' | cat`)
	require.NoError(t, err)
	p.Stderr = &rec2
	err = p.Run(ctx)
	var pe *pipeline.Error
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, 0, pe.Stage)
	assert.Equal(t, "why\n", string(pe.Stderr))
	assert.Equal(t, `pipeline: stage 0 (sh -c 'echo why >&2; exit 3') failed: exit status 3: why`, err.Error())
	rec2.mu.Lock()
	assert.Equal(t, []string{"why\n"}, rec2.writes)
	rec2.mu.Unlock()
}
