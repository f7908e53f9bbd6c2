package pool_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/spawnkit/spawnkit/ipc"
	"github.com/spawnkit/spawnkit/pool"
)

// In a real program the handler is registered in an init function (or at the
// top of main) and main starts with childproc.Init; here TestMain does that.
func init() {
	pool.Register("example.exit", func(ctx context.Context, task ipc.Message) (any, error) {
		var code int
		task.Decode(&code)
		os.Exit(code)
		return nil, nil
	})
	pool.Register("example.sum", func(ctx context.Context, task ipc.Message) (any, error) {
		var n int
		if err := task.Decode(&n); err != nil {
			return nil, err
		}
		if n < 0 {
			return nil, fmt.Errorf("negative count %d", n)
		}
		sum := 0
		for i := range n {
			sum += i
		}
		return sum, nil
	})
}

func Example() {
	ctx := context.Background()
	p, err := pool.New(ctx, "example.sum", &pool.Options{Workers: 2, Queue: 4})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer p.Close(ctx)

	for _, n := range []int{10, 1000, 1_000_000} {
		res, err := p.Submit(ctx, n)
		if err != nil {
			fmt.Println(err)
			return
		}
		var sum int
		res.Decode(&sum)
		fmt.Printf("sum of 0..%d: %d\n", n-1, sum)
	}

	_, err = p.Submit(ctx, -1)
	var te *pool.TaskError
	if errors.As(err, &te) {
		fmt.Println("handler error:", te.Message)
	}
	// Output:
	// sum of 0..9: 45
	// sum of 0..999: 499500
	// sum of 0..999999: 499999500000
	// handler error: negative count -1
}

func ExampleOptions_logger() {
	// A handler that leaves out what changes from run to run.
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			switch a.Key {
			case slog.TimeKey, "pid", "err":
				return slog.Attr{}
			}
			return a
		},
	}))
	ctx := context.Background()
	p, err := pool.New(ctx, "example.exit", &pool.Options{Workers: 1, Logger: logger})
	if err != nil {
		fmt.Println(err)
		return
	}
	_, err = p.Submit(ctx, 3) // the worker exits with status 3
	p.Close(ctx)              // returns once the replacement started, and stopped
	fmt.Println(errors.Is(err, pool.ErrWorkerCrashed))
	// Output:
	// level=INFO msg="worker started" role=example.exit slot=0 why=start
	// level=WARN msg="worker crashed" role=example.exit slot=0 code=3
	// level=INFO msg="worker started" role=example.exit slot=0 why=restart
	// true
}
