package pipeline_test

import (
	"context"
	"errors"
	"io"
	"testing"

	"github.com/spawnkit/spawnkit/pipeline"
)

// TestWindowsPipelineUnsupported checks that on Windows Run and Output
// refuse every pipeline, a Func-only one included, with an error matching
// errors.ErrUnsupported, and that no stage function runs.
func TestWindowsPipelineUnsupported(t *testing.T) {
	ran := false
	fn := pipeline.Func(func(ctx context.Context, in io.Reader, out io.Writer) error {
		ran = true
		return nil
	})
	if err := pipeline.New(fn).Run(context.Background()); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("Run = %v; want an error matching errors.ErrUnsupported", err)
	}
	out, err := pipeline.New(pipeline.Command("cmd.exe", "/c", "echo", "hi"), fn).Output(context.Background())
	if !errors.Is(err, errors.ErrUnsupported) || len(out) != 0 {
		t.Errorf("Output = %q, %v; want no output and an error matching errors.ErrUnsupported", out, err)
	}
	if ran {
		t.Error("a Func stage ran on Windows")
	}
}
