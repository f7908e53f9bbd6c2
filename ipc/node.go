//go:build unix

package ipc

import (
	"bytes"
	"encoding/json"
	"strings"
	"syscall"
)

// Node's internal messages (lib/internal/child_process.js): an object whose
// "cmd" is a string longer than "NODE_" that starts with "NODE_"
// (isInternal). They travel on the same channel as user messages and are
// never delivered as user messages.

const (
	cmdHandle            = "NODE_HANDLE"
	cmdHandleAck         = "NODE_HANDLE_ACK"
	cmdHandleNack        = "NODE_HANDLE_NACK"
	cmdSocketGetCount    = "NODE_SOCKET_GET_COUNT"
	cmdSocketCount       = "NODE_SOCKET_COUNT"
	cmdSocketNotifyClose = "NODE_SOCKET_NOTIFY_CLOSE"
	cmdSocketAllClosed   = "NODE_SOCKET_ALL_CLOSED"
)

var (
	ackLine  = []byte(`{"cmd":"NODE_HANDLE_ACK"}` + "\n")
	nackLine = []byte(`{"cmd":"NODE_HANDLE_NACK"}` + "\n")
	nodeTag  = []byte("NODE_")
	escTag   = []byte(`\u`)
)

// internal reports whether line (valid JSON) is one of Node's internal
// messages, and returns its members if it is. A line without "NODE_" (or a
// \u escape that could spell it) is rejected without decoding it.
func internal(line []byte) (obj map[string]json.RawMessage, cmd string, ok bool) {
	i := skipSpace(line, 0)
	if i >= len(line) || line[i] != '{' {
		return nil, "", false
	}
	if !bytes.Contains(line, nodeTag) && !bytes.Contains(line, escTag) {
		return nil, "", false
	}
	if !cmdMayBeInternal(line) {
		// A user's message that has a "cmd" and mentions "NODE_"
		// elsewhere, or has an escape: no allocation for it, so that
		// AppendRecv allocates nothing.
		return nil, "", false
	}
	return decodeInternal(line)
}

// cmdMayBeInternal reports whether the object in line (valid JSON) may be
// one of Node's internal messages, without allocating: only when its last
// "cmd" member (JSON.parse keeps the last) is a string longer than
// "NODE_" that starts with it. A key or a "cmd" string with an escape in
// it may spell either: that is left to decodeInternal.
func cmdMayBeInternal(line []byte) bool {
	var cmd []byte
	i := skipSpace(line, skipSpace(line, 0)+1)
	for i < len(line) && line[i] == '"' {
		end := skipString(line, i)
		key := line[i+1 : end-1]
		if bytes.IndexByte(key, '\\') >= 0 {
			return true
		}
		i = skipSpace(line, skipSpace(line, end)+1) // past the colon
		vend := skipValue(line, i)
		if string(key) == "cmd" {
			cmd = line[i:vend]
		}
		i = skipSpace(line, vend)
		if i < len(line) && line[i] == ',' {
			i = skipSpace(line, i+1)
		}
	}
	if len(cmd) < 2 || cmd[0] != '"' {
		return false
	}
	s := cmd[1 : len(cmd)-1]
	if bytes.IndexByte(s, '\\') >= 0 {
		return true
	}
	return len(s) > len(nodeTag) && bytes.HasPrefix(s, nodeTag)
}

// decodeInternal is the slow path of internal, apart so that the variables
// json.Unmarshal is given do not go to the heap on every message. Members
// are found without decoding them: nesting of any depth is fine.
func decodeInternal(line []byte) (obj map[string]json.RawMessage, cmd string, ok bool) {
	obj, ok = objectMembers(line)
	if !ok {
		return nil, "", false
	}
	raw := obj["cmd"]
	if len(raw) == 0 || raw[0] != '"' {
		return nil, "", false
	}
	if json.Unmarshal(raw, &cmd) != nil {
		return nil, "", false
	}
	// JavaScript measures length in UTF-16 code units; after the ASCII
	// prefix any further character makes it longer than five, as does
	// any further byte here.
	if len(cmd) > len("NODE_") && strings.HasPrefix(cmd, "NODE_") {
		return obj, cmd, true
	}
	return nil, "", false
}

// handleInternal acts on an internal message that arrived with descriptor
// fd (or -1). It returns the user message it carries, if any: the inner
// "msg" of a NODE_HANDLE envelope, with the descriptor. Every answer it
// owes the peer is handed to reply before it returns, which writes it at
// once when the socket has room, so it is on the wire before the message
// is handed over (Node sends NODE_HANDLE_ACK before it emits 'message');
// when the socket is full the answer waits and the channel stops reading
// once maxAnswerBytes wait, so a peer that floods requests and never reads
// holds little memory of ours (answers.go).
func (c *Channel) handleInternal(obj map[string]json.RawMessage, cmd string, fd int) (m Message, outFD int, deliver bool) {
	switch cmd {
	case cmdHandle:
	case cmdHandleAck, cmdHandleNack:
		closeFD(fd)
		c.acknowledged(cmd == cmdHandleAck)
		return nil, -1, false
	case cmdSocketGetCount, cmdSocketNotifyClose:
		closeFD(fd)
		c.socketRequest(cmd, obj["key"])
		return nil, -1, false
	default:
		// NODE_CLUSTER and the rest are not ours.
		closeFD(fd)
		return nil, -1, false
	}
	// Node answers a NODE_HANDLE with NODE_HANDLE_ACK, or with
	// NODE_HANDLE_NACK when the descriptor did not arrive, and a Node
	// sender holds back every later message until it gets one. Errors are
	// swallowed, as in Node: the peer may be gone already.
	if fd < 0 {
		c.reply(nackLine)
		return nil, -1, false
	}
	c.reply(ackLine)
	if key := obj["key"]; len(key) > 0 && string(obj["type"]) == `"net.Socket"` {
		// A socket a Node net.Server accepted: its server asks how many
		// of them are still open (socket_list.js).
		c.socks.add(key, fd)
	}
	inner := obj["msg"]
	if len(inner) == 0 {
		inner = json.RawMessage("null")
	}
	if _, _, ok := internal(inner); ok {
		closeFD(fd)
		return nil, -1, false
	}
	return Message(inner), fd, true
}

func closeFD(fd int) {
	if fd >= 0 {
		syscall.Close(fd)
	}
}

// handleType names the kind of handle Node should make of fd in a
// NODE_HANDLE envelope (the keys of handleConversion in
// lib/internal/child_process.js), and returns the extra envelope members
// that kind needs: a listening stream socket becomes a net.Server, a
// connected one a net.Socket, a UDP socket a dgram.Socket (with
// "dgramType":"udp4" or "udp6", as Node's own sender writes), anything
// else is passed as a native handle. Node can only adopt sockets (libuv's
// uv_pipe_pending_type knows TCP, UDP and Unix-domain sockets); a Go
// receiver takes anything.
func handleType(fd int) (typ, extra string) {
	st, err := syscall.GetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_TYPE)
	if err != nil {
		return "net.Native", ""
	}
	switch st {
	case syscall.SOCK_STREAM:
		if acc, err := syscall.GetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_ACCEPTCONN); err == nil && acc != 0 {
			return "net.Server", ""
		}
		return "net.Socket", ""
	case syscall.SOCK_DGRAM:
		sa, err := syscall.Getsockname(fd)
		if err != nil {
			return "net.Native", ""
		}
		switch sa.(type) {
		case *syscall.SockaddrInet4:
			return "dgram.Socket", `"dgramType":"udp4",`
		case *syscall.SockaddrInet6:
			return "dgram.Socket", `"dgramType":"udp6",`
		}
	}
	return "net.Native", ""
}
