package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"

	"github.com/spawnkit/spawnkit/ipc"
)

// The bare-socket floor of the round-trip scenario: the same Ping objects,
// encoded and decoded with encoding/json, over a plain socketpair read
// through bufio with blocking reads, to a child that echoes raw lines. No
// ipc package, no childproc, no netpoller on either side: what two
// processes exchanging JSON lines cost on this machine.

// Environment variables that make a binary calling InitPeer one of the
// bare peers instead of itself.
const (
	rawEchoEnv   = "SPAWNKIT_BENCH_RAW_ECHO"   // ipc.Channel echo on NODE_CHANNEL_FD (BenchmarkChannelRoundTrip)
	floorEchoEnv = "SPAWNKIT_BENCH_FLOOR_ECHO" // bufio line echo on fd 3 (the floor)
)

// InitPeer runs this process as one of the bare echo peers when its
// environment says so, and reports whether it did (the process should then
// return from main). A binary that runs the fork-rtt floor or
// BenchmarkChannelRoundTrip calls it first in main (after childproc.Init).
func InitPeer() bool {
	switch {
	case os.Getenv(rawEchoEnv) == "1":
		rawEcho()
	case os.Getenv(floorEchoEnv) == "1":
		floorEcho()
	default:
		return false
	}
	return true
}

func rawEcho() {
	ch, err := ipc.FromParent()
	if err != nil {
		os.Exit(2)
	}
	for {
		m, err := ch.Recv()
		if err != nil {
			return
		}
		if err := ch.Send(m); err != nil {
			os.Exit(1)
		}
	}
}

// floorEcho writes every line read from fd 3 back, until EOF.
func floorEcho() {
	f := os.NewFile(3, "floor")
	r := bufio.NewReaderSize(f, 64<<10)
	for {
		line, err := r.ReadSlice('\n')
		if err != nil {
			return
		}
		if _, err := f.Write(line); err != nil {
			os.Exit(1)
		}
	}
}

// Floor is a bare echo child on a socketpair (see InitPeer).
type Floor struct {
	f   *os.File
	r   *bufio.Reader
	buf bytes.Buffer
	enc *json.Encoder
	cmd *exec.Cmd
}

// StartFloor starts the running binary as a bare line-echo child.
func StartFloor(ctx context.Context) (*Floor, error) {
	return startFloor(ctx, false)
}

// startFloor is StartFloor; with poll, the parent's end is read through
// the netpoller instead of with blocking reads.
func startFloor(ctx context.Context, poll bool) (*Floor, error) {
	fds, err := cloexecSocketpair()
	if err != nil {
		return nil, os.NewSyscallError("socketpair", err)
	}
	if poll {
		// A non-blocking socket: os.NewFile puts it in the netpoller.
		if err := setNonblock(fds[0]); err != nil {
			closeFDs(fds)
			return nil, err
		}
	}
	// Otherwise blocking descriptors: os.NewFile leaves them out of the netpoller,
	// so every read is one read(2) that sleeps in the kernel.
	parent, child := os.NewFile(uintptr(fds[0]), "floor-parent"), os.NewFile(uintptr(fds[1]), "floor-child")
	exe, err := os.Executable()
	if err != nil {
		parent.Close()
		child.Close()
		return nil, err
	}
	cmd := exec.CommandContext(ctx, exe)
	cmd.Env = append(os.Environ(), floorEchoEnv+"=1")
	cmd.ExtraFiles = []*os.File{child}
	cmd.Stderr = os.Stderr
	err = cmd.Start()
	child.Close()
	if err != nil {
		parent.Close()
		return nil, err
	}
	fl := &Floor{f: parent, r: bufio.NewReaderSize(parent, 64<<10), cmd: cmd}
	fl.enc = json.NewEncoder(&fl.buf)
	fl.enc.SetEscapeHTML(false)
	return fl, nil
}

// sendPing encodes the Ping of round trip seq from its struct and writes
// it, newline included, with one write(2).
func (fl *Floor) sendPing(seq int) error {
	fl.buf.Reset()
	if err := fl.enc.Encode(Ping{Op: "ping", Seq: seq, TS: "2026-11-26T00:00:00Z"}); err != nil {
		return err
	}
	_, err := fl.f.Write(fl.buf.Bytes())
	return err
}

// RoundTrips sends n Ping objects, one at a time, each encoded from a
// struct, and decodes every echoed line into a Ping: Peer.RoundTrips
// without the library.
func (fl *Floor) RoundTrips(n int) error {
	for i := 0; i < n; i++ {
		if err := fl.sendPing(i); err != nil {
			return err
		}
		line, err := fl.r.ReadSlice('\n')
		if err != nil {
			return err
		}
		var back Ping
		if err := json.Unmarshal(line, &back); err != nil {
			return err
		}
		if back.Seq != i {
			return fmt.Errorf("bench: floor round trip %d came back as %d", i, back.Seq)
		}
	}
	return nil
}

// RawRoundTrips sends the same encoded Ping line n times, one at a time,
// and reads each echo up to its newline with read(2) on a locked thread:
// no JSON on either end, no bufio, no scheduler hand-off between the
// syscalls. It is the least a pair of Go processes can spend on the
// round trip, below which only the kernel and the Go runtime's syscall
// entry and exit remain (RESULTS.md sets it beside a C program's).
func (fl *Floor) RawRoundTrips(n int) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	line, err := json.Marshal(Ping{Op: "ping", Seq: 1, TS: "2026-11-26T00:00:00Z"})
	if err != nil {
		return err
	}
	line = append(line, '\n')
	conn, err := fl.f.SyscallConn()
	if err != nil {
		return err
	}
	buf := make([]byte, 4<<10)
	var rerr error
	err = conn.Control(func(fd uintptr) {
		for i := 0; i < n && rerr == nil; i++ {
			rerr = rawRoundTrip(int(fd), line, buf)
		}
	})
	if err == nil {
		err = rerr
	}
	return err
}

// rawRoundTrip writes line to fd and reads until the echo's newline.
func rawRoundTrip(fd int, line, buf []byte) error {
	for off := 0; off < len(line); {
		k, err := writeFD(fd, line[off:])
		if err != nil {
			return os.NewSyscallError("write", err)
		}
		off += k
	}
	for got := 0; got < len(line); {
		k, err := readFD(fd, buf)
		if err != nil {
			return os.NewSyscallError("read", err)
		}
		if k == 0 {
			return io.ErrUnexpectedEOF
		}
		got += k
	}
	return nil
}

// Close closes the socket, which ends the child, and waits for it.
func (fl *Floor) Close() error {
	fl.f.Close()
	return fl.cmd.Wait()
}

func forkRTTFloorRaw(ctx context.Context, sz Size) (Raw, error) {
	fl, err := StartFloor(ctx)
	return closeAfter(fl, err, func(fl *Floor) (Raw, error) { return timedWithWarmUp(sz, fl.RawRoundTrips) })
}

func forkRTTFloor(ctx context.Context, sz Size) (Raw, error) {
	fl, err := StartFloor(ctx)
	return closeAfter(fl, err, func(fl *Floor) (Raw, error) { return timedWithWarmUp(sz, fl.RoundTrips) })
}

// FloorHop is the floor with one goroutine hop: a goroutine of its own
// reads the echoed lines through bufio, decodes each into a Ping and hands
// it to the caller over a Go channel, where the caller receives it. That
// is the shape of Process.Events (a reader goroutine, a buffered channel,
// the caller blocked receiving) without the library: its distance to the
// floor is what one hand-off between goroutines costs on the machine. The
// reader waits in the netpoller, as Events' reader does (StartFloorHop),
// or in blocking read(2) calls, as the floor does (StartFloorHopBlock,
// which costs more: see bench/RESULTS.md).
type FloorHop struct {
	fl      *Floor
	replies chan hopReply
	stop    chan struct{} // closed by Close: the reader gives up a send
	done    chan struct{} // closed when the reader returns
}

type hopReply struct {
	p   Ping
	err error
}

// StartFloorHop starts the bare line-echo child and the reader goroutine,
// which waits in the netpoller (a non-blocking socket), as Events' reader
// does.
func StartFloorHop(ctx context.Context) (*FloorHop, error) {
	return startFloorHop(ctx, true)
}

// StartFloorHopBlock is StartFloorHop with a reader that reads with
// blocking read(2) calls, as the floor's caller does.
func StartFloorHopBlock(ctx context.Context) (*FloorHop, error) {
	return startFloorHop(ctx, false)
}

func startFloorHop(ctx context.Context, poll bool) (*FloorHop, error) {
	fl, err := startFloor(ctx, poll)
	if err != nil {
		return nil, err
	}
	// Buffered as Process.Events is (eventBuffer): a send to a receiver
	// already waiting goes straight to it either way.
	h := &FloorHop{fl: fl, replies: make(chan hopReply, 16), stop: make(chan struct{}), done: make(chan struct{})}
	go h.read()
	return h, nil
}

// read delivers every echoed line, decoded, until the first error, which it
// delivers too; then it closes the channel.
func (h *FloorHop) read() {
	defer close(h.done)
	defer close(h.replies)
	for {
		var r hopReply
		line, err := h.fl.r.ReadSlice('\n')
		if err == nil {
			err = json.Unmarshal(line, &r.p)
		}
		r.err = err
		select {
		case h.replies <- r:
		case <-h.stop:
			return
		}
		if err != nil {
			return
		}
	}
}

// RoundTrips is Floor.RoundTrips with every reply received from the
// reader goroutine's channel. Once a call has failed on a read or decode
// error, later calls return io.ErrUnexpectedEOF.
func (h *FloorHop) RoundTrips(n int) error {
	fl := h.fl
	for i := 0; i < n; i++ {
		if err := fl.sendPing(i); err != nil {
			return err
		}
		r, ok := <-h.replies
		if !ok {
			return io.ErrUnexpectedEOF
		}
		if r.err != nil {
			return r.err
		}
		if r.p.Seq != i {
			return fmt.Errorf("bench: floor-hop round trip %d came back as %d", i, r.p.Seq)
		}
	}
	return nil
}

// Close shuts the socket down (which wakes the reader and ends the child),
// waits for the reader, then closes the socket and waits for the child.
func (h *FloorHop) Close() error {
	close(h.stop)
	shutdownSocket(h.fl.f)
	<-h.done
	return h.fl.Close()
}

func forkRTTFloorHop(ctx context.Context, sz Size) (Raw, error) {
	return forkRTTHop(ctx, sz, true)
}

func forkRTTFloorHopBlock(ctx context.Context, sz Size) (Raw, error) {
	return forkRTTHop(ctx, sz, false)
}

func forkRTTHop(ctx context.Context, sz Size, poll bool) (Raw, error) {
	h, err := startFloorHop(ctx, poll)
	return closeAfter(h, err, func(h *FloorHop) (Raw, error) { return timedWithWarmUp(sz, h.RoundTrips) })
}
