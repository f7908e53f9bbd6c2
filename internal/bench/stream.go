package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"

	"github.com/spawnkit/spawnkit/childproc"
	"github.com/spawnkit/spawnkit/internal/iox"
)

// PipelineLine is the shell line of the pipeline scenario for size bytes.
func PipelineLine(size int64) string {
	return fmt.Sprintf("head -c %d /dev/zero | cat | wc -c", size)
}

// pipelineArgv are the three stages of PipelineLine.
func pipelineArgv(size int64) [][]string {
	return [][]string{{"head", "-c", strconv.FormatInt(size, 10), "/dev/zero"}, {"cat"}, {"wc", "-c"}}
}

// checkCount parses wc -c's output and checks it is want.
func checkCount(out []byte, want int64) error {
	got, err := strconv.ParseInt(string(bytes.TrimSpace(out)), 10, 64)
	if err != nil {
		return fmt.Errorf("bench: wc -c printed %q", out)
	}
	if got != want {
		return fmt.Errorf("bench: wc -c counted %d bytes, want %d", got, want)
	}
	return nil
}

// PipelineSh runs PipelineLine through `sh -c` (os/exec, output captured).
func PipelineSh(ctx context.Context, size int64) error {
	out, err := exec.CommandContext(ctx, "/bin/sh", "-c", PipelineLine(size)).Output()
	if err != nil {
		return err
	}
	return checkCount(out, size)
}

// PipelineOSExec runs the three stages with os/exec, connected fd to fd
// (each Stdin is the previous stage's *os.File pipe end, so the bytes never
// pass through Go), which is what a careful os/exec user writes.
func PipelineOSExec(ctx context.Context, size int64) error {
	argv := pipelineArgv(size)
	cmds := make([]*exec.Cmd, len(argv))
	var out bytes.Buffer
	for i, a := range argv {
		cmds[i] = exec.CommandContext(ctx, a[0], a[1:]...)
	}
	var closeAfterStart []*os.File
	for i := 0; i < len(cmds)-1; i++ {
		r, w, err := os.Pipe()
		if err != nil {
			return err
		}
		cmds[i].Stdout = w
		cmds[i+1].Stdin = r
		closeAfterStart = append(closeAfterStart, r, w)
	}
	cmds[len(cmds)-1].Stdout = &out
	for _, c := range cmds {
		if err := c.Start(); err != nil {
			return err
		}
	}
	for _, f := range closeAfterStart {
		f.Close()
	}
	for _, c := range cmds {
		if err := c.Wait(); err != nil {
			return err
		}
	}
	return checkCount(out.Bytes(), size)
}

// PipelineChildproc runs the three stages with childproc.Spawn, connected
// fd to fd with childproc.File: what package pipeline does underneath,
// measured without it.
func PipelineChildproc(ctx context.Context, size int64) error {
	argv := pipelineArgv(size)
	var out bytes.Buffer
	procs := make([]*childproc.Process, 0, len(argv))
	var prev *os.File // read end feeding the next stage
	for i, a := range argv {
		opts := &childproc.Options{Stdin: childproc.Ignore, Stdout: childproc.Writer(&out), Stderr: childproc.Inherit}
		if prev != nil {
			opts.Stdin = childproc.File(prev)
		}
		var r, w *os.File
		if i < len(argv)-1 {
			var err error
			if r, w, err = os.Pipe(); err != nil {
				return err
			}
			opts.Stdout = childproc.File(w)
		}
		p, err := childproc.Spawn(ctx, a[0], a[1:], opts)
		// The child has its own copies now; ours must go, or EOF never comes.
		if prev != nil {
			prev.Close()
		}
		if w != nil {
			w.Close()
		}
		if err != nil {
			if r != nil {
				r.Close()
			}
			return err
		}
		procs = append(procs, p)
		prev = r
	}
	for _, p := range procs {
		if err := p.Wait(); err != nil {
			return err
		}
	}
	return checkCount(out.Bytes(), size)
}

// StreamCat streams size bytes of zeros through one `cat` started with
// impl and reads them back, counting them; the parent holds at most one
// 64 KiB buffer in each direction. impl "spawnkit" uses Process.Stdin and
// Process.Stdout pipes, "spawnkit-rw" uses childproc.Reader and
// childproc.Writer stdio (the library's own copy goroutines), "osexec" uses
// StdinPipe and StdoutPipe.
func StreamCat(ctx context.Context, impl string, size int64) error {
	var (
		in  io.WriteCloser
		out io.Reader
		wt  func() error
	)
	switch impl {
	case ImplSpawnkit:
		p, err := childproc.Spawn(ctx, "cat", nil, &childproc.Options{Stderr: childproc.Inherit})
		if err != nil {
			return err
		}
		in, out, wt = p.Stdin, p.Stdout, p.Wait
	case "spawnkit-rw":
		var cw countWriter
		p, err := childproc.Spawn(ctx, "cat", nil, &childproc.Options{
			Stdin:  childproc.Reader(io.LimitReader(iox.Zeros{}, size)),
			Stdout: childproc.Writer(&cw),
			Stderr: childproc.Inherit,
		})
		if err != nil {
			return err
		}
		if err := p.Wait(); err != nil {
			return err
		}
		if cw.n != size {
			return fmt.Errorf("bench: cat gave back %d bytes, want %d", cw.n, size)
		}
		return nil
	case ImplOSExec:
		cmd := exec.CommandContext(ctx, "cat")
		cmd.Stderr = os.Stderr
		w, err := cmd.StdinPipe()
		if err != nil {
			return err
		}
		r, err := cmd.StdoutPipe()
		if err != nil {
			return err
		}
		if err := cmd.Start(); err != nil {
			return err
		}
		in, out, wt = w, r, cmd.Wait
	default:
		return fmt.Errorf("bench: stream: unknown implementation %q", impl)
	}
	werr := make(chan error, 1)
	go func() {
		buf := make([]byte, 64<<10)
		var err error
		for left := size; left > 0 && err == nil; {
			n := int64(len(buf))
			if left < n {
				n = left
			}
			_, err = in.Write(buf[:n])
			left -= n
		}
		if cerr := in.Close(); err == nil {
			err = cerr
		}
		werr <- err
	}()
	buf := make([]byte, 64<<10)
	var got int64
	var rerr error
	for {
		n, err := out.Read(buf)
		got += int64(n)
		if err != nil {
			if err != io.EOF {
				rerr = err
			}
			break
		}
	}
	if err := <-werr; err != nil {
		return err
	}
	if rerr != nil {
		return rerr
	}
	if err := wt(); err != nil {
		return err
	}
	if got != size {
		return fmt.Errorf("bench: cat gave back %d bytes, want %d", got, size)
	}
	return nil
}

type countWriter struct{ n int64 }

func (w *countWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return len(p), nil
}

// extraPipelineBench holds pipeline implementations added by files that
// depend on packages written elsewhere.
var extraPipelineBench = map[string]func(context.Context, int64) error{}
