package pipeline_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spawnkit/spawnkit/internal/testkit"
	"github.com/spawnkit/spawnkit/pipeline"
)

// TestStressEarlyExitLoop runs pipelines whose later stages stop reading
// early, in a loop (100, 1000 with SPAWNKIT_STRESS=1): the upstream
// stages' SIGPIPE (or a Func's EPIPE) is never a failure, the output is
// exact, and nothing is left: descriptor, goroutine, child, zombie, or a
// growing number of threads.
func TestStressEarlyExitLoop(t *testing.T) {
	testkit.NoLeaks(t)
	th := testkit.Threads(t)
	yesFunc := pipeline.Func(func(ctx context.Context, in io.Reader, out io.Writer) error {
		line := bytes.Repeat([]byte("y\n"), 4096)
		for {
			if _, err := out.Write(line); err != nil {
				return err
			}
		}
	})
	headFunc := pipeline.Func(func(ctx context.Context, in io.Reader, out io.Writer) error {
		b := make([]byte, 2)
		if _, err := io.ReadFull(in, b); err != nil {
			return err
		}
		_, err := out.Write(b)
		return err
	})
	cases := []struct {
		p    *pipeline.Pipeline
		want string
	}{
		{pipeline.New(pipeline.Command("yes"), pipeline.Command("head", "-1")), "y\n"},
		{pipeline.New(pipeline.Command("yes"), pipeline.Command("cat"), pipeline.Command("head", "-c", "2")), "y\n"},
		{pipeline.New(yesFunc, pipeline.Command("head", "-1")), "y\n"},
		{pipeline.New(pipeline.Command("yes"), headFunc), "y\n"},
		{pipeline.New(pipeline.Command("yes"), pipeline.Command("true")), ""},
		{pipeline.New(pipeline.Command("yes"), pipeline.Command("cat"), headFunc), "y\n"},
		{pipeline.New(pipeline.Command("seq", "100000"), pipeline.Command("head", "-c", "0")), ""},
	}
	n := testkit.Iterations(100, 10)
	for i := range n {
		c := cases[i%len(cases)]
		out, err := c.p.Output(context.Background())
		require.NoError(t, err, "run %d: %s", i, c.p)
		require.Equal(t, c.want, string(out), "run %d: %s", i, c.p)
	}
	after := testkit.Threads(t)
	t.Logf("threads: %d before, %d after %d runs", th, after, n)
	assert.LessOrEqual(t, after-th, 16, "threads grew from %d to %d", th, after)
}

// TestStressCancelMidStream ends the ctx at a random moment of a stream
// that never ends by itself (yes through programs and Funcs): Run returns
// an *Error matching context.Canceled, no stage survives and nothing
// leaks.
func TestStressCancelMidStream(t *testing.T) {
	testkit.NoLeaks(t)
	count := pipeline.Func(func(ctx context.Context, in io.Reader, out io.Writer) error {
		_, err := io.Copy(out, in)
		return err
	})
	shapes := []*pipeline.Pipeline{
		pipeline.New(pipeline.Command("yes"), pipeline.Command("cat"), count, pipeline.Command("cat")),
		pipeline.New(pipeline.Command("yes"), count),
		pipeline.New(pipeline.Command("yes"), pipeline.Command("sh", "-c", "cat; sleep 100"), pipeline.Command("cat")),
		pipeline.New(pipeline.Command("sleep", "100")),
	}
	n := testkit.Iterations(60, 10)
	for i := range n {
		p := shapes[i%len(shapes)]
		var sink bytes.Buffer
		p.Stdout = &sink
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(time.Duration(rand.IntN(30_000))*time.Microsecond, cancel)
		done := make(chan error, 1)
		go func() { done <- p.Run(ctx) }()
		err := testkit.RecvOrFail(t, done, time.Minute, "run %d: %s: Run hangs after its ctx ended", i, p)
		cancel()
		require.ErrorIs(t, err, context.Canceled, "run %d: %s", i, p)
		var pe *pipeline.Error
		if !errors.As(err, &pe) {
			// The ctx ended before Run looked at it: nothing started.
			require.EqualError(t, err, "pipeline: "+p.String()+": context canceled", "run %d", i)
		}
		p.Stdout = nil
	}
	require.Empty(t, testkit.Children())
	require.Empty(t, testkit.Zombies())
}

// TestStressStageFailsWhileOthersStream has a middle stage exit with an
// error while the others stream: pipefail names exactly that stage.
func TestStressStageFailsWhileOthersStream(t *testing.T) {
	testkit.NoLeaks(t)
	n := testkit.Iterations(40, 10)
	for i := range n {
		code := 1 + i%100
		p := pipeline.New(
			pipeline.Command("yes"),
			pipeline.Command("sh", "-c", "head -c "+strconv.Itoa(i*997)+" >/dev/null; exit "+strconv.Itoa(code)),
			pipeline.Command("cat"),
		)
		_, err := p.Output(context.Background())
		var pe *pipeline.Error
		require.ErrorAs(t, err, &pe, "run %d", i)
		require.Equal(t, 1, pe.Stage, "run %d: %v", i, err)
		require.Contains(t, err.Error(), "exit status "+strconv.Itoa(code), "run %d", i)
		require.False(t, errors.Is(err, context.Canceled))
	}
}

// TestStdoutThatBlocksHoldsRun checks the documented edge of Stdout: a
// Write that blocks (an io.Pipe nobody reads) holds Run up, even after the
// ctx ended; Run returns once the Write returns, leaving nothing behind.
func TestStdoutThatBlocksHoldsRun(t *testing.T) {
	testkit.NoLeaks(t)
	pr, pw := io.Pipe()
	p := pipeline.New(pipeline.Command("echo", "hi"), pipeline.Command("cat"))
	p.Stdout = pw
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	select {
	case err := <-done:
		t.Fatalf("Run returned (%v) while the Write into Stdout still blocks", err)
	case <-time.After(500 * time.Millisecond):
	}
	cancel()
	select {
	case err := <-done:
		t.Fatalf("Run returned (%v) after the ctx ended while the Write into Stdout still blocks", err)
	case <-time.After(500 * time.Millisecond):
	}
	b := make([]byte, 16)
	n, err := pr.Read(b)
	require.NoError(t, err)
	require.Equal(t, "hi\n", string(b[:n]))
	// nil, or the ctx's error: both stages may have been killed
	testkit.RecvOrFail(t, done, time.Minute, "Run did not return once the Write returned")
	pr.Close()
}
