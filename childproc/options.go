package childproc

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"syscall"
	"time"
)

// Default values for the zero fields of [Options].
const (
	DefaultKillDelay = 5 * time.Second
	DefaultMaxBuffer = 1 << 20
)

// Options configure how a child is started. Every function of the package
// takes them by pointer, nil meaning all defaults, and copies what it needs
// when it is called (it never modifies or keeps the struct); a zero field is
// its documented default, and a negative Timeout, KillDelay or MaxBuffer
// means never / no limit, as each field says.
type Options struct {
	Dir      string   // working directory; "" = the parent's. A missing Dir is an fs.ErrNotExist error naming it.
	Env      []string // full environment, "K=V"; nil = the parent's (os.Environ()). Nothing of the parent's leaks when Env is set.
	ExtraEnv []string // "K=V" added on top of Env (or of the parent's); a later value replaces an earlier one of the same key
	Argv0    string   // argv[0] the child sees; "" = the command name

	Stdin  Stdio // default Pipe
	Stdout Stdio // default Pipe
	Stderr Stdio // default Pipe

	// ExtraFiles are inherited as fd 3, 4, … (after the IPC channel, which
	// is fd 3, when IPC is on). The caller keeps ownership of them.
	ExtraFiles []*os.File

	// Shell, for Spawn, runs name and args joined by spaces as one command
	// line through this shell ("/bin/sh" -c LINE), like Node's shell option.
	// Nothing is quoted: use shell.Quote for untrusted words, or better, no
	// shell at all. Exec always uses a shell: Shell or "/bin/sh".
	Shell string

	// Detached starts the child in a new session, so it is not killed with
	// the parent's process group or by the parent's death. It is still
	// killed when the ctx given to Spawn ends, unless Unref is called.
	Detached bool

	// Credential runs the child as another user (needs privileges).
	Credential *Credential

	Timeout    time.Duration  // kill the whole tree after this long; 0 (the default) or <0 = never; the error matches context.DeadlineExceeded
	KillSignal syscall.Signal // signal for Timeout, ctx cancel and MaxBuffer, followed by SIGCONT so that a stopped process gets it; default SIGTERM
	KillDelay  time.Duration  // then SIGKILL if anything is still alive; default 5s; <0 = never

	// MaxBuffer is, for Exec and ExecFile, the most bytes kept of stdout and
	// of stderr each; past it the child is killed and the error matches
	// ErrMaxBuffer. Default 1 MiB; <0 = no limit.
	MaxBuffer int

	// Combined, for Exec and ExecFile, also fills Result.Combined (and
	// ExitError.Combined) with stdout and stderr interleaved in the order
	// the parent read them, like os/exec's CombinedOutput but with the two
	// streams still apart in Stdout and Stderr. It holds exactly the bytes
	// kept in those two, so MaxBuffer bounds it too (at most twice
	// MaxBuffer), and a Stdout or Stderr that is not captured (File,
	// Writer, Inherit, Ignore) is not in it. The two streams are two pipes:
	// writes the child made to both within the same instant may come out
	// in either order (to keep one order for sure, pass the same Writer as
	// Stdout and Stderr, which then share one pipe). Combined given to
	// Spawn or Fork, which keep no output, is an error.
	Combined bool

	// Input, for Exec and ExecFile, is fed to the child's stdin. With no
	// Input (and Stdin left at Pipe) the child's stdin is /dev/null. Input
	// together with a Stdin, or given to Spawn or Fork, is an error.
	Input io.Reader

	// IPC opens a message channel to the child on fd 3, announced to it in
	// NODE_CHANNEL_FD like Node's fork() does; see Process.Send and Events.
	IPC bool

	// StartOnCallerThread starts the child from the calling goroutine's OS
	// thread instead of handing the start to the library's spawner thread,
	// which saves two thread wake-ups per start (about 7 futex calls; 80–90
	// µs per sequential Spawn on the 2-core benchmark machine, see
	// bench/RESULTS.md). It matters on Linux only, where a child that is
	// not Detached gets SIGKILL when the *thread* that started it exits
	// (the parent-death signal), and Go ends a thread whenever a goroutine
	// returns while locked to it (runtime.LockOSThread without Unlock):
	// any goroutine that later runs on that thread can do it. So set this
	// only in a program where no goroutine ever returns while locked to
	// its thread; otherwise the child may be killed while the parent runs.
	// The child still dies with the parent. Detached children always start
	// on the calling thread (they have no parent-death signal), and so
	// does every child when the caller runs on the process's main thread,
	// which Go never ends: this option only changes where a caller on
	// another thread starts its child.
	StartOnCallerThread bool

	// IPCRecv opens the message channel as IPC does (it implies IPC), but
	// the child's messages are read with Process.Recv instead of arriving
	// in Events as EventMessage: the caller's goroutine reads the socket
	// itself, with no goroutine of the library in between, which is what
	// a request/response loop wants for latency. See Process.Recv for
	// when EventDisconnect and EventClose come in this mode.
	IPCRecv bool

	// PTY runs the child on a new pseudo-terminal: its stdin, stdout and
	// stderr are the terminal (a Stdin, Stdout or Stderr set as well is an
	// error naming the field, and nothing starts), it leads a new session
	// with the terminal as its controlling tty,
	// Process.Stdout reads what it prints and Process.Stdin types into it.
	// Process.Stderr is nil. Reading Stdout returns io.EOF once every
	// process has closed the terminal and everything printed was read (the
	// EIO a terminal master reports then is turned into io.EOF). The master
	// stays open until the child has been reaped, so a child that closes
	// its terminal before it exits is not hung up (no SIGHUP); closing
	// Process.Stdout hangs the terminal up at once.
	PTY bool

	// Logger, when not nil, receives two records per child (nil = silent):
	//
	//   - "spawn" at Info once it started, with cmd (the argv as run,
	//     quoted like shell.Join: for Exec `/bin/sh -c 'COMMAND'`) and pid;
	//     or "spawn failed" at Warn, with cmd and err, when it could not
	//     start (then no other record follows);
	//   - "exit" once it ended, written just before Wait returns, with
	//     cmd, pid, code (the exit status) or signal (its name, "SIGKILL",
	//     when a signal ended it), duration (from the start until it was
	//     reaped), stdout and stderr (bytes the library read from the
	//     stream: the whole output for Exec and ExecFile, past MaxBuffer
	//     too, and for Writer stdio; left out for streams the library does
	//     not read: Pipe, PTY, Inherit, Ignore, File; when Stdout and Stderr
	//     are the same Writer they share one pipe, and stdout counts both).
	//     It is at Info when the child exited with status 0 by itself, and
	//     at Warn, with err (what Wait returns), otherwise.
	Logger *slog.Logger
}

func (o *Options) killSignal() syscall.Signal {
	if o.KillSignal == 0 {
		return syscall.SIGTERM
	}
	return o.KillSignal
}

func (o *Options) killDelay() time.Duration {
	if o.KillDelay == 0 {
		return DefaultKillDelay
	}
	return o.KillDelay
}

func (o *Options) maxBuffer() int {
	if o.MaxBuffer == 0 {
		return DefaultMaxBuffer
	}
	return o.MaxBuffer
}

// environ returns the environment the child gets: Env (or the parent's)
// with ExtraEnv and extra applied, a later value of a key replacing an
// earlier one (within Env too, as os/exec does), so the child sees the
// same value the PATH lookup used.
func (o *Options) environ(extra ...string) []string {
	base := o.Env
	if base == nil {
		base = os.Environ()
		if len(o.ExtraEnv) == 0 && len(extra) == 0 {
			return base
		}
	}
	env := make([]string, 0, len(base)+len(o.ExtraEnv)+len(extra))
	index := make(map[string]int, cap(env))
	for _, list := range [][]string{base, o.ExtraEnv, extra} {
		for _, kv := range list {
			k, _, _ := strings.Cut(kv, "=")
			if i, ok := index[k]; ok {
				env[i] = kv
				continue
			}
			index[k] = len(env)
			env = append(env, kv)
		}
	}
	return env
}

// lookupEnv returns the value of key in env, the last one winning.
func lookupEnv(env []string, key string) (string, bool) {
	for i := len(env) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(env[i], "="); ok && k == key {
			return v, true
		}
	}
	return "", false
}

// check refuses options that contradict each other or cannot work, naming
// the field, rather than ignoring one of them silently. Exec and ExecFile
// have turned Input into Stdin before start calls it.
func (o *Options) check() error {
	if o.Input != nil {
		return errors.New("Options.Input is for Exec and ExecFile (with Spawn, use Stdin: Reader(r))")
	}
	if o.Combined {
		return errors.New("Options.Combined is for Exec and ExecFile (with Spawn, pass one Writer as both Stdout and Stderr)")
	}
	if o.PTY {
		for _, s := range []struct {
			name string
			std  Stdio
		}{{"Stdin", o.Stdin}, {"Stdout", o.Stdout}, {"Stderr", o.Stderr}} {
			if s.std.kind != stdioDefault {
				return fmt.Errorf("Options.PTY puts stdin, stdout and stderr on the terminal: Options.%s (%v) must be left unset", s.name, s.std)
			}
		}
	}
	for _, list := range []struct {
		name string
		env  []string
	}{{"Env", o.Env}, {"ExtraEnv", o.ExtraEnv}} {
		for i, kv := range list.env {
			if !strings.Contains(kv, "=") {
				return fmt.Errorf("%s[%d] %q is not KEY=VALUE", "Options."+list.name, i, kv)
			}
		}
	}
	for _, s := range []struct {
		name string
		std  Stdio
	}{{"Stdin", o.Stdin}, {"Stdout", o.Stdout}, {"Stderr", o.Stderr}} {
		if s.std.kind == stdioFile && isClosedFile(s.std.file) {
			return fmt.Errorf("%s: File(%s): %w", "Options."+s.name, s.std.file.Name(), os.ErrClosed)
		}
	}
	for i, f := range o.ExtraFiles {
		if f != nil && isClosedFile(f) {
			return fmt.Errorf("Options.ExtraFiles[%d] (%s): %w", i, f.Name(), os.ErrClosed)
		}
	}
	return nil
}

// isClosedFile reports whether f was closed, without f.Fd (which would
// switch it to blocking mode).
func isClosedFile(f *os.File) bool {
	rc, err := f.SyscallConn()
	if err != nil {
		return true
	}
	return rc.Control(func(uintptr) {}) != nil // "use of closed file"
}
