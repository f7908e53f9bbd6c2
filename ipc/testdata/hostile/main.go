// Command hostile is a misbehaving IPC peer for ipc's and childproc's
// reliability tests. It speaks raw bytes on the descriptor named in
// NODE_CHANNEL_FD, ignoring the protocol where the mode says so:
//
//	hostile endless            one line that never ends ('a' forever, until EPIPE)
//	hostile garbage            invalid UTF-8, invalid JSON, a NUL byte, then {"ok":true}
//	hostile tiny N             N messages 0\n 1\n ... N-1\n, then exits
//	hostile midclose           `{"partial":` and exits without a newline
//	hostile hang               `{"partial":` and sleeps until killed
//	hostile fds N PER          N descriptors (of one pipe) in batches of PER per
//	                           sendmsg, one message {"batch":i,"n":k,"ino":pipe's
//	                           inode} per batch, then {"done":true}
//
// And one receiving mode, which measures its own memory:
//
//	hostile recv-endless MAX   starts `hostile endless` as its peer, calls
//	                           Recv on a channel with MaxMessageSize MAX and
//	                           prints {"err":..., "rss":..., "hwm":...} (bytes)
//	hostile recv-handle-flood N
//	                           a goroutine floods one end of a socketpair with
//	                           N NODE_HANDLE envelopes that carry no
//	                           descriptor and never reads the NACKs; Recv runs
//	                           on the other end; once the flood is done or
//	                           has made no progress for a second it prints
//	                           {"written":..., "rss":..., "hwm":...}
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spawnkit/spawnkit/internal/procfs"
	"github.com/spawnkit/spawnkit/ipc"
)

func main() {
	if len(os.Args) < 2 {
		fail(fmt.Errorf("usage: hostile MODE [ARGS]"))
	}
	mode, args := os.Args[1], os.Args[2:]
	if mode == "recv-endless" {
		recvEndless(atoi(args[0]))
		return
	}
	if mode == "recv-handle-flood" {
		recvHandleFlood(atoi(args[0]))
		return
	}
	fd := atoi(os.Getenv("NODE_CHANNEL_FD"))
	f := os.NewFile(uintptr(fd), "channel")
	switch mode {
	case "endless":
		buf := []byte(strings.Repeat("a", 1<<20))
		for range 4 << 10 { // 4 GiB at most
			if _, err := f.Write(buf); err != nil {
				os.Exit(0) // the receiver gave up: expected
			}
		}
		fail(fmt.Errorf("4 GiB written without the receiver giving up"))
	case "garbage":
		write(f, "\"\xff\xfe\"\n")  // a string that is not UTF-8
		write(f, "{\"a\":}\n")      // not JSON
		write(f, "\"a\x00b\"\n")    // a raw NUL inside a string
		write(f, "\x00\n")          // a lone NUL
		write(f, "{\"ok\":true}\n") // and then something good
		write(f, "[1,2\n")          // truncated value on a complete line
		write(f, "{\"ok\":\"again\"}\n")
	case "tiny":
		w := bufio.NewWriterSize(f, 64<<10)
		n := atoi(args[0])
		for i := range n {
			w.WriteString(strconv.Itoa(i))
			w.WriteByte('\n')
		}
		if err := w.Flush(); err != nil {
			fail(err)
		}
	case "midclose":
		write(f, `{"partial":`)
	case "hang":
		write(f, `{"partial":`)
		for {
			time.Sleep(time.Hour)
		}
	case "fds":
		sendFDs(fd, atoi(args[0]), atoi(args[1]))
	default:
		fail(fmt.Errorf("unknown mode %q", mode))
	}
}

// sendFDs sends n descriptors (all duplicates of one pipe end), per at a
// time, each batch with a one-line message.
func sendFDs(sock, n, per int) {
	r, w, err := os.Pipe()
	if err != nil {
		fail(err)
	}
	defer w.Close()
	defer r.Close()
	var st syscall.Stat_t
	if err := syscall.Fstat(int(r.Fd()), &st); err != nil {
		fail(err)
	}
	fds := make([]int, per)
	for i := range fds {
		fds[i] = int(r.Fd())
	}
	for batch := 0; n > 0; batch++ {
		k := min(per, n)
		msg := []byte(fmt.Sprintf("{\"batch\":%d,\"n\":%d,\"ino\":%d}\n", batch, k, st.Ino))
		if err := syscall.Sendmsg(sock, msg, syscall.UnixRights(fds[:k]...), nil, 0); err != nil {
			fail(fmt.Errorf("sendmsg batch %d: %w", batch, err))
		}
		n -= k
	}
	write(os.NewFile(uintptr(sock), "channel"), "{\"done\":true}\n")
}

// recvEndless is the receiving side of the endless-line test, in its own
// process so that its memory can be measured.
func recvEndless(max int) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		fail(err)
	}
	peer := os.NewFile(uintptr(fds[1]), "peer")
	ch, err := ipc.New(os.NewFile(uintptr(fds[0]), "ours"), &ipc.Options{MaxMessageSize: max})
	if err != nil {
		fail(err)
	}
	exe, err := os.Executable()
	if err != nil {
		fail(err)
	}
	cmd := exec.Command(exe, "endless")
	cmd.ExtraFiles = []*os.File{peer}
	cmd.Env = append(os.Environ(), "NODE_CHANNEL_FD=3")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		fail(err)
	}
	peer.Close()
	rss := status("VmRSS")
	start := time.Now()
	_, rerr := ch.Recv()
	elapsed := time.Since(start)
	hwm := status("VmHWM")
	ch.Close()
	werr := cmd.Wait()
	out, _ := json.Marshal(map[string]any{
		"err": fmt.Sprint(rerr), "tooLarge": errors.Is(rerr, ipc.ErrTooLarge), "rss": rss, "hwm": hwm,
		"ms": elapsed.Milliseconds(), "peer": fmt.Sprint(werr),
	})
	fmt.Println(string(out))
}

// recvHandleFlood is the receiving side of the NODE_HANDLE flood test.
func recvHandleFlood(n int) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		fail(err)
	}
	peer := os.NewFile(uintptr(fds[1]), "peer")
	ch, err := ipc.New(os.NewFile(uintptr(fds[0]), "ours"), nil)
	if err != nil {
		fail(err)
	}
	rss := status("VmRSS")
	var written atomic.Int64
	go func() {
		w := bufio.NewWriterSize(peer, 64<<10)
		line := []byte(`{"cmd":"NODE_HANDLE","type":"net.Native","msg":1}` + "\n")
		for range n {
			if _, err := w.Write(line); err != nil {
				return
			}
			written.Add(1)
		}
		w.Flush()
	}()
	go func() {
		for {
			if _, err := ch.Recv(); err != nil {
				return
			}
		}
	}()
	last, still := int64(-1), 0
	for still < 10 {
		time.Sleep(100 * time.Millisecond)
		if k := written.Load(); k != last {
			last, still = k, 0
		} else {
			still++
		}
	}
	hwm := status("VmHWM")
	out, _ := json.Marshal(map[string]any{"written": written.Load(), "rss": rss, "hwm": hwm})
	fmt.Println(string(out))
	os.Exit(0)
}

// status returns a size field of /proc/self/status in bytes.
func status(field string) int64 {
	n, err := procfs.SelfStatusSize(field)
	if err != nil {
		fail(err)
	}
	return n
}

func write(f *os.File, s string) {
	if _, err := f.WriteString(s); err != nil {
		fail(err)
	}
}

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		fail(err)
	}
	return n
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "hostile:", err)
	os.Exit(9)
}
