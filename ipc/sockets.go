//go:build unix

package ipc

import (
	"encoding/json"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// socketList answers the questions a Node net.Server asks about the
// sockets it accepted and passed to this process (lib/internal/
// socket_list.js, SocketListReceive): NODE_SOCKET_GET_COUNT, how many of
// them are still open, answered with NODE_SOCKET_COUNT; and
// NODE_SOCKET_NOTIFY_CLOSE, answered with NODE_SOCKET_ALL_CLOSED once none
// is (server.close() waits for that). Node tracks a socket until its
// 'close' event; a Go receiver owns a plain descriptor, so a socket counts
// as open while any descriptor of this process refers to it (the file
// RecvFile returned, or a duplicate such as the one net.FileConn makes).
// Sockets are recorded per key, the server's connection key that Node
// puts in the envelope; requests about a key never seen are not answered,
// as in Node, where no list exists for them.
type socketList struct {
	mu      sync.Mutex
	keys    map[string][]uint64 // key (raw JSON) → inodes of the sockets received
	waiters map[string]int      // key → NODE_SOCKET_NOTIFY_CLOSE requests not yet answered
}

// closePoll is how often the sockets of a key are checked while a
// NODE_SOCKET_NOTIFY_CLOSE waits for them to close.
const closePoll = 20 * time.Millisecond

// add records the socket fd, received with key.
func (l *socketList) add(key json.RawMessage, fd int) {
	var st syscall.Stat_t
	if syscall.Fstat(fd, &st) != nil {
		return
	}
	k := string(key)
	l.mu.Lock()
	if l.keys == nil {
		l.keys = make(map[string][]uint64)
	}
	l.keys[k] = append(l.keys[k], uint64(st.Ino))
	n := len(l.keys[k])
	l.mu.Unlock()
	if n >= 64 && n&(n-1) == 0 {
		// Forget the closed ones now and then, so that a peer passing
		// many sockets nobody asks about costs no memory.
		l.count(k)
	}
}

// count returns how many sockets of key are still open, forgetting the
// others, and whether key is known.
func (l *socketList) count(key string) (int, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	inos, ok := l.keys[key]
	if !ok {
		return 0, false
	}
	if len(inos) == 0 {
		return 0, true
	}
	open := openSocketInodes()
	kept := inos[:0]
	for _, ino := range inos {
		if open[ino] {
			kept = append(kept, ino)
		}
	}
	l.keys[key] = kept
	return len(kept), true
}

// socketRequest answers NODE_SOCKET_GET_COUNT and NODE_SOCKET_NOTIFY_CLOSE
// for key.
func (c *Channel) socketRequest(cmd string, key json.RawMessage) {
	if len(key) == 0 {
		return
	}
	n, ok := c.socks.count(string(key))
	if !ok {
		return
	}
	if cmd == cmdSocketGetCount {
		c.reply(socketLine(cmdSocketCount, key, n))
		return
	}
	if n == 0 {
		c.reply(socketLine(cmdSocketAllClosed, key, -1))
		return
	}
	l := &c.socks
	l.mu.Lock()
	if l.waiters == nil {
		l.waiters = make(map[string]int)
	}
	l.waiters[string(key)]++
	first := l.waiters[string(key)] == 1
	l.mu.Unlock()
	if first {
		c.bg.Add(1)
		go c.awaitClosed(string(key))
	}
}

// awaitClosed answers the NODE_SOCKET_NOTIFY_CLOSE requests about key
// once its sockets are all closed, or gives up when the channel closes.
func (c *Channel) awaitClosed(key string) {
	defer c.bg.Done()
	t := time.NewTicker(closePoll)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-t.C:
		}
		if n, _ := c.socks.count(key); n > 0 {
			continue
		}
		l := &c.socks
		l.mu.Lock()
		k := l.waiters[key]
		delete(l.waiters, key)
		l.mu.Unlock()
		line := socketLine(cmdSocketAllClosed, json.RawMessage(key), -1)
		for range k {
			c.reply(line)
		}
		return
	}
}

// socketLine formats a NODE_SOCKET_* answer; count < 0 leaves it out.
func socketLine(cmd string, key json.RawMessage, count int) []byte {
	b := append([]byte(`{"cmd":"`+cmd+`","key":`), key...)
	if count >= 0 {
		b = append(b, `,"count":`...)
		b = strconv.AppendInt(b, int64(count), 10)
	}
	return append(b, "}\n"...)
}
