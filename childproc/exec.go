package childproc

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Result is the buffered output of [Exec] or [ExecFile].
type Result struct {
	Stdout   []byte
	Stderr   []byte
	Combined []byte        // with Options.Combined: the bytes of Stdout and Stderr, in arrival order
	ExitCode int           // -1 when a signal ended the child
	Duration time.Duration // from the start until the child was reaped
}

// Exec runs command through a shell ([Options].Shell, or /bin/sh) as
// `sh -c COMMAND` and waits for it, keeping up to MaxBuffer bytes of stdout
// and of stderr. Only Quote (package shell) untrusted values into command,
// or use [ExecFile], which involves no shell at all.
//
// A non-zero exit, a signal, a Timeout, a cancelled ctx or a MaxBuffer
// overflow returns an *[ExitError] carrying the output captured so far, along
// with the [Result]. Timeout, cancel and overflow kill the whole tree the
// shell started. A grandchild that keeps the output open delays the return
// by at most KillDelay after the shell exits. Options.IPC and Options.PTY
// are not supported here (use [Spawn]).
//
// Options that contradict each other are an error naming the field, and
// nothing is started: Input together with a Stdin, a Stdout of [Inherit] or
// [Ignore] (Result.Stdout would stay empty; a [Writer] or [File] receives stdout
// instead of Result.Stdout), and everything [Spawn] refuses.
func Exec(ctx context.Context, command string, opts *Options) (*Result, error) {
	sh := "/bin/sh"
	if opts != nil && opts.Shell != "" {
		sh = opts.Shell
	}
	return run(ctx, sh, []string{"-c", command}, command, opts)
}

// ExecFile runs file with args, without a shell, and waits for it; it
// behaves as [Exec] otherwise. file is looked up in PATH unless it holds a
// slash. Arguments reach the program exactly as given: no word splitting,
// no globbing, no variable expansion.
func ExecFile(ctx context.Context, file string, args []string, opts *Options) (*Result, error) {
	return run(ctx, file, args, "", opts)
}

func run(ctx context.Context, name string, args []string, command string, opts *Options) (*Result, error) {
	o := Options{}
	if opts != nil {
		o = *opts
	}
	if o.IPC || o.IPCRecv || o.PTY {
		return nil, fmt.Errorf("childproc: exec %s: Options.IPC, IPCRecv and PTY need Spawn", name)
	}
	o.Shell = ""
	limit := o.maxBuffer()
	stdout, stderr := &capture{limit: limit}, &capture{limit: limit}
	if o.Combined {
		both := &combined{}
		stdout.combined, stderr.combined = both, both
		o.Combined = false // done here; Spawn refuses it
	}
	if o.Input != nil {
		if o.Stdin.kind != stdioDefault {
			return nil, fmt.Errorf("childproc: exec %s: Options.Input and Options.Stdin (%v) both set the child's stdin: set one", name, o.Stdin)
		}
		o.Stdin = Reader(o.Input)
		o.Input = nil
	} else if o.Stdin.kind == stdioDefault || o.Stdin.kind == stdioPipe {
		o.Stdin = Ignore
	}
	if o.Stdout.kind == stdioInherit || o.Stdout.kind == stdioIgnore {
		// Result.Stdout would be empty without a word: the point of Exec.
		return nil, fmt.Errorf("childproc: exec %s: Options.Stdout is %v, so Result.Stdout would stay empty (use Spawn, or a Writer to copy stdout somewhere)", name, o.Stdout)
	}
	if o.Stdout.kind == stdioDefault || o.Stdout.kind == stdioPipe {
		o.Stdout = Writer(stdout)
	}
	if o.Stderr.kind == stdioDefault || o.Stderr.kind == stdioPipe {
		o.Stderr = Writer(stderr)
	}
	// Wait comes right after the start: with a wait slot (see
	// takeWaitSlot), this goroutine reaps the child, blocked in waitid as
	// os/exec's Wait is, and the exit watcher never hears of it.
	slot := takeWaitSlot()
	p, err := start(ctx, name, args, &o, func(p *Process, _ *Options) {
		stdout.p, stderr.p = p, p
		if command != "" {
			p.command = command
		}
		p.waiter = slot
	})
	if err != nil {
		if slot {
			releaseWaitSlot()
		}
		return nil, err
	}
	if slot {
		p.afterExit(p.proc.Wait())
		releaseWaitSlot()
	}
	err = p.Wait()
	res := &Result{Stdout: stdout.buf, Stderr: stderr.buf, ExitCode: p.ExitCode(), Duration: p.duration}
	if stdout.combined != nil {
		res.Combined = stdout.combined.buf
	}
	if err != nil {
		var ee *ExitError
		if errors.As(err, &ee) {
			ee.Stdout, ee.Stderr, ee.Combined = res.Stdout, res.Stderr, res.Combined
		}
		return res, err
	}
	return res, nil
}

// capture keeps the first limit bytes written to it (all when limit < 0);
// at the first byte past the limit it kills the process tree. It keeps
// accepting writes so the child never blocks on a full pipe while it dies.
type capture struct {
	limit    int
	buf      []byte
	over     bool
	p        *Process
	combined *combined // nil without Options.Combined
}

func (c *capture) Write(b []byte) (int, error) {
	if c.limit < 0 {
		c.keep(b)
		return len(b), nil
	}
	room := c.limit - len(c.buf)
	if len(b) <= room {
		c.keep(b)
		return len(b), nil
	}
	c.keep(b[:max(room, 0)])
	if !c.over {
		c.over = true
		c.p.terminate(ErrMaxBuffer, false)
	}
	return len(b), nil
}

// keep appends b to the buffer, and to the combined one.
func (c *capture) keep(b []byte) {
	c.buf = append(c.buf, b...)
	if c.combined != nil && len(b) > 0 {
		c.combined.mu.Lock()
		c.combined.buf = append(c.combined.buf, b...)
		c.combined.mu.Unlock()
	}
}

// combined is what the stdout and stderr captures kept, in the order their
// copies wrote it.
type combined struct {
	mu  sync.Mutex
	buf []byte
}
