package childproc_test

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spawnkit/spawnkit/childproc"
	"github.com/spawnkit/spawnkit/internal/testkit"
)

// TestWriterThatBlocksHoldsWait checks the documented edge of Writer: a
// Write that blocks (an io.Pipe nobody reads) holds Wait up, KillDelay
// and a ctx that ended notwithstanding, since a Write cannot be
// interrupted; Wait returns, with the child's status, once the Write
// returns, and nothing is left behind.
func TestWriterThatBlocksHoldsWait(t *testing.T) {
	testkit.NoLeaks(t)
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p, err := childproc.Spawn(ctx, "echo", []string{"hi"}, &childproc.Options{
		Stdout: childproc.Writer(pw), KillDelay: 50 * time.Millisecond,
	})
	require.NoError(t, err)
	for ev := range p.Events() {
		if ev.Kind == childproc.EventExit {
			break
		}
	}
	done := make(chan error, 1)
	go func() { done <- p.Wait() }()
	cancel()
	select {
	case err := <-done:
		t.Fatalf("Wait returned (%v) while the Write into the Writer still blocks", err)
	case <-time.After(20 * 50 * time.Millisecond):
	}
	b := make([]byte, 16)
	n, err := pr.Read(b)
	require.NoError(t, err)
	require.Equal(t, "hi\n", string(b[:n]))
	err = testkit.RecvOrFail(t, done, time.Minute, "Wait did not return once the Write returned")
	require.NoError(t, err, "echo exited 0 before the ctx ended")
	pr.Close()
}
