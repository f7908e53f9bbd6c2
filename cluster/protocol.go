package cluster

import (
	"errors"
	"os"

	"github.com/spawnkit/spawnkit/ipc"
)

// The environment variable that makes a process a worker: "ID:SLOT". Run
// reads it, and removes it so that the worker's own children are not
// workers.
const workerEnv = "SPAWNKIT_CLUSTER_WORKER"

// Operations of the wire protocol between the primary and a worker. Every
// message on the channel is one envelope; user messages travel in Data of
// an opMessage envelope, untouched.
const (
	// worker → primary
	opOnline    = "online"    // the worker's Run started
	opListen    = "listen"    // please give me a socket for Network, Addr; Seq
	opListening = "listening" // Listen succeeded at Addr
	opReady     = "ready"     // Worker.Ready
	opPong      = "pong"      // answer to opPing, Seq
	opUnlisten  = "unlisten"  // Sticky: the listener for Socket closed: pass no more connections
	opConnBack  = "conn-back" // Sticky: a connection for Socket (with SendFile) that came after its listener closed
	// primary → worker
	opPing        = "ping"         // Seq
	opListenReply = "listen-reply" // Seq; the socket (with SendFile), or Addr (ReusePort) or Err
	opStop        = "stop"         // stop accepting, drain, return
	opConn        = "conn"         // Sticky: an accepted connection (with SendFile) for Socket
	// both ways
	opMessage = "message" // Data
)

// envelope is one protocol message.
type envelope struct {
	Op        string      `json:"spawnkitCluster"`
	Seq       uint64      `json:"seq,omitempty"`
	Network   string      `json:"network,omitempty"`
	Addr      string      `json:"addr,omitempty"`
	ReusePort bool        `json:"reusePort,omitempty"`
	Sticky    bool        `json:"sticky,omitempty"`
	Socket    int         `json:"socket,omitempty"`
	Err       string      `json:"err,omitempty"`
	Data      ipc.Message `json:"data,omitempty"`
}

// recvEnvelope returns the next message on ch and the descriptor that came
// with it, skipping lines that are not JSON. A message that is not a
// protocol envelope has Op "" (the caller ignores it and closes the
// descriptor). The error is the channel's, once it can deliver no more.
func recvEnvelope(ch *ipc.Channel) (envelope, *os.File, error) {
	for {
		m, f, err := ch.RecvFile()
		if err != nil {
			if errors.As(err, new(*ipc.SyntaxError)) {
				continue
			}
			return envelope{}, nil, err
		}
		var env envelope
		if m.Decode(&env) != nil {
			env.Op = ""
		}
		return env, f, nil
	}
}
