package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spawnkit/spawnkit/childproc"
	"github.com/spawnkit/spawnkit/ipc"
)

// Roles this package registers for Fork; a binary that runs the IPC
// scenarios must call childproc.Init first in main (or TestMain).
const (
	RoleEcho   = "bench.echo"   // sends every message back, raw, until EOF
	RoleSink   = "bench.sink"   // counts messages until "done", then sends {"count","bytes"}; arg "map" decodes each into map[string]any, arg "append" receives with AppendRecv into one reused message
	RoleSource = "bench.source" // on "go" sends N small messages then "done"; arg N
)

// doneMsg ends a one-way stream; goMsg starts one.
var (
	doneMsg = ipc.Message(`"done"`)
	goMsg   = ipc.Message(`"go"`)
)

func init() {
	childproc.Register(RoleEcho, func(ctx context.Context, parent *ipc.Channel) error {
		for {
			m, err := parent.Recv()
			if err != nil {
				return eofOK(err)
			}
			if err := parent.Send(m); err != nil {
				return err
			}
		}
	})
	childproc.Register(RoleSink, func(ctx context.Context, parent *ipc.Channel) error {
		a := childArgs()
		decode := len(a) > 0 && a[0] == "map"
		reuse := len(a) > 0 && a[0] == "append"
		var count, size int
		var m ipc.Message
		for {
			var err error
			if reuse {
				m, err = parent.AppendRecv(m[:0])
			} else {
				m, err = parent.Recv()
			}
			if err != nil {
				return eofOK(err)
			}
			if bytes.Equal(m, doneMsg) {
				if err := parent.Send(SinkReport{Count: count, Bytes: size}); err != nil {
					return err
				}
				count, size = 0, 0
				continue
			}
			if decode {
				var v map[string]any
				if err := m.Decode(&v); err != nil {
					return err
				}
			}
			count++
			size += len(m)
		}
	})
	childproc.Register(RoleSource, func(ctx context.Context, parent *ipc.Channel) error {
		n := 0
		if a := childArgs(); len(a) > 0 {
			n, _ = strconv.Atoi(a[0])
		}
		for {
			m, err := parent.Recv()
			if err != nil {
				return eofOK(err)
			}
			if !bytes.Equal(m, goMsg) {
				continue
			}
			for i := 0; i < n; i++ {
				if err := parent.Send(Small{Seq: i}); err != nil {
					return err
				}
			}
			if err := parent.Send(doneMsg); err != nil {
				return err
			}
		}
	})
}

// childArgs returns the arguments a forked child was given (os.Args[1:]
// minus any test flags a test binary would add; Fork passes only ours).
func childArgs() []string {
	var out []string
	for _, a := range osArgs()[1:] {
		if !strings.HasPrefix(a, "-test.") {
			out = append(out, a)
		}
	}
	return out
}

func eofOK(err error) error {
	if isEOF(err) {
		return nil
	}
	return err
}

// Ping is the small object of the round-trip scenario (Node sends the
// same object: {op: "ping", seq: i, ts: "..."}).
type Ping struct {
	Op  string `json:"op"`
	Seq int    `json:"seq"`
	TS  string `json:"ts"`
}

// Small is the message of the one-way rate scenarios ({seq: i} in Node).
type Small struct {
	Seq int `json:"seq"`
}

// SinkReport is what RoleSink sends back on "done".
type SinkReport struct {
	Count int `json:"count"`
	Bytes int `json:"bytes"`
}

// Peer is a forked Go child running one of this package's roles.
type Peer struct {
	p      *childproc.Process
	cancel context.CancelFunc
	direct bool   // started by StartPeerRecv
	dir    string // StartNodePeer's scripts, removed by Close
}

// StartNodePeer runs Node's side of fork.js, `node fork_child.js MODE`
// ("echo" or "sink"), as a child with a channel (Options.IPC), so that a Go
// parent talks to the same Node child a Node parent does in the Node
// variants. It returns ErrNoNode when node is not installed.
func StartNodePeer(ctx context.Context, mode string) (*Peer, error) {
	node := NodePath()
	if node == "" {
		return nil, ErrNoNode
	}
	dir, err := os.MkdirTemp("", "spawnkit-bench-")
	if err != nil {
		return nil, err
	}
	if err := WriteNodeScripts(dir); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	p, err := childproc.Spawn(ctx, node, []string{filepath.Join(dir, "fork_child.js"), mode}, &childproc.Options{
		Stdin: childproc.Ignore, Stdout: childproc.Ignore, Stderr: childproc.Inherit,
		IPC: true,
	})
	if err != nil {
		cancel()
		os.RemoveAll(dir)
		return nil, err
	}
	return &Peer{p: p, cancel: cancel, dir: dir}, nil
}

// StartPeer forks the running binary in role with args. Its stdin and
// stdout are /dev/null, its stderr is the parent's.
func StartPeer(ctx context.Context, role string, args ...string) (*Peer, error) {
	return StartPeerEnv(ctx, nil, role, args...)
}

// StartPeerEnv is StartPeer with "K=V" variables added to the child's
// environment.
func StartPeerEnv(ctx context.Context, env []string, role string, args ...string) (*Peer, error) {
	return forkPeer(ctx, role, args, &childproc.Options{ExtraEnv: env})
}

// StartPeerRecv is StartPeer with Options.IPCRecv: the peer's messages
// are read with Process.Recv instead of from Events.
func StartPeerRecv(ctx context.Context, role string, args ...string) (*Peer, error) {
	return forkPeer(ctx, role, args, &childproc.Options{IPCRecv: true})
}

// forkPeer forks role with opts, its stdin and stdout ignored and its
// stderr inherited.
func forkPeer(ctx context.Context, role string, args []string, opts *childproc.Options) (*Peer, error) {
	opts.Stdin, opts.Stdout, opts.Stderr = childproc.Ignore, childproc.Ignore, childproc.Inherit
	ctx, cancel := context.WithCancel(ctx)
	p, err := childproc.Fork(ctx, role, args, opts)
	if err != nil {
		cancel()
		return nil, err
	}
	return &Peer{p: p, cancel: cancel, direct: opts.IPCRecv}, nil
}

// Recv returns the next message from the child.
func (pe *Peer) Recv() (ipc.Message, error) {
	if pe.direct {
		return pe.p.Recv(context.Background())
	}
	for ev := range pe.p.Events() {
		switch ev.Kind {
		case childproc.EventMessage:
			return ev.Message, nil
		case childproc.EventError:
			return nil, ev.Err
		case childproc.EventExit, childproc.EventDisconnect:
			return nil, fmt.Errorf("bench: peer %d ended: %v", pe.p.Pid, ev)
		}
	}
	return nil, errors.New("bench: peer events closed")
}

// RoundTrips sends n Ping objects to a RoleEcho peer, one at a time, each
// encoded from a struct, and decodes every reply into a Ping.
func (pe *Peer) RoundTrips(n int) error {
	for i := 0; i < n; i++ {
		if err := pe.p.Send(Ping{Op: "ping", Seq: i, TS: "2026-11-26T00:00:00Z"}); err != nil {
			return err
		}
		m, err := pe.Recv()
		if err != nil {
			return err
		}
		var back Ping
		if err := m.Decode(&back); err != nil {
			return err
		}
		if back.Seq != i {
			return fmt.Errorf("bench: round trip %d came back as %d", i, back.Seq)
		}
	}
	return nil
}

// SendSmall sends n Small messages (each encoded from a struct) to a
// RoleSink peer and waits for its count.
func (pe *Peer) SendSmall(n int) error {
	for i := 0; i < n; i++ {
		if err := pe.p.Send(Small{Seq: i}); err != nil {
			return err
		}
	}
	_, err := pe.finish(n)
	return err
}

// SendPayload sends msg n times to a RoleSink peer and waits for its count;
// it returns the bytes of JSON the sink counted. msg is sent as given: an
// ipc.Message goes out raw, a map is encoded on every Send.
func (pe *Peer) SendPayload(n int, msg any) (int, error) {
	for i := 0; i < n; i++ {
		if err := pe.p.Send(msg); err != nil {
			return 0, err
		}
	}
	return pe.finish(n)
}

func (pe *Peer) finish(n int) (int, error) {
	if err := pe.p.Send(doneMsg); err != nil {
		return 0, err
	}
	m, err := pe.Recv()
	if err != nil {
		return 0, err
	}
	var r SinkReport
	if err := m.Decode(&r); err != nil {
		return 0, err
	}
	if r.Count != n {
		return 0, fmt.Errorf("bench: sink counted %d messages, want %d", r.Count, n)
	}
	return r.Bytes, nil
}

// Echo sends msg n times to a RoleEcho or Node echo peer, from a goroutine
// of its own, while it receives the n echoes; it returns the bytes that
// came back. When it fails, the sending goroutine ends once Close has
// ended the child.
func (pe *Peer) Echo(n int, msg ipc.Message) (int, error) {
	sent := make(chan error, 1)
	go func() {
		for i := 0; i < n; i++ {
			if err := pe.p.Send(msg); err != nil {
				sent <- err
				return
			}
		}
		sent <- nil
	}()
	total := 0
	for i := 0; i < n; i++ {
		m, err := pe.Recv()
		if err != nil {
			return total, err
		}
		if len(m) != len(msg) {
			return total, fmt.Errorf("bench: echo %d has %d bytes, want %d", i, len(m), len(msg))
		}
		total += len(m)
	}
	return total, <-sent
}

// ReceiveSmall asks a RoleSource peer for its messages and receives them
// (raw: not decoded), returning how many arrived before "done".
func (pe *Peer) ReceiveSmall() (int, error) {
	if err := pe.p.Send(goMsg); err != nil {
		return 0, err
	}
	n := 0
	for {
		m, err := pe.Recv()
		if err != nil {
			return n, err
		}
		if bytes.Equal(m, doneMsg) {
			return n, nil
		}
		n++
	}
}

// Close disconnects the peer and waits for it to exit.
func (pe *Peer) Close() error {
	defer pe.cancel()
	if pe.dir != "" {
		defer os.RemoveAll(pe.dir)
	}
	pe.p.Disconnect()
	err := pe.p.Wait()
	for range pe.p.Events() {
	}
	return err
}

// Payload returns one JSON object {"data":"xxx…"} exactly size bytes long,
// pre-encoded, the message of the 64 KiB scenario.
func Payload(size int) ipc.Message {
	const head, tail = `{"data":"`, `"}`
	n := max(0, size-len(head)-len(tail))
	return ipc.Message(head + strings.Repeat("x", n) + tail)
}

// PayloadMap returns the same object as Payload as a map, which Send
// encodes every time.
func PayloadMap(size int) map[string]any {
	var v map[string]any
	if err := json.Unmarshal(Payload(size), &v); err != nil {
		panic(err)
	}
	return v
}
