//go:build unix

package pool_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/spawnkit/spawnkit/ipc"
	"github.com/spawnkit/spawnkit/pool"
)

// benchPool starts a pool of one worker for a benchmark.
func benchPool(b *testing.B) *pool.Pool {
	b.Helper()
	p, err := pool.New(context.Background(), testRole, &pool.Options{Workers: 1, Child: quietChild})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { p.Close(context.Background()) })
	return p
}

// BenchmarkSubmitTooLarge: how long Submit takes to refuse a task of
// ipc.DefaultMaxMessageSize bytes of string (over the limit once quoted
// and wrapped), as a struct and as raw JSON.
func BenchmarkSubmitTooLarge(b *testing.B) {
	big := strings.Repeat("z", ipc.DefaultMaxMessageSize)
	for _, c := range []struct {
		name string
		task any
	}{
		{"value", op{Op: "square", N: 2, Msg: big}},
		{"raw", ipc.Message(`"` + big + `"`)},
	} {
		b.Run(c.name, func(b *testing.B) {
			p := benchPool(b)
			for b.Loop() {
				if _, err := p.Submit(context.Background(), c.task); !errors.Is(err, ipc.ErrTooLarge) {
					b.Fatalf("Submit = %v, want ipc.ErrTooLarge", err)
				}
			}
		})
	}
}

// BenchmarkSubmit4MiB: a task of 4 MiB of string that the worker takes
// (it answers with a small result), as a struct and as raw JSON.
func BenchmarkSubmit4MiB(b *testing.B) {
	big := strings.Repeat("y", 4<<20)
	for _, c := range []struct {
		name string
		task any
	}{
		{"value", op{Op: "square", N: 3, Msg: big}},
		{"raw", ipc.Message(`{"op":"square","n":3,"msg":"` + big + `"}`)},
	} {
		b.Run(c.name, func(b *testing.B) {
			p := benchPool(b)
			b.SetBytes(4 << 20)
			for b.Loop() {
				if _, err := p.Submit(context.Background(), c.task); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
