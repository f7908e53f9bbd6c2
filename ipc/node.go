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
	cmdHandle     = "NODE_HANDLE"
	cmdHandleAck  = "NODE_HANDLE_ACK"
	cmdHandleNack = "NODE_HANDLE_NACK"
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
	return decodeInternal(line)
}

// decodeInternal is the slow path of internal, apart so that the variables
// json.Unmarshal is given do not go to the heap on every message.
func decodeInternal(line []byte) (obj map[string]json.RawMessage, cmd string, ok bool) {
	if json.Unmarshal(line, &obj) != nil {
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
// "msg" of a NODE_HANDLE envelope, with the descriptor.
func (c *Channel) handleInternal(obj map[string]json.RawMessage, cmd string, fd int) (m Message, outFD int, deliver bool) {
	if cmd != cmdHandle {
		// NODE_HANDLE_ACK/NACK answer our SendFile, which needs no
		// acknowledgement; NODE_CLUSTER and the rest are not ours.
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

// reply sends an acknowledgement without making the receiving side wait
// for it to be written: a Go sender does not read while it sends (it needs
// no acknowledgement), so once its socket and ours were full, a Recv
// blocked writing an acknowledgement and a SendFile blocked writing the
// next handle would wait for each other forever. A goroutine writes the
// pending replies, in order, and ends when there are none left, or when the
// channel fails or is closed (the rest are dropped: the peer is gone).
func (c *Channel) reply(line []byte) {
	c.replyMu.Lock()
	defer c.replyMu.Unlock()
	c.replies = append(c.replies, line...)
	if !c.replying {
		c.replying = true
		go c.writeReplies()
	}
}

func (c *Channel) writeReplies() {
	for {
		c.replyMu.Lock()
		b := c.replies
		c.replies = nil
		if len(b) == 0 {
			c.replying = false
			c.replyMu.Unlock()
			return
		}
		c.replyMu.Unlock()
		if c.write(b) != nil {
			c.replyMu.Lock()
			c.replies = nil
			c.replying = false
			c.replyMu.Unlock()
			return
		}
	}
}

func closeFD(fd int) {
	if fd >= 0 {
		syscall.Close(fd)
	}
}

// handleType names the kind of handle Node should make of fd in a
// NODE_HANDLE envelope (the keys of handleConversion in
// lib/internal/child_process.js): a listening stream socket becomes a
// net.Server, a connected one a net.Socket, anything else is passed as a
// native handle. Node can only adopt sockets (libuv's uv_pipe_pending_type
// knows TCP, UDP and Unix-domain sockets); a Go receiver takes anything.
func handleType(fd int) string {
	typ, err := syscall.GetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_TYPE)
	if err != nil {
		return "net.Native"
	}
	switch typ {
	case syscall.SOCK_STREAM:
		if acc, err := syscall.GetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_ACCEPTCONN); err == nil && acc != 0 {
			return "net.Server"
		}
		return "net.Socket"
	case syscall.SOCK_DGRAM:
		return "dgram.Native"
	}
	return "net.Native"
}
