//go:build linux

// Command ladder64 measures, step by step, where the 64 KiB IPC scenario
// (parent → child, bench.BenchmarkIPC64KiB and compare's ipc-64k) loses
// time against the bare socketpair of bench/cmd/floor64. Each rung is a
// (sender, receiver) pair that adds one piece of spawnkit to the floor;
// every round runs all rungs back to back, order rotated, and each rung's
// figure is reported with its ratio to the floor of the same round, so a
// step's cost is a paired ratio, not a difference between runs.
//
//	go run ./bench/cmd/ladder64 -n 5000 -rounds 5
//	go run ./bench/cmd/ladder64 -rungs floor,ipc-rx,fork
//
// The message is bench.Payload(64 KiB), one JSON object, newline-ended.
// Senders: "write" is blocking write(2) on the raw socket (the floor);
// "ipc" is ipc.Channel.Send of the pre-encoded ipc.Message. Receivers:
// "read" is blocking read(2) into a 64 KiB buffer counting newlines (the
// floor); "conn" reads the same way through Go's netpoller
// (net.UnixConn.Read); "frame" adds a framing reader like ipc's (lines cut
// at '\n' in a reusable buffer, compacted and grown and its reads sized as
// frame.go does);
// "copy" adds the copy of each line into a new slice, as Recv returns it;
// "ipc" is ipc.Channel.Recv (framing, JSON validation, copy); "append" is
// ipc.Channel.AppendRecv into the previous message's storage (no
// allocation per message). The "fork"
// rung is bench.StartPeer(RoleSink) + SendPayload, the benchmark itself;
// "fork-append" the same with the sink receiving by AppendRecv.
// A rung's sndbuf, when set, is the SO_SNDBUF asked for on both ends
// (ipc.Pair asks for 256 KiB).
//
// Linux only, like the figures it is compared with.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spawnkit/spawnkit/childproc"
	"github.com/spawnkit/spawnkit/internal/bench"
	"github.com/spawnkit/spawnkit/ipc"
	"golang.org/x/sys/unix"
)

const size = 64 << 10

// A rung is one sender/receiver pair of the ladder.
type rung struct {
	name   string
	send   string // "write", "ipc", or "fork" (the whole benchmark)
	recv   string // "read", "conn", "frame", "copy", "ipc"
	sndbuf int    // SO_SNDBUF on both ends; 0 leaves the default
	what   string
}

var rungs = []rung{
	{"floor", "write", "read", 0, "floor64: blocking write(2) → blocking read(2), count '\\n'"},
	{"floor-256k", "write", "read", 256 << 10, "floor with ipc.Pair's SO_SNDBUF"},
	{"nb-rx", "write", "nb", 0, "receiver reads a non-blocking socket with read(2), waiting in poll(2) on EAGAIN (no netpoller)"},
	{"nbep-rx", "write", "nbep", 0, "nb-rx with the socket also registered, edge-triggered, in an epoll set nobody waits on"},
	{"nbepw-rx", "write", "nbepw", 0, "nbep-rx with a thread waiting in epoll_wait on that set (as Go's idle netpoller does)"},
	{"conn1-rx", "write", "conn1", 0, "conn-rx with GOMAXPROCS=1 in the child"},
	{"conn-rx", "write", "conn", 0, "receiver reads through the netpoller (net.UnixConn.Read)"},
	{"frame-rx", "write", "frame", 0, "+ ipc-style line framing in a reusable buffer"},
	{"copy-rx", "write", "copy", 0, "+ each line copied into a new slice (what Recv returns)"},
	{"ipc-rx", "write", "ipc", 0, "receiver is ipc.Channel.Recv (framing, validation, copy)"},
	{"append-rx", "write", "append", 0, "receiver is ipc.Channel.AppendRecv reusing one message's storage (no allocation per message)"},
	{"ipc-tx", "ipc", "read", 0, "sender is ipc.Channel.Send, receiver the floor's"},
	{"ipc-both", "ipc", "ipc", 256 << 10, "ipc.Channel on both ends, ipc.Pair's SO_SNDBUF"},
	{"append-both", "ipc", "append", 256 << 10, "ipc-both with AppendRecv"},
	{"fork", "fork", "", 0, "bench.StartPeer(RoleSink) + SendPayload: BenchmarkIPC64KiB/msg=raw"},
	{"fork-append", "fork", "append", 0, "the same with the sink on AppendRecv: BenchmarkIPC64KiB/msg=append"},
}

func main() {
	if childproc.Init() { // a RoleSink child of the fork rung
		return
	}
	n := flag.Int("n", 5000, "messages per rung and round")
	rounds := flag.Int("rounds", 5, "rounds")
	only := flag.String("rungs", "", "comma-separated rungs to run (default all; the first is the anchor)")
	child := flag.String("child", "", "internal: be the receiving child in this mode (the socket is fd 3)")
	flag.Parse()
	if *child != "" {
		if err := receive(*child, *n); err != nil {
			log.Fatal(err)
		}
		return
	}
	run := rungs
	if *only != "" {
		run = nil
		for _, name := range strings.Split(*only, ",") {
			i := slices.IndexFunc(rungs, func(r rung) bool { return r.name == name })
			if i < 0 {
				log.Fatalf("no rung %q", name)
			}
			run = append(run, rungs[i])
		}
	}
	res := make([][]float64, len(run))    // MB/s per rung per round
	cpu := make([][2][]float64, len(run)) // µs of CPU per message: child, parent
	for round := range *rounds {
		for k := range run {
			i := (k + round) % len(run)
			m, err := measure(run[i], *n)
			if err != nil {
				log.Fatalf("%s: %v", run[i].name, err)
			}
			res[i] = append(res[i], m.mbs)
			cpu[i][0] = append(cpu[i][0], m.child)
			cpu[i][1] = append(cpu[i][1], m.parent)
		}
		fmt.Fprintf(os.Stderr, "round %d done\n", round+1)
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "rung\tMB/s median [min–max]\tratio to %s [per-round min–max]\tCPU µs/msg child\tparent\twhat\n", run[0].name)
	for i, r := range run {
		ratios := make([]float64, len(res[i]))
		for j := range res[i] {
			ratios[j] = res[i][j] / res[0][j]
		}
		fmt.Fprintf(tw, "%s\t%.0f [%.0f–%.0f]\t%.2f [%.2f–%.2f]\t%.1f\t%.1f\t%s\n", r.name,
			median(res[i]), slices.Min(res[i]), slices.Max(res[i]),
			median(ratios), slices.Min(ratios), slices.Max(ratios),
			median(cpu[i][0]), median(cpu[i][1]), r.what)
	}
	tw.Flush()
}

// result is one measurement: throughput, and the CPU time (user and
// system) each process spent per message, its start-up included.
type result struct{ mbs, child, parent float64 }

// cpuTime returns the CPU time of this process (RUSAGE_SELF) or of its
// waited-for children (RUSAGE_CHILDREN).
func cpuTime(who int) time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(who, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// measure runs one rung once; see result. The throughput is counted from
// the first send to the child's answer that it saw all n messages.
func measure(r rung, n int) (result, error) {
	self, kids := cpuTime(syscall.RUSAGE_SELF), cpuTime(syscall.RUSAGE_CHILDREN)
	mbs, err := transfer(r, n)
	if err != nil {
		return result{}, err
	}
	perMsg := func(d time.Duration) float64 { return float64(d) / 1e3 / float64(n) }
	return result{mbs,
		perMsg(cpuTime(syscall.RUSAGE_CHILDREN) - kids),
		perMsg(cpuTime(syscall.RUSAGE_SELF) - self)}, nil
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// transfer runs one rung once and returns MB/s; the child has been waited
// for when it returns.
func transfer(r rung, n int) (float64, error) {
	msg := bench.Payload(size)
	if r.send == "fork" {
		var args []string
		if r.recv != "" {
			args = []string{r.recv}
		}
		pe, err := bench.StartPeer(context.Background(), bench.RoleSink, args...)
		if err != nil {
			return 0, err
		}
		defer pe.Close()
		if _, err := pe.SendPayload(1, msg); err != nil { // the child is up
			return 0, err
		}
		start := time.Now()
		if _, err := pe.SendPayload(n, msg); err != nil {
			return 0, err
		}
		return mbps(n, time.Since(start)), nil
	}
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return 0, err
	}
	if r.sndbuf > 0 {
		for _, fd := range fds {
			syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_SNDBUF, r.sndbuf)
		}
	}
	theirs := os.NewFile(uintptr(fds[1]), "child end")
	cmd := exec.Command(os.Args[0], "-child", r.recv, "-n", strconv.Itoa(n))
	cmd.ExtraFiles = []*os.File{theirs}
	cmd.Stderr = os.Stderr
	err = cmd.Start()
	theirs.Close()
	if err != nil {
		syscall.Close(fds[0])
		return 0, err
	}
	defer cmd.Wait()
	var send func() error
	var answer func() error
	switch r.send {
	case "write":
		defer syscall.Close(fds[0])
		line := append(slices.Clone([]byte(msg)), '\n')
		send = func() error {
			for off := 0; off < len(line); {
				k, err := syscall.Write(fds[0], line[off:])
				if err != nil {
					return err
				}
				off += k
			}
			return nil
		}
		answer = func() error {
			var got []byte
			b := make([]byte, 64)
			for !bytes.Contains(got, []byte{'\n'}) {
				k, err := syscall.Read(fds[0], b)
				if err != nil {
					return err
				}
				if k == 0 {
					return io.ErrUnexpectedEOF
				}
				got = append(got, b[:k]...)
			}
			return nil
		}
	case "ipc":
		ch, err := ipc.New(os.NewFile(uintptr(fds[0]), "parent end"), nil)
		if err != nil {
			return 0, err
		}
		defer ch.Close()
		send = func() error { return ch.Send(msg) }
		answer = func() error { _, err := ch.Recv(); return err }
	default:
		return 0, fmt.Errorf("unknown sender %q", r.send)
	}
	start := time.Now()
	for range n {
		if err := send(); err != nil {
			return 0, err
		}
	}
	if err := answer(); err != nil {
		return 0, err
	}
	return mbps(n, time.Since(start)), nil
}

func mbps(n int, d time.Duration) float64 { return float64(n) * size / d.Seconds() / 1e6 }

// receive is the child: it takes n messages in mode, then answers "done".
func receive(mode string, n int) error {
	done := []byte("\"done\"\n")
	if mode == "ipc" || mode == "append" {
		ch, err := ipc.New(os.NewFile(3, "child end"), nil)
		if err != nil {
			return err
		}
		var m ipc.Message
		for range n {
			var err error
			if mode == "append" {
				m, err = ch.AppendRecv(m[:0])
			} else {
				m, err = ch.Recv()
			}
			if err != nil {
				return err
			}
			if len(m) != size {
				return fmt.Errorf("message of %d bytes", len(m))
			}
		}
		return ch.Send(ipc.Message(done[:len(done)-1]))
	}
	if mode == "read" || mode == "nb" || mode == "nbep" || mode == "nbepw" {
		if mode != "read" {
			if err := syscall.SetNonblock(3, true); err != nil {
				return err
			}
		}
		if mode == "nbep" || mode == "nbepw" {
			ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
			if err != nil {
				return err
			}
			ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLOUT | unix.EPOLLRDHUP | unix.EPOLLET, Fd: 3}
			if err := unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, 3, &ev); err != nil {
				return err
			}
			if mode == "nbepw" {
				go func() {
					runtime.LockOSThread()
					evs := make([]unix.EpollEvent, 8)
					for {
						unix.EpollWait(ep, evs, -1)
					}
				}()
			}
		}
		buf := make([]byte, size)
		for seen := 0; seen < n; {
			k, err := syscall.Read(3, buf)
			if err == syscall.EAGAIN {
				pfd := []unix.PollFd{{Fd: 3, Events: unix.POLLIN}}
				if _, err := unix.Poll(pfd, -1); err != nil && err != unix.EINTR {
					return err
				}
				continue
			}
			if err != nil {
				return err
			}
			if k == 0 {
				return io.ErrUnexpectedEOF
			}
			seen += bytes.Count(buf[:k], []byte{'\n'})
		}
		_, err := syscall.Write(3, done)
		return err
	}
	if mode == "conn1" {
		runtime.GOMAXPROCS(1)
		mode = "conn"
	}
	fc, err := net.FileConn(os.NewFile(3, "child end"))
	if err != nil {
		return err
	}
	defer fc.Close()
	switch mode {
	case "conn":
		buf := make([]byte, size)
		for seen := 0; seen < n; {
			k, err := fc.Read(buf)
			if err != nil {
				return err
			}
			seen += bytes.Count(buf[:k], []byte{'\n'})
		}
	case "frame", "copy":
		fr := &frames{r: fc}
		var keep []byte
		for range n {
			line, err := fr.next()
			if err != nil {
				return err
			}
			if mode == "copy" {
				keep = append([]byte(nil), line...)
			}
		}
		_ = keep
	default:
		return fmt.Errorf("unknown receiver %q", mode)
	}
	_, err = fc.Write(done)
	return err
}

// frames cuts lines out of r the way ipc's frameReader does: one reusable
// buffer of 64 KiB, compacted when less than 16 KiB is free, doubled when
// one line does not fit; a line is a slice of it. After a line over
// 16 KiB a read asks for no more than what takes the next line to the same
// length (frameReader.hint), so equal large lines are read one at a time.
type frames struct {
	r          io.Reader
	buf        []byte
	rd, w, off int
	hint       int
}

func (f *frames) next() ([]byte, error) {
	for {
		if i := bytes.IndexByte(f.buf[f.off:f.w], '\n'); i >= 0 {
			end := f.off + i
			line := f.buf[f.rd:end]
			f.hint = 0
			if len(line) >= 16<<10 {
				f.hint = len(line) + 1
			}
			f.rd, f.off = end+1, end+1
			return line, nil
		}
		f.off = f.w
		if f.rd == f.w {
			f.rd, f.w, f.off = 0, 0, 0
			if f.buf == nil {
				f.buf = make([]byte, size)
			}
		}
		if len(f.buf)-f.w < 16<<10 {
			if f.rd > 0 {
				k := copy(f.buf, f.buf[f.rd:f.w])
				f.off -= f.rd
				f.w, f.rd = k, 0
			}
			if len(f.buf)-f.w < 16<<10 {
				nb := make([]byte, 2*len(f.buf))
				copy(nb, f.buf[:f.w])
				f.buf = nb
			}
		}
		p := f.buf[f.w:]
		if want := f.hint - (f.w - f.rd); want > 0 && want < len(p) {
			p = p[:want]
		}
		k, err := f.r.Read(p)
		f.w += k
		if err != nil {
			return nil, err
		}
	}
}
