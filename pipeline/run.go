package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"syscall"

	"github.com/spawnkit/spawnkit/childproc"
	"github.com/spawnkit/spawnkit/internal/iox"
)

// Pipeline is a sequence of stages, each reading the output of the one before
// it, like a shell's `a | b | c`. Build one with [New] or [Parse], set the fields
// that matter, then call Run or Output.
//
// The fields are read when Run or Output starts; do not change them while it
// runs. A Pipeline holds no state of a run: it may be run again once Run
// returned (Stdin, if set, has been consumed by then).
type Pipeline struct {
	// Stdin is the first stage's input; nil means empty input (/dev/null).
	// An *os.File is handed to a Command stage directly; any other reader is
	// copied into a pipe by a goroutine (see childproc.Reader).
	Stdin io.Reader

	// Stdout receives the last stage's output in Run; nil discards it
	// (/dev/null). An *os.File is handed to a Command stage directly; any
	// other writer is fed by a goroutine, and a write error fails the last
	// stage; a Write that blocks holds Run up until it returns, even after
	// the ctx ended (no Write can be interrupted). Output requires Stdout
	// to be nil.
	Stdout io.Writer

	// Stderr, if set, receives a copy of every Command stage's stderr, one
	// Write call at a time (stages' lines may interleave, but no single write
	// is split). Its write errors are ignored. Whether or not it is set, the
	// last 4 KiB of each stage's stderr are kept for Error.
	Stderr io.Writer

	// Dir, Env and ExtraEnv are the default working directory, environment
	// and extra environment of every Command stage, as in childproc.Options;
	// CommandWith overrides them per stage. They do not affect Func stages.
	Dir      string
	Env      []string
	ExtraEnv []string

	// MaxBuffer is the most bytes of output Output keeps; past it every
	// stage is killed and Output fails with an error matching
	// childproc.ErrMaxBuffer. Default childproc.DefaultMaxBuffer (1 MiB);
	// <0 means no limit. Run ignores it.
	MaxBuffer int

	stages []*stage
}

// New returns a pipeline of the given stages, connected in order. A
// pipeline with no stages, or with a nil [Stage], fails when it is run.
func New(stages ...Stage) *Pipeline {
	p := &Pipeline{stages: make([]*stage, len(stages))}
	for i, s := range stages {
		if s != nil {
			p.stages[i] = s.spec()
		}
	}
	return p
}

// String renders the pipeline as a shell would show it: each stage's words
// quoted with [shell.Join] (a [Func] stage as "func"), joined by " | ".
func (p *Pipeline) String() string {
	parts := make([]string, len(p.stages))
	for i, s := range p.stages {
		if s == nil {
			parts[i] = "<nil>"
		} else {
			parts[i] = s.String()
		}
	}
	return strings.Join(parts, " | ")
}

// Run starts every stage, streams Stdin through them into Stdout, and waits
// for all of them to end. It returns nil when every stage succeeded, and
// otherwise an *[Error] for the first (leftmost) stage that failed, as sh's
// `set -o pipefail` would.
//
// SIGPIPE: a stage that dies of SIGPIPE — or a [Func] that returns an error
// matching EPIPE or io.ErrClosedPipe — because the next stage stopped reading
// (`yes | head -1`) has not failed. Precisely: the parent keeps its own copy
// of the read end of the pipe from stage i to stage i+1 until stage i+1 has
// ended (its process exited, or its Func returned), so until then nothing
// writing into that pipe can get SIGPIPE from it. When stage i+1 ends, the
// parent notes whether the pipe's write end is still open (stage i, or a
// process it started, still holds it), then closes its copy. Stage i's SIGPIPE
// or EPIPE is forgiven only if it was cut off that way: stage i+1 ended while
// stage i could still write. A SIGPIPE that happened while stage i+1 was still
// running (`sh -c 'kill -PIPE $$' | cat`) is a failure, and so is one in the
// last stage. Only a death by SIGPIPE counts: a shell stage that reports
// its own child's SIGPIPE as exit status 141 has failed. One consequence of the parent's copy: a program that closes its
// stdin but keeps running leaves the stage before it blocked, rather than
// killed, until it exits.
//
// A [Command] that cannot start fails the run at once: the stages already
// started are killed (their whole process trees) and reaped, no Func is
// run, and the *Error names the program and matches fs.ErrNotExist or
// fs.ErrPermission. When ctx ends, every stage's whole process tree is killed
// (as childproc does: SIGTERM, then SIGKILL after the KillDelay) and every
// Func's ctx is done; the error then matches ctx's error. Run returns only
// once every process was reaped and every Func returned.
func (p *Pipeline) Run(ctx context.Context) error {
	return p.run(ctx, p.Stdout, nil)
}

// Output runs the pipeline like Run and returns what the last stage wrote to
// its stdout, which must not be set (Stdout must be nil). At most MaxBuffer
// bytes are kept: once the output grows past that, every stage is killed and
// Output returns the first MaxBuffer bytes with an *[Error] for the last stage
// that matches [childproc.ErrMaxBuffer]. On any other error, the output
// produced until then is returned along with it.
func (p *Pipeline) Output(ctx context.Context) ([]byte, error) {
	if p.Stdout != nil {
		return nil, errors.New("pipeline: Output: Stdout already set")
	}
	max := p.MaxBuffer
	if max == 0 {
		max = childproc.DefaultMaxBuffer
	}
	buf := &limitBuffer{max: max}
	err := p.run(ctx, buf, buf)
	return buf.b.Bytes(), err
}

// tailSize is how much of each stage's stderr is kept for Error.
const tailSize = 4 << 10

// pipeFile is one end of a pipe the parent holds, closed at most once.
type pipeFile struct {
	f    *os.File
	once sync.Once
}

func (p *pipeFile) close() { p.once.Do(func() { p.f.Close() }) }

// link is the pipe between stage i and stage i+1.
type link struct{ r, w *pipeFile }

// runState is one run of a pipeline.
type runState struct {
	stages []*stage
	ctx    context.Context // done when the caller's ctx ends or the run aborts
	cancel context.CancelCauseFunc
	links  []link
	files  []*pipeFile // every pipe end the parent holds
	tails  []*tailBuffer

	mu     sync.Mutex
	ended  []bool  // stage i exited or returned
	cutOff []bool  // stage i+1 ended while stage i's output was still open
	errs   []error // how each stage ended
}

// run runs the pipeline with out as the last stage's stdout. limit, when
// not nil, is out itself, bounded (Output).
func (p *Pipeline) run(ctx context.Context, out io.Writer, limit *limitBuffer) error {
	if err := p.check(ctx); err != nil {
		return err
	}
	if err := supported(); err != nil {
		return fmt.Errorf("pipeline: %s: %w", p, err)
	}
	r := newRunState(ctx, p.stages)
	defer r.cancel(nil)
	if limit != nil {
		limit.overflow = func() { r.cancel(limit.err()) }
	}
	defer r.closeAll()

	if err := r.link(); err != nil {
		return fmt.Errorf("pipeline: %s: %w", p, err)
	}
	sinkR, sinkW, err := r.sink(out, limit)
	if err != nil {
		return fmt.Errorf("pipeline: %s: %w", p, err)
	}
	if sinkR != nil {
		defer sinkW.Close() // closed earlier, once the last stage started
	}

	var wg sync.WaitGroup
	if startErr := r.startCommands(p, &wg, sinkR, sinkW); startErr != nil {
		r.closeAll() // no Func will run: unblock the started stages' pipes
		wg.Wait()
		if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(startErr, ctxErr) {
			startErr.Err = fmt.Errorf("%w: %w", ctxErr, startErr.Err)
		}
		return startErr
	}
	// From now on, once the run is aborted, close every pipe end the parent
	// holds, so a Func blocked on one of them returns. (Not earlier: a file
	// closed under a starting Spawn could hand the child a reused fd.)
	stop := context.AfterFunc(r.ctx, r.closeAll)
	defer stop()

	r.startFuncs(&wg, p.Stdin, out)
	cp := r.copyOut(sinkR, out, limit)
	wg.Wait()
	if err := r.waitCopy(cp); err != nil {
		n := len(r.stages)
		if e := r.errs[n-1]; e == nil || isSIGPIPE(e) {
			r.errs[n-1] = fmt.Errorf("writing the output: %w", err)
		}
	}
	return r.result(ctx, limit)
}

// check refuses a pipeline that cannot run: one with no stages or a nil
// stage, or a ctx that already ended.
func (p *Pipeline) check(ctx context.Context) error {
	if len(p.stages) == 0 {
		return errors.New("pipeline: no stages")
	}
	for i, s := range p.stages {
		if s == nil {
			return fmt.Errorf("pipeline: stage %d is nil", i)
		}
		if s.err != nil {
			return fmt.Errorf("pipeline: stage %d (%s): %w", i, s, s.err)
		}
	}
	if err := ctx.Err(); err != nil {
		if cause := context.Cause(ctx); cause != err {
			err = fmt.Errorf("%w: %w", err, cause)
		}
		return fmt.Errorf("pipeline: %s: %w", p, err)
	}
	return nil
}

// newRunState returns the state of one run of stages under ctx.
func newRunState(ctx context.Context, stages []*stage) *runState {
	n := len(stages)
	r := &runState{
		stages: stages,
		links:  make([]link, n-1),
		tails:  make([]*tailBuffer, n),
		ended:  make([]bool, n),
		cutOff: make([]bool, n),
		errs:   make([]error, n),
	}
	r.ctx, r.cancel = context.WithCancelCause(ctx)
	return r
}

// link creates the pipe between every two adjacent stages.
func (r *runState) link() error {
	for i := range r.links {
		pr, pw, err := newPipe(r.stages[i].fn != nil || r.stages[i+1].fn != nil)
		if err != nil {
			return err
		}
		r.links[i] = link{r.hold(pr), r.hold(pw)}
	}
	return nil
}

// sink returns the last stage's stdout when it is a Command writing to
// out: out itself when it is a file (and not Output's buffer), otherwise
// the write end of a pipe whose read end, sinkR, copyOut feeds out from.
// Both are nil when the last stage is a Func or out is nil (/dev/null).
func (r *runState) sink(out io.Writer, limit *limitBuffer) (sinkR *pipeFile, sinkW *os.File, err error) {
	if r.stages[len(r.stages)-1].fn != nil || out == nil {
		return nil, nil, nil
	}
	if f, ok := out.(*os.File); ok && limit == nil {
		return nil, f, nil
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	return r.hold(pr), pw, nil
}

// startCommands spawns the program of every Command stage, in order, each
// waited for by a goroutine counted in wg. sinkW is the last stage's stdout
// (see sink); it is closed once handed over when sinkR is not nil. When a
// program cannot start, the run is aborted and the *Error for its stage is
// returned; the stages started before it are left to be reaped through wg.
func (r *runState) startCommands(p *Pipeline, wg *sync.WaitGroup, sinkR *pipeFile, sinkW *os.File) *Error {
	n := len(r.stages)
	teeMu := &sync.Mutex{}
	for i, s := range r.stages {
		if s.fn != nil {
			continue
		}
		opts := p.commandOptions(s)
		if i == 0 {
			opts.Stdin = childproc.Reader(p.Stdin)
		} else {
			opts.Stdin = childproc.File(r.links[i-1].r.f)
		}
		if i < n-1 {
			opts.Stdout = childproc.File(r.links[i].w.f)
		} else {
			opts.Stdout = childproc.File(sinkW) // nil: /dev/null
		}
		r.tails[i] = &tailBuffer{tee: p.Stderr, teeMu: teeMu}
		opts.Stderr = childproc.Writer(r.tails[i])

		proc, err := childproc.Spawn(r.ctx, s.name, s.args, &opts)
		if err != nil {
			r.cancel(err)
			return &Error{Stage: i, Command: s.String(), Err: err}
		}
		if i < n-1 {
			r.links[i].w.close() // only the child writes into it now
		} else if sinkR != nil {
			sinkW.Close()
		}
		wg.Add(1)
		go r.wait(wg, i, proc)
	}
	return nil
}

// commandOptions returns the childproc options of the Command stage s: its
// own (CommandWith refused the ones a stage cannot use), with the
// pipeline's Dir, Env and ExtraEnv applied. The stdio fields are left for
// the caller.
func (p *Pipeline) commandOptions(s *stage) childproc.Options {
	opts := s.opts
	if opts.Dir == "" {
		opts.Dir = p.Dir
	}
	if opts.Env == nil {
		opts.Env = p.Env
	}
	if len(p.ExtraEnv) > 0 {
		opts.ExtraEnv = append(append([]string(nil), p.ExtraEnv...), opts.ExtraEnv...)
	}
	return opts
}

// startFuncs starts a goroutine, counted in wg, for every Func stage: it
// reads the pipe from the stage before (stdin for the first stage, an
// empty reader if that is nil) and writes the pipe to the stage after (out
// for the last stage, io.Discard if that is nil).
func (r *runState) startFuncs(wg *sync.WaitGroup, stdin io.Reader, out io.Writer) {
	n := len(r.stages)
	for i, s := range r.stages {
		if s.fn == nil {
			continue
		}
		var in io.Reader
		switch {
		case i > 0:
			in = r.links[i-1].r.f
		case stdin != nil:
			in = stdin
		default:
			in = bytes.NewReader(nil)
		}
		var w io.Writer
		switch {
		case i < n-1:
			w = r.links[i].w.f
		case out != nil:
			w = out
		default:
			w = io.Discard
		}
		wg.Add(1)
		go r.call(wg, i, s, in, w)
	}
}

// outputCopy is the copy of the last stage's output from the pipe src into
// the pipeline's output; done is closed when it ended, with err set.
type outputCopy struct {
	src  *pipeFile
	done chan struct{}
	err  error
}

// copyOut starts copying the last stage's output from sinkR into out, and
// returns that copy, or nil when there is no sinkR. The copy ends without
// an error at end of file, once sinkR was closed under it, or after Output's
// buffer overflowed; then sinkR is closed.
func (r *runState) copyOut(sinkR *pipeFile, out io.Writer, limit *limitBuffer) *outputCopy {
	if sinkR == nil {
		return nil
	}
	cp := &outputCopy{src: sinkR, done: make(chan struct{})}
	go func() {
		defer close(cp.done)
		_, err := iox.Copy(out, sinkR.f)
		if err != nil && !errors.Is(err, os.ErrClosed) && (limit == nil || !limit.over) {
			cp.err = err
		}
		sinkR.close() // the last stage gets SIGPIPE if it writes more
	}()
	return cp
}

// waitCopy waits for the copy of the last stage's output (nil: none) to
// reach end of file, closing its pipe KillDelay after every stage ended, in
// case a grandchild still holds it open. It returns the copy's error.
func (r *runState) waitCopy(cp *outputCopy) error {
	if cp == nil {
		return nil
	}
	delay := r.stages[len(r.stages)-1].opts.KillDelay
	if delay == 0 {
		delay = childproc.DefaultKillDelay
	}
	iox.WaitOrClose(cp.done, delay, cp.src.close)
	return cp.err
}

// result decides the run's error once everything ended.
func (r *runState) result(ctx context.Context, limit *limitBuffer) error {
	n := len(r.stages)
	if limit != nil && limit.over {
		return &Error{Stage: n - 1, Command: r.stages[n-1].String(), Err: limit.err(), Stderr: r.tails[n-1].bytes()}
	}
	for i, err := range r.errs {
		if err == nil || r.forgiven(i, err) {
			continue
		}
		e := &Error{Stage: i, Command: r.stages[i].String(), Err: err}
		if r.tails[i] != nil {
			e.Stderr = r.tails[i].bytes()
			var ee *childproc.ExitError
			if errors.As(err, &ee) && err == error(ee) {
				cp := *ee
				cp.Stderr = e.Stderr
				e.Err = &cp
			}
		}
		if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(e.Err, ctxErr) {
			e.Err = fmt.Errorf("%w: %w", ctxErr, e.Err)
		}
		return e
	}
	return nil
}

// forgiven reports whether stage i's error is a SIGPIPE (or EPIPE) caused by
// the next stage having ended first; see Run.
func (r *runState) forgiven(i int, err error) bool {
	if i == len(r.stages)-1 || !r.cutOff[i] {
		return false
	}
	if r.stages[i].fn != nil {
		return errors.Is(err, syscall.EPIPE) || errors.Is(err, io.ErrClosedPipe)
	}
	return isSIGPIPE(err)
}

// isSIGPIPE reports whether err is the exit of a process that SIGPIPE killed
// by itself (not a kill of ours).
func isSIGPIPE(err error) bool {
	var ee *childproc.ExitError
	return errors.As(err, &ee) && ee.Signal == syscall.SIGPIPE && !ee.Killed
}

// newPipe returns a close-on-exec pipe. Only a pipe a Func stage reads or
// writes is registered with Go's poller (as os.Pipe does): the parent merely
// holds the ends of a pipe between two programs, and a registered end would
// wake the poller at every write one program makes to the other, costing
// the parent as much CPU as a third of the copying itself.
func newPipe(pollable bool) (r, w *os.File, err error) {
	if pollable {
		return os.Pipe()
	}
	fds, err := rawPipe()
	if err != nil {
		return nil, nil, err
	}
	return os.NewFile(uintptr(fds[0]), "|0"), os.NewFile(uintptr(fds[1]), "|1"), nil
}

// hold records f as a pipe end the parent holds.
func (r *runState) hold(f *os.File) *pipeFile {
	pf := &pipeFile{f: f}
	r.mu.Lock()
	r.files = append(r.files, pf)
	r.mu.Unlock()
	return pf
}

// closeAll closes every pipe end the parent still holds.
func (r *runState) closeAll() {
	r.mu.Lock()
	files := r.files
	r.mu.Unlock()
	for _, f := range files {
		f.close()
	}
}

// wait waits for the process of stage i, notes when it exits and how.
func (r *runState) wait(wg *sync.WaitGroup, i int, proc *childproc.Process) {
	defer wg.Done()
	for ev := range proc.Events() {
		if ev.Kind == childproc.EventExit {
			r.end(i)
		}
	}
	r.end(i)
	err := proc.Wait()
	r.mu.Lock()
	r.errs[i] = err
	r.mu.Unlock()
}

// call runs the Func of stage i.
func (r *runState) call(wg *sync.WaitGroup, i int, s *stage, in io.Reader, out io.Writer) {
	defer wg.Done()
	err := s.fn(r.ctx, in, out)
	if i < len(r.stages)-1 {
		r.links[i].w.close() // end of file for the next stage
	}
	r.end(i)
	r.mu.Lock()
	r.errs[i] = err
	r.mu.Unlock()
}

// end notes that stage i ended (once). Then, for the pipe into stage i, it
// records whether its write end was still open — the stage before it (or a
// process it started) could still write — and closes the parent's copy of its
// read end, the last one: from then on a write into it raises SIGPIPE or
// EPIPE. Because the parent held that copy until now, the stage before can
// only have been cut off this way after this point; see Run.
func (r *runState) end(i int) {
	r.mu.Lock()
	if r.ended[i] {
		r.mu.Unlock()
		return
	}
	r.ended[i] = true
	r.mu.Unlock()
	if i == 0 {
		return
	}
	in := r.links[i-1].r
	open := writerOpen(in.f)
	r.mu.Lock()
	r.cutOff[i-1] = open
	r.mu.Unlock()
	in.close()
}

// tailBuffer keeps the last tailSize bytes written to it, and copies every
// write to tee (under teeMu, shared by all stages) when tee is set.
type tailBuffer struct {
	tee   io.Writer
	teeMu *sync.Mutex

	mu sync.Mutex
	b  []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	if t.tee != nil {
		t.teeMu.Lock()
		t.tee.Write(p) // errors ignored: see Pipeline.Stderr
		t.teeMu.Unlock()
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > 2*tailSize {
		t.b = append(t.b[:0], t.b[len(t.b)-tailSize:]...)
	}
	return len(p), nil
}

// bytes returns a copy of the last tailSize bytes written, nil if none.
func (t *tailBuffer) bytes() []byte {
	if t == nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	b := t.b
	if len(b) > tailSize {
		b = b[len(b)-tailSize:]
	}
	if len(b) == 0 {
		return nil
	}
	return bytes.Clone(b)
}

// limitBuffer is Output's buffer: it keeps at most max bytes (max < 0: no
// limit) and, on the first write past that, calls overflow and fails.
type limitBuffer struct {
	max      int
	b        bytes.Buffer
	over     bool
	overflow func()
}

func (l *limitBuffer) err() error {
	return fmt.Errorf("output longer than MaxBuffer (%d bytes): %w", l.max, childproc.ErrMaxBuffer)
}

func (l *limitBuffer) Write(p []byte) (int, error) {
	if l.over {
		return 0, l.err()
	}
	if l.max >= 0 && l.b.Len()+len(p) > l.max {
		n := l.max - l.b.Len()
		l.b.Write(p[:n])
		l.over = true
		if l.overflow != nil {
			l.overflow()
		}
		return n, l.err()
	}
	return l.b.Write(p)
}
