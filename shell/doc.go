// Package shell splits and quotes command lines the way the POSIX shell
// (/bin/sh: dash, bash) does.
//
// # Shell or no shell
//
// childproc.ExecFile (and Spawn without Options.Shell) runs a program with
// an argument vector that is passed to the kernel as-is: no shell sees it,
// so no character in any argument is special. Always prefer it, and always
// use it when an argument comes from an untrusted source.
//
// childproc.Exec (and Spawn with Options.Shell) hands one command line to
// /bin/sh -c, which expands $variables, $(commands), `commands`, globs and
// ~, and interprets ; | & < > and the rest. Use it only when you need the
// shell (pipes, redirections, a line written by a human) and build the line
// from literal text you wrote plus values passed through [Quote] or [Join]:
//
//	line := "grep -c -- " + shell.Quote(pattern) + " " + shell.Quote(file) + " | sort"
//	res, err := childproc.Exec(ctx, line, nil)
//
// Quote makes the shell see exactly the bytes it was given, whatever they
// are (quotes, newlines, $, invalid UTF-8...). It does not stop a value that
// begins with '-' from being read as an option by the program: put "--"
// before such values, as above.
//
// # NUL bytes
//
// No argument of any program can contain a NUL byte: argv entries are
// NUL-terminated C strings, and os/exec rejects such an argument with
// EINVAL. Quote and Join do not drop or change NUL bytes; they keep them,
// always inside single quotes, so a line holding one fails instead of
// running something else: os/exec refuses it, and a C string cut at the NUL
// ends inside an unterminated quote, which sh rejects. Note that dash
// silently deletes NUL bytes from a script it reads from a file, so a
// quoted value written to a script file does not round-trip either. Check
// for NUL (strings.IndexByte(s, 0) >= 0) before quoting if it can occur.
//
// # Split
//
// [Split] is the inverse of Join: Split(Join(args)) returns args for every
// args free of NUL bytes. It follows sh's quoting and comment rules but
// performs no expansion and knows no operators; see its documentation.
//
// # Lex
//
// [Lex] is the tokenizer under Split: with the same quoting rules, it also
// finds sh's operators (| && ; > ...) and reports, for every word, where it
// was written ([Token].Pos, Token.Raw) and where sh would expand it
// (Token.Expansions). pipeline.Parse is built on it.
package shell
