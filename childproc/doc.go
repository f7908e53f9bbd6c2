// Package childproc starts other programs and talks to them: the Go shape of
// Node.js's child_process module.
//
// Four entry points cover the common cases:
//
//   - [Spawn] starts a program and streams its stdio; its Events channel
//     reports spawn, message, exit, error, disconnect and close in Node's order.
//   - [Exec] runs a command line through /bin/sh and returns its buffered output.
//   - [ExecFile] runs a program without a shell and returns its buffered output.
//   - [Fork] re-executes the running binary in a registered role, with a JSON
//     message channel that speaks Node's fork() protocol (see [Register] and [Init]).
//
// Every child is started in a way that lets the whole tree it creates be
// signalled: it leads its own process group (unless its stdin is inherited
// from a terminal, see [Options]), and a kill caused by a Timeout, a cancelled
// context or a MaxBuffer overflow reaches its grandchildren too: first
// KillSignal, then SIGKILL after KillDelay. A grandchild that keeps an output
// pipe open never makes Wait, Exec or ExecFile hang longer than KillDelay.
//
// A child that is not Detached receives SIGKILL when the parent dies
// (Linux's parent-death signal), so a crashed parent leaves no child of its
// own behind. The kernel clears that signal when the child (or a program
// it executes in its place) is a set-user-ID or set-group-ID program, or
// one with file capabilities (sudo, ping, passwd, ...): such a child
// outlives a parent killed outright; only a living parent's ctx, Timeout
// or Kill end it. What that child started is not signalled: if the
// parent is killed outright (SIGKILL, no chance to cancel a ctx),
// grandchildren are orphaned and reparented to init (or the nearest
// subreaper), as with any program. A Detached child lives in a new session and outlives the parent;
// call Unref to stop the parent's context from killing it as well.
//
// Every fd the package opens is close-on-exec; every child is reaped, so no
// zombie is left once Wait has returned.
//
// Edges that stay, as with os/exec and most supervisors: a daemon that
// double-forks (setsid, then its parent exits) is reparented away from the
// child and leads its own session, so a tree kill cannot find it (only a
// cgroup could); a descriptor the caller opened without close-on-exec
// (syscall.Open without O_CLOEXEC, say) reaches every child, whereas those
// of package os are close-on-exec; and a script whose #! line names a
// missing interpreter cannot start, with an error that names that
// interpreter (a DOS "\r" at the end of the line included) rather than the
// script.
//
// Options are passed by pointer, as in every spawnkit package: nil means all
// defaults, and Spawn, Exec, ExecFile and Fork copy what they need, so
// changing the Options after the call changes nothing for that child. A
// zero duration or limit is its documented default, a negative one means
// never or no limit (Timeout, KillDelay, MaxBuffer).
//
// For everyday scripts: [Lines] iterates over a child's output line by line
// (bounded, "\r\n" handled), [Result.Text] is stdout without its final
// newline, and Options.Logger writes a log/slog record when each child
// starts and ends (command, pid, exit code or signal, duration, bytes).
// docs/NODE.md in the repository maps each Node.js option, event and
// method to its equivalent here.
package childproc
