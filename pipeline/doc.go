// Package pipeline runs shell-style pipelines — `find . -type f | wc -l` —
// without a shell.
//
// A [Pipeline] is a list of stages: programs ([Command], [CommandWith]) and Go
// functions ([Func]), each reading what the one before it wrote. Build one from
// stages with [New], or from a command line with [Parse], which understands
// quoting and '|' and refuses every other piece of shell syntax rather than
// guess:
//
//	p, err := pipeline.Parse(`git ls-files | grep '\.go$' | wc -l`)
//	out, err := p.Output(ctx)
//
// or, with a Go function between two programs:
//
//	p := pipeline.New(
//		pipeline.Command("find", dir, "-type", "f"),
//		pipeline.Func(func(ctx context.Context, in io.Reader, out io.Writer) error { ... }),
//		pipeline.Command("sort"),
//	)
//	p.Stdout = os.Stdout
//	err := p.Run(ctx)
//
// Two adjacent Command stages are connected by an os.Pipe whose ends both
// children get directly, so their bytes never pass through Go; a Func stage
// gets *os.File pipe ends (or the pipeline's own Stdin/Stdout) to read and
// write in-process.
//
// Errors follow sh's `set -o pipefail`: Run fails when any stage fails, and
// the *[Error] names the first one, with its exit status or signal and the
// last bytes of its stderr. A stage killed by SIGPIPE because a later stage
// stopped reading (`yes | head -1`) has not failed; Run documents the exact
// rule. When the ctx ends, or one program cannot be started, every stage's
// whole process tree is killed, and Run returns only once all of them were
// reaped: no zombie, no goroutine and no pipe is left behind.
//
// Options follow the rule of every spawnkit package: [CommandWith] takes a
// *childproc.Options (nil: the defaults) and copies it, slices included, so
// later changes do not affect the stage; a zero limit is the default and a
// negative one no limit (Pipeline.MaxBuffer, and a stage's Timeout and
// KillDelay as in childproc).
package pipeline
