package childproc_test

import (
	"context"
	"errors"
	"testing"

	"github.com/spawnkit/spawnkit/childproc"
)

// TestWindowsEntryPointsUnsupported checks the Windows promise: Spawn, Exec,
// ExecFile and Fork return an error matching errors.ErrUnsupported and no
// Process or Result. It is type-checked on Linux CI by
// `GOOS=windows go vet ./...` and runs wherever `go test` runs on Windows.
func TestWindowsEntryPointsUnsupported(t *testing.T) {
	ctx := context.Background()
	p, err := childproc.Spawn(ctx, "cmd.exe", []string{"/c", "exit"}, nil)
	if !errors.Is(err, errors.ErrUnsupported) || p != nil {
		t.Errorf("Spawn = %v, %v; want nil, an error matching errors.ErrUnsupported", p, err)
	}
	r, err := childproc.Exec(ctx, "exit 0", nil)
	if !errors.Is(err, errors.ErrUnsupported) || r != nil {
		t.Errorf("Exec = %v, %v; want nil, an error matching errors.ErrUnsupported", r, err)
	}
	r, err = childproc.ExecFile(ctx, "cmd.exe", []string{"/c", "exit"}, nil)
	if !errors.Is(err, errors.ErrUnsupported) || r != nil {
		t.Errorf("ExecFile = %v, %v; want nil, an error matching errors.ErrUnsupported", r, err)
	}
	p, err = childproc.Fork(ctx, "worker", nil, nil)
	if !errors.Is(err, errors.ErrUnsupported) || p != nil {
		t.Errorf("Fork = %v, %v; want nil, an error matching errors.ErrUnsupported", p, err)
	}
}
