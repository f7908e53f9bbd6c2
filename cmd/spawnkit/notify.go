//go:build unix

package main

import (
	"bufio"
	"errors"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spawnkit/spawnkit/ipc"
)

// handleNotify applies one sd_notify message (newline-separated
// assignments) sent by w or on its behalf. The message is matched to w by
// the socket or pipe it arrived on, never by the sender's pid: systemd-notify
// and shell scripts send from another process.
func (s *supervisor) handleNotify(w *worker, msg string) {
	for line := range strings.SplitSeq(msg, "\n") {
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		switch k {
		case "READY":
			if v == "1" {
				s.markReady(w, "READY=1")
			}
		case "STOPPING":
			if v == "1" {
				w.mu.Lock()
				w.selfStopping = true
				w.mu.Unlock()
			}
		case "WATCHDOG":
			switch v {
			case "1":
				w.mu.Lock()
				w.lastPet = time.Now()
				w.mu.Unlock()
			case "trigger":
				s.killWorker(w, "it sent WATCHDOG=trigger")
			}
		case "STATUS":
			w.mu.Lock()
			w.status = v
			w.mu.Unlock()
		}
	}
}

// readNotifySocket reads w's NOTIFY_SOCKET until it is closed. Descriptors
// sent along (BARRIER=1 passes one) are closed at once: closing them is
// the answer a barrier waits for.
func (s *supervisor) readNotifySocket(w *worker, c *net.UnixConn) {
	buf := make([]byte, 8192)
	oob := make([]byte, syscall.CmsgSpace(64*4))
	for {
		n, oobn, _, _, err := c.ReadMsgUnix(buf, oob)
		if oobn > 0 {
			closeRights(oob[:oobn])
		}
		if err != nil {
			if n == 0 && oobn == 0 {
				return
			}
			continue
		}
		s.handleNotify(w, string(buf[:n]))
	}
}

func closeRights(oob []byte) {
	msgs, err := syscall.ParseSocketControlMessage(oob)
	if err != nil {
		return
	}
	for _, m := range msgs {
		fds, err := syscall.ParseUnixRights(&m)
		if err != nil {
			continue
		}
		for _, fd := range fds {
			syscall.Close(fd)
		}
	}
}

// readNotifyFD reads the NOTIFY_FD pipe: the same assignments as on
// NOTIFY_SOCKET, one per line, for runtimes without datagram sockets
// (Node: fs.writeSync(+process.env.NOTIFY_FD, 'READY=1\n')).
func (s *supervisor) readNotifyFD(w *worker, r *os.File) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), 64<<10)
	for sc.Scan() {
		s.handleNotify(w, sc.Text())
	}
}

// readIPC reads the Node IPC channel of a worker started with --ipc:
// process.send('ready') is READY=1, and a string message holding
// assignments ('WATCHDOG=1', 'STATUS=…') is read as an sd_notify message.
// Other messages are ignored.
func (s *supervisor) readIPC(w *worker, ch *ipc.Channel) {
	for {
		m, err := ch.Recv()
		if err != nil {
			if errors.As(err, new(*ipc.SyntaxError)) {
				continue
			}
			return
		}
		var v string
		if m.Decode(&v) != nil {
			continue
		}
		if v == "ready" {
			v = "READY=1"
		}
		s.handleNotify(w, v)
	}
}

// sdNotify sends state to the supervisor's own NOTIFY_SOCKET (systemd's,
// when it runs as a Type=notify service); it does nothing without one.
func sdNotify(socket, state string) {
	if socket == "" {
		return
	}
	if socket[0] == '@' {
		socket = "\x00" + socket[1:]
	}
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: socket, Net: "unixgram"})
	if err != nil {
		return
	}
	defer c.Close()
	c.Write([]byte(state))
}

// monotonicUsec is CLOCK_MONOTONIC in µs, for RELOADING=1's MONOTONIC_USEC.
func monotonicUsec() string {
	return strconv.FormatInt(monotonicNow()/1000, 10)
}
