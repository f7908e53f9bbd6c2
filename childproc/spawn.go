package childproc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/creack/pty"

	"github.com/spawnkit/spawnkit/internal/iox"
	"github.com/spawnkit/spawnkit/ipc"
	"github.com/spawnkit/spawnkit/shell"
)

// Spawn starts name with args and returns at once; the child's stdio is
// streamed as [Options] say ([Pipe] by default: read [Process].Stdout and
// Process.Stderr, write and close Process.Stdin).
//
// name is looked up as [LookPath] does, in the PATH of the child's
// environment ([DefaultPath] when it has none) unless it holds a slash; "",
// "." and ".." are refused, and so is a match only reachable through a
// relative PATH entry such as "." (exec.ErrDot). A name holding a slash is
// relative to Options.Dir. With Options.Shell, name and args are joined
// with spaces and run as one command line by that shell.
//
// A program that cannot start is an error naming it, and no Process is
// returned: a missing program, Dir or shebang interpreter matches
// fs.ErrNotExist; a file that may not be executed (no execute permission,
// a directory, a noexec mount) matches fs.ErrPermission; an executable
// file the kernel cannot run (neither a binary for this machine nor a
// script starting with "#!") matches [ErrNotProgram]. If ctx is already done, Spawn starts nothing and
// returns ctx's error. When ctx ends later the child's whole tree is killed
// (KillSignal, then SIGKILL after KillDelay) unless Unref was called.
//
// Options that contradict each other or cannot work are an error naming
// the field, and nothing is started: an Env or ExtraEnv entry without "=",
// a closed file in ExtraFiles or in a [File] stdio, Input (use Stdin:
// [Reader](r)), Combined (pass one [Writer] as Stdout and Stderr), and PTY
// with Stdin, Stdout or Stderr set.
//
// Read every Pipe output to EOF or Close it: [EventClose] waits for that.
func Spawn(ctx context.Context, name string, args []string, opts *Options) (*Process, error) {
	return start(ctx, name, args, opts, nil)
}

// start is Spawn with a hook that may set up owned stdio on the Process
// before any goroutine runs.
func start(ctx context.Context, name string, args []string, opts *Options, prepare func(*Process, *Options)) (_ *Process, err error) {
	o := Options{}
	if opts != nil {
		o = *opts
	}

	argv, command, prog := commandLine(name, args, o.Shell)
	if o.Logger != nil {
		logArgv := append([]string(nil), argv...)
		defer func() {
			if err != nil {
				logSpawnError(o.Logger, logArgv, err)
			}
		}()
	}
	if err := supported(); err != nil {
		return nil, fmt.Errorf("childproc: spawn %s: %w", name, err)
	}
	if err := context.Cause(ctx); err != nil {
		return nil, fmt.Errorf("childproc: spawn %s: %w", name, err)
	}
	if err := o.check(); err != nil {
		return nil, fmt.Errorf("childproc: spawn %s: %w", name, err)
	}
	if o.Argv0 != "" {
		argv[0] = o.Argv0
	}

	s := &starter{}
	defer s.cleanup()

	var ipcEnv []string
	if o.IPC || o.IPCRecv {
		if err := s.openIPC(); err != nil {
			return nil, fmt.Errorf("childproc: spawn %s: %w", name, err)
		}
		ipcEnv = ipc.ChildEnv(ipc.ChildFD) // s.ipcChild is the first file after stdio
	}
	env := o.environ(ipcEnv...)

	path, err := lookPath(prog, env)
	if err != nil {
		return nil, fmt.Errorf("childproc: spawn %s: %w", prog, err)
	}
	if o.Dir != "" {
		if err := checkDir(o.Dir); err != nil {
			return nil, fmt.Errorf("childproc: spawn %s: %w", prog, err)
		}
	}

	p := newProcess(ctx, command, path, argv, &o)
	if prepare != nil {
		prepare(p, &o)
	}

	files, err := s.files(p, &o)
	if err != nil {
		return nil, fmt.Errorf("childproc: spawn %s: %w", prog, err)
	}

	attr, ownGroup := sysProcAttr(&o, files[0])
	var pidfd *int
	if !p.waiter {
		pidfd = clonePidfd(attr)
	}
	start := time.Now()
	p.log.start = start
	startFn := startProcess
	if o.StartOnCallerThread {
		startFn = startOnCallerThread
	}
	proc, release, err := startFn(path, argv, &os.ProcAttr{Dir: o.Dir, Env: env, Files: files, Sys: attr})
	if err != nil {
		return nil, fmt.Errorf("childproc: spawn %s: %w", prog, startError(err, path, o.Dir))
	}
	s.started()
	p.started = start
	p.run(ctx, s, proc, release, pidfd, ownGroup, o.IPCRecv)
	return p, nil
}

// commandLine returns the argv to run for name and args, the command line
// that errors and String show, and the program to look up: the shell's,
// with "-c" and the words joined by spaces, when shell is set.
func commandLine(name string, args []string, sh string) (argv []string, command, prog string) {
	argv = append([]string{name}, args...)
	if sh == "" {
		return argv, shell.Join(argv), name
	}
	command = strings.Join(argv, " ")
	return []string{sh, "-c", command}, command, sh
}

// newProcess returns the Process for a child about to start.
func newProcess(ctx context.Context, command, path string, argv []string, o *Options) *Process {
	p := &Process{
		command:    command,
		path:       path,
		args:       argv,
		killSignal: o.killSignal(),
		killDelay:  o.killDelay(),
		timeout:    o.Timeout,
		ctxDone:    ctx.Done(),
		exited:     make(chan struct{}),
		drained:    make(chan struct{}),
		unref:      make(chan struct{}),
		treeDone:   make(chan struct{}),
		sh:         &shared{events: newEventQueue(), killDelay: o.killDelay()},
	}
	if o.Logger != nil {
		p.log = procLog{logger: o.Logger, cmd: shell.Join(argv)}
	}
	return p
}

// files opens the child's descriptors: stdin, stdout and stderr (or the
// terminal), then the IPC channel's end, then ExtraFiles.
func (s *starter) files(p *Process, o *Options) ([]*os.File, error) {
	files := make([]*os.File, 3, 3+len(o.ExtraFiles)+1)
	if o.PTY {
		if err := s.openPTY(p, files); err != nil {
			return nil, err
		}
	} else {
		for i, std := range []Stdio{o.Stdin, o.Stdout, o.Stderr} {
			if i == 2 && sameWriter(o.Stdout, o.Stderr) {
				// One pipe for both, copied by one goroutine: w never
				// sees two writes at once, and gets them in the child's
				// order (os/exec does the same).
				files[2] = files[1]
				continue
			}
			f, err := s.stdio(p, i, std)
			if err != nil {
				return nil, err
			}
			files[i] = f
		}
	}
	if s.ipcChild != nil {
		files = append(files, s.ipcChild)
	}
	return append(files, o.ExtraFiles...), nil
}

// startError says why the program at path did not start, in dir.
func startError(err error, path, dir string) error {
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Path == path {
		err = pe.Err // the path is already in our message
	}
	if errors.Is(err, syscall.ENOEXEC) {
		err = ErrNotProgram
	}
	if dir != "" {
		// The child's chdir fails with the same errno as a missing
		// program: if Dir vanished since checkDir, say so.
		if derr := checkDir(dir); derr != nil {
			err = derr
		}
	}
	if ierr := badInterpreter(path, dir, err); ierr != nil {
		err = ierr
	}
	return err
}

// run wires a started child up: its pipes' copies, its channel's reader,
// its reaper (given the child's pidfd, see clonePidfd) and its watcher of
// ctx and Timeout; EventSpawn comes first.
func (p *Process) run(ctx context.Context, s *starter, proc *os.Process, release func(), pidfd *int, ownGroup, ipcRecv bool) {
	p.Pid = proc.Pid
	p.proc = proc
	p.release = release
	p.tree.proc = proc
	if ownGroup {
		p.tree.pgid = proc.Pid
	}
	if s.ipcParent != nil {
		p.channel = s.ipcParent
		p.sh.channel = s.ipcParent
	}
	p.logStarted()
	p.emit(Event{Kind: EventSpawn})
	for _, run := range s.pumps {
		go run()
	}
	if p.channel != nil {
		p.channel.events = p.sh.events
		if ipcRecv {
			p.channel.direct = true
		} else {
			go readMessages(p.channel, p.sh.events, p.command, p.exited, p.ctxDone)
		}
	}
	runtime.AddCleanup(p, (*shared).abandon, p.sh)
	if p.waiter {
		p.reaper.Store(reapByWaiter)
	} else {
		p.startReaper(pidfd)
	}
	if ctx.Done() != nil || p.timeout > 0 {
		go p.watch(ctx)
	}
}

// checkDir makes a bad working directory an error about the directory,
// rather than one that seems to say the program is missing.
func checkDir(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return &fs.PathError{Op: "chdir", Path: dir, Err: syscall.ENOTDIR}
	}
	return nil
}

// starter holds what is opened while a child is being started: the ends
// that go to the child (closed in the parent once it started) and, until
// it started, the parent's ends (closed if it did not).
type starter struct {
	childEnds  []*os.File
	parentEnds []*os.File
	devNull    *os.File
	pumps      []func()
	ok         bool

	ipcParent *ipcState
	ipcChild  *os.File
}

func (s *starter) started() { s.ok = true }

func (s *starter) cleanup() {
	for _, f := range s.childEnds {
		f.Close()
	}
	if s.ok {
		return
	}
	for _, f := range s.parentEnds {
		f.Close()
	}
	if s.ipcParent != nil {
		s.ipcParent.ch.Close()
	}
}

func (s *starter) pipe() (r, w *os.File, err error) {
	r, w, err = os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	return r, w, nil
}

// stdio returns the file the child gets as fd i (0, 1 or 2) and sets up the
// parent's side of it.
func (s *starter) stdio(p *Process, i int, std Stdio) (*os.File, error) {
	switch std.kind {
	case stdioInherit:
		return []*os.File{os.Stdin, os.Stdout, os.Stderr}[i], nil
	case stdioIgnore:
		if s.devNull == nil {
			f, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
			if err != nil {
				return nil, err
			}
			s.devNull = f
			s.childEnds = append(s.childEnds, f)
		}
		return s.devNull, nil
	case stdioFile:
		return std.file, nil
	case stdioDefault, stdioPipe, stdioReader, stdioWriter:
	default:
		return nil, fmt.Errorf("invalid Stdio %v", std)
	}
	if i == 0 && std.kind == stdioWriter || i > 0 && std.kind == stdioReader {
		return nil, fmt.Errorf("%s cannot be used for fd %d", std, i)
	}
	r, w, err := s.pipe()
	if err != nil {
		return nil, err
	}
	if i == 0 {
		s.childEnds = append(s.childEnds, r)
		s.parentEnds = append(s.parentEnds, w)
		if std.kind == stdioReader {
			p.feedPipe = w
			s.pumps = append(s.pumps, func() { feed(w, std.r) })
		} else {
			p.Stdin = &writeStream{f: w}
			p.stdinToClose = p.Stdin
		}
		return r, nil
	}
	s.childEnds = append(s.childEnds, w)
	s.parentEnds = append(s.parentEnds, r)
	if std.kind == stdioWriter {
		p.owned.add()
		p.ownedFiles = append(p.ownedFiles, r)
		dst := std.w
		if p.log.logger != nil {
			n := new(atomic.Int64)
			if i == 1 {
				p.log.stdout = n
			} else {
				p.log.stderr = n
			}
			dst = countingWriter{dst, n}
		}
		// The copy ends at most KillDelay after the exit (see drainOwned).
		owned, events, command := &p.owned, p.sh.events, p.command
		s.pumps = append(s.pumps, func() {
			defer owned.finished()
			if err := drain(dst, r); err != nil {
				events.push(Event{Kind: EventError, Err: fmt.Errorf("childproc: %s: copying fd %d: %w", command, i, err)})
			}
		})
		return w, nil
	}
	stream := p.callerStream(r, false)
	if i == 1 {
		p.Stdout = stream
	} else {
		p.Stderr = stream
	}
	return w, nil
}

// openPTY puts the child's stdio on a new pseudo-terminal.
func (s *starter) openPTY(p *Process, files []*os.File) error {
	master, tty, err := pty.Open()
	if err != nil {
		return err
	}
	s.childEnds = append(s.childEnds, tty)
	s.parentEnds = append(s.parentEnds, master)
	files[0], files[1], files[2] = tty, tty, tty
	p.Stdout = p.callerStream(master, true)
	p.Stdin = ptyInput{master}
	return nil
}

// writeStream is the parent's end of the child's stdin pipe. It is closed
// when the child exits; closing it again is not an error.
type writeStream struct {
	f    *os.File
	once sync.Once
	err  error
}

func (w *writeStream) Write(b []byte) (int, error) { return w.f.Write(b) }

// Close sends end-of-file to the child. Only the first call can fail.
func (w *writeStream) Close() error {
	w.once.Do(func() { w.err = w.f.Close() })
	return w.err
}

// ptyInput writes to the terminal; closing it sends end-of-file (^D) rather
// than closing the terminal, which Stdout still reads.
type ptyInput struct{ f *os.File }

func (w ptyInput) Write(b []byte) (int, error) { return w.f.Write(b) }
func (w ptyInput) Close() error {
	_, err := w.f.Write([]byte{4})
	return err
}

// callerStream makes f, the parent's end of an output stream, the caller's.
func (p *Process) callerStream(f *os.File, pty bool) *readStream {
	e := &pipeEnd{f: f, pty: pty, hold: pty, done: p.sh.callerReads.Done}
	p.sh.callerReads.Add(1)
	p.sh.streams = append(p.sh.streams, e)
	return &readStream{pipeEnd: e, owner: p}
}

// readStream is an output stream handed to the caller. While the caller
// holds it, it keeps its Process reachable (see Process).
type readStream struct {
	*pipeEnd
	owner *Process
}

// pipeEnd is the parent's end of an output pipe (or the PTY master) handed
// to the caller. It closes itself at EOF, so nothing leaks once the stream
// is read to the end; a PTY master stays open until the child was reaped,
// since closing it hangs the terminal up and sends the child SIGHUP.
type pipeEnd struct {
	f    *os.File
	pty  bool // a terminal master: EIO means the child side closed
	once sync.Once
	done func()
	mu   sync.Mutex
	eof  bool
	hold bool // do not close f at EOF: the child has not been reaped yet
}

func (s *pipeEnd) Read(b []byte) (int, error) {
	n, err := s.f.Read(b)
	if err != nil {
		if s.pty && errors.Is(err, syscall.EIO) {
			err = io.EOF
		}
		if errors.Is(err, os.ErrClosed) && s.finished() {
			err = io.EOF
		}
		if err == io.EOF {
			s.finish()
		}
	}
	return n, err
}

// Close closes the stream; the child gets EPIPE or SIGPIPE if it writes more
// (a PTY is hung up: the child gets SIGHUP).
func (s *pipeEnd) Close() error {
	if s.finished() {
		return nil
	}
	err := s.f.Close()
	s.finish()
	return err
}

func (s *pipeEnd) finished() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.eof
}

func (s *pipeEnd) finish() {
	s.once.Do(func() {
		s.mu.Lock()
		s.eof = true
		hold := s.hold
		s.mu.Unlock()
		if !hold {
			s.f.Close()
		}
		s.done()
	})
}

// childExited lets a PTY master close: at once if it was read to EOF
// already, otherwise when it is.
func (s *pipeEnd) childExited() {
	s.mu.Lock()
	closeNow := s.hold && s.eof
	s.hold = false
	s.mu.Unlock()
	if closeNow {
		s.f.Close()
	}
}

// feed copies r into the child's stdin pipe w and closes it. The child
// closing its end early (EPIPE) is not an error: it stopped reading.
func feed(w *os.File, r io.Reader) {
	iox.Copy(w, r)
	w.Close()
}

// drain copies the child's output from r into w until EOF, then closes r.
// If w fails, r is closed at once and the child sees EPIPE on its next write.
func drain(w io.Writer, r *os.File) error {
	_, err := iox.Copy(w, r)
	r.Close()
	if errors.Is(err, os.ErrClosed) {
		err = nil // closed by drainOwned after KillDelay
	}
	return err
}

// countingWriter adds the bytes written through it to n.
type countingWriter struct {
	w io.Writer
	n *atomic.Int64
}

func (c countingWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n.Add(int64(n))
	return n, err
}

// sameWriter reports whether out and err are Writer stdio of one writer.
func sameWriter(out, err Stdio) bool {
	return out.kind == stdioWriter && err.kind == stdioWriter && interfaceEqual(out.w, err.w)
}

// interfaceEqual is a == b, false when the dynamic type is not comparable.
func interfaceEqual(a, b any) (eq bool) {
	defer func() { recover() }()
	return a == b
}

// startOnCallerThread is os.StartProcess on the calling thread, whatever
// the child's parent-death signal (Options.StartOnCallerThread).
func startOnCallerThread(path string, argv []string, attr *os.ProcAttr) (*os.Process, func(), error) {
	proc, err := os.StartProcess(path, argv, attr)
	return proc, nil, err
}
