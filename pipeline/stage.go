package pipeline

import (
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/spawnkit/spawnkit/childproc"
	"github.com/spawnkit/spawnkit/shell"
)

// Stage is one step of a [Pipeline]: a program ([Command], [CommandWith]) or a Go
// function ([Func]). A Stage holds no state of a run, so one Stage may appear
// in several pipelines and a pipeline may be run more than once.
type Stage interface {
	spec() *stage
}

// stage is the single implementation of Stage.
type stage struct {
	name string
	args []string
	opts childproc.Options // Command: per-stage options
	err  error             // CommandWith: an option a stage cannot honour
	fn   func(ctx context.Context, in io.Reader, out io.Writer) error
}

func (s *stage) spec() *stage { return s }

// String renders the stage as it would be written in a shell: its words
// quoted with shell.Join, or "func" for a Func stage.
func (s *stage) String() string {
	if s.fn != nil {
		return "func"
	}
	return shell.Join(append([]string{s.name}, s.args...))
}

// Command returns a stage that runs the program name with args, without a
// shell: name is looked up in PATH unless it holds a slash, and each arg
// reaches the program exactly as given. It reads the previous stage's output
// (or the pipeline's Stdin) and writes to the next stage (or the pipeline's
// Stdout) through an os.Pipe, so the bytes between two Command stages never
// pass through Go.
//
// A program that cannot be started makes Run fail with an *[Error] for this
// stage that matches fs.ErrNotExist or fs.ErrPermission, after the stages
// already started were killed and reaped.
func Command(name string, args ...string) Stage {
	return CommandWith(name, args, nil)
}

// CommandWith is [Command] with per-stage options, in [childproc.Spawn]'s
// order: Dir, Env, ExtraEnv, Argv0, Credential, ExtraFiles, Timeout,
// KillSignal, KillDelay and Logger apply as for Spawn. Dir and Env, when set,
// replace the pipeline's; ExtraEnv is applied after the pipeline's ExtraEnv.
// The pipeline connects the stages itself, so a Stdin, Stdout or Stderr other
// than Pipe, and Shell, IPC, IPCRecv, PTY, Detached, Input, MaxBuffer or
// Combined, make Run fail before it starts anything, with an error naming
// the stage and the field. A nil opts is the same as a zero Options. opts is
// copied: later changes to it do not affect the stage.
func CommandWith(name string, args []string, opts *childproc.Options) Stage {
	s := &stage{name: name, args: slices.Clone(args)}
	if opts != nil {
		s.opts = *opts
		s.opts.Env = slices.Clone(opts.Env) // keeps an empty, non-nil Env
		s.opts.ExtraEnv = slices.Clone(opts.ExtraEnv)
		s.opts.ExtraFiles = slices.Clone(opts.ExtraFiles)
		s.err = refused(opts)
	}
	return s
}

// refused returns the error for the first option of opts that a pipeline
// stage cannot honour, or nil.
func refused(o *childproc.Options) error {
	for _, std := range []struct {
		name string
		s    childproc.Stdio
	}{{"Stdin", o.Stdin}, {"Stdout", o.Stdout}, {"Stderr", o.Stderr}} {
		if std.s.String() != "Pipe" {
			return fmt.Errorf("%s (%v): the pipeline connects the stages (set Pipeline.Stdin, Stdout or Stderr)", "Options."+std.name, std.s)
		}
	}
	for _, f := range []struct {
		name, instead string
		set           bool
	}{
		{"Shell", "use Command(\"sh\", \"-c\", line)", o.Shell != ""},
		{"IPC", "a stage has no message channel", o.IPC},
		{"IPCRecv", "a stage has no message channel", o.IPCRecv},
		{"PTY", "a stage reads and writes pipes", o.PTY},
		{"Detached", "every stage ends with the pipeline", o.Detached},
		{"Input", "set Pipeline.Stdin", o.Input != nil},
		{"MaxBuffer", "set Pipeline.MaxBuffer", o.MaxBuffer != 0},
		{"Combined", "Output keeps the last stage's stdout", o.Combined},
	} {
		if f.set {
			return fmt.Errorf("%s is not for a pipeline stage (%s)", "Options."+f.name, f.instead)
		}
	}
	return nil
}

// Func returns a stage that runs fn in its own goroutine. fn reads the
// previous stage's output from in and writes its own output to out; when it
// returns, out is closed (the next stage sees end of file) and so is in (a
// stage still writing into it gets SIGPIPE or EPIPE, which is not counted as
// a failure, see Run). fn must not use in or out after it returns.
//
// in is the read end of an *os.File pipe, or the pipeline's Stdin (an empty
// reader if that is nil) when the Func is the first stage. out is the write
// end of an *os.File pipe, or the pipeline's Stdout (io.Discard if that is
// nil) or the Output buffer when the Func is the last stage. Because they are
// usually *os.File, io.Copy between them uses splice(2).
//
// ctx is done when the ctx given to Run ends or the run is aborted
// (a stage failed to start, Output overflowed); fn should then return soon.
// Its pipes are closed at that point as well, so a read or write on them fails
// instead of blocking. A non-nil error from fn fails the stage; fn is not
// recovered from a panic.
func Func(fn func(ctx context.Context, in io.Reader, out io.Writer) error) Stage {
	return &stage{fn: fn}
}
