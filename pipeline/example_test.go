package pipeline_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spawnkit/spawnkit/childproc"
	"github.com/spawnkit/spawnkit/pipeline"
)

func Example() {
	p, err := pipeline.Parse(`printf 'b\na\n' | sort`)
	if err != nil {
		fmt.Println(err)
		return
	}
	out, err := p.Output(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(string(out))
	// Output:
	// a
	// b
}

func ExampleNew() {
	// A Go function between two programs: number the lines sort prints.
	number := pipeline.Func(func(ctx context.Context, in io.Reader, out io.Writer) error {
		sc := bufio.NewScanner(in)
		for i := 1; sc.Scan(); i++ {
			if _, err := fmt.Fprintf(out, "%d %s\n", i, sc.Text()); err != nil {
				return err
			}
		}
		return sc.Err()
	})
	p := pipeline.New(
		pipeline.Command("sort"),
		number,
		pipeline.Command("tr", "a-z", "A-Z"),
	)
	p.Stdin = strings.NewReader("pear\napple\nfig\n")
	p.Stdout = os.Stdout
	if err := p.Run(context.Background()); err != nil {
		fmt.Println(err)
	}
	// Output:
	// 1 APPLE
	// 2 FIG
	// 3 PEAR
}

func ExampleParse_unsupported() {
	_, err := pipeline.Parse("make && make install")
	fmt.Println(errors.Is(err, pipeline.ErrUnsupported))
	fmt.Println(err)
	// Output:
	// true
	// pipeline: parse "make && make install": "&&" at offset 5: shell syntax not supported by pipeline.Parse (use childproc.Exec to run it through a shell)
}

func ExampleError() {
	// yes is cut off by head: not a failure. false is.
	err := pipeline.New(
		pipeline.Command("yes"),
		pipeline.Command("head", "-1"),
		pipeline.Command("false"),
	).Run(context.Background())
	var pe *pipeline.Error
	if errors.As(err, &pe) {
		fmt.Println(pe.Stage, pe.Command)
	}
	fmt.Println(err)
	// Output:
	// 2 false
	// pipeline: stage 2 (false) failed: exit status 1
}

func ExampleFunc() {
	// A Go stage that keeps the lines longer than two bytes; the programs
	// around it are connected to it by pipes.
	long := pipeline.Func(func(ctx context.Context, in io.Reader, out io.Writer) error {
		for line, err := range childproc.Lines(in) {
			if err != nil {
				return err
			}
			if len(line) > 2 {
				if _, err := fmt.Fprintln(out, line); err != nil {
					return err
				}
			}
		}
		return nil
	})
	out, err := pipeline.New(
		pipeline.Command("printf", `go\ngopher\nis\nfun\n`),
		long,
		pipeline.Command("sort", "-r"),
	).Output(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(string(out))
	// Output:
	// gopher
	// fun
}
