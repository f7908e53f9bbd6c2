//go:build unix

package main

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// listener is one socket passed to every worker: fd 3 + its index.
type listener struct {
	name    string   // its LISTEN_FDNAMES entry
	network string   // tcp, tcp4, tcp6, unix
	addr    string   // where it is bound, for logs and status
	file    *os.File // blocking-agnostic: never made pollable, never switched
	unlink  string   // a Unix socket path to remove at exit
}

// parseListen splits a -l value, NAME=URL or URL, into its parts. URL is
// tcp://HOST:PORT (tcp4, tcp6 too) or unix:///PATH; an unnamed socket is
// named "unknown", as systemd names it.
func parseListen(v string) (name, network, address string, err error) {
	name = "unknown"
	if n, rest, ok := strings.Cut(v, "="); ok && !strings.Contains(n, "://") {
		name, v = n, rest
	}
	if name == "" || strings.ContainsAny(name, ":\n") || len(name) > 255 {
		return "", "", "", fmt.Errorf("-l %s: a socket name is 1 to 255 characters, no ':'", v)
	}
	u, err := url.Parse(v)
	if err != nil {
		return "", "", "", fmt.Errorf("-l %s: %w", v, err)
	}
	switch u.Scheme {
	case "tcp", "tcp4", "tcp6":
		if u.Host == "" || u.Path != "" {
			return "", "", "", fmt.Errorf("-l %s: want %s://HOST:PORT", v, u.Scheme)
		}
		return name, u.Scheme, u.Host, nil
	case "unix":
		p := u.Path
		if u.Host != "" {
			p = u.Host + u.Path // unix://relative/path
		}
		if p == "" {
			return "", "", "", fmt.Errorf("-l %s: want unix:///PATH", v)
		}
		return name, "unix", p, nil
	}
	return "", "", "", fmt.Errorf("-l %s: unsupported scheme %q (want tcp, tcp4, tcp6 or unix)", v, u.Scheme)
}

// bind opens a listening socket the way systemd does for
// ListenStream=: SO_REUSEADDR (Go's default), blocking mode, and then
// leaves it alone: O_NONBLOCK and the socket options belong to the socket
// every worker shares, so only the workers change them. A stale Unix
// socket file (nobody accepting) is replaced.
func bind(name, network, address string) (*listener, error) {
	if network == "unix" {
		removeStale(address)
	}
	ln, err := net.Listen(network, address)
	if err != nil {
		return nil, fmt.Errorf("listen %s %s: %w", network, address, err)
	}
	l := &listener{name: name, network: network, addr: ln.Addr().String()}
	if ul, ok := ln.(*net.UnixListener); ok {
		ul.SetUnlinkOnClose(false)
		l.unlink = address
	}
	defer ln.Close()
	rc, err := ln.(syscall.Conn).SyscallConn()
	if err != nil {
		return nil, err
	}
	var fd int
	var dupErr error
	err = rc.Control(func(s uintptr) {
		fd, dupErr = unix.FcntlInt(s, unix.F_DUPFD_CLOEXEC, 0)
		if dupErr == nil {
			// Once, before any worker has it: systemd passes blocking sockets.
			dupErr = unix.SetNonblock(fd, false)
		}
	})
	if err == nil {
		err = dupErr
	}
	if err != nil {
		if l.unlink != "" {
			os.Remove(l.unlink)
		}
		return nil, fmt.Errorf("listen %s %s: %w", network, address, err)
	}
	// A blocking descriptor: os.NewFile neither registers it with the
	// poller nor lets File.Fd switch its mode when workers are started.
	l.file = os.NewFile(uintptr(fd), name)
	return l, nil
}

// removeStale removes path when it is a Unix socket nobody accepts on.
func removeStale(path string) {
	fi, err := os.Lstat(path)
	if err != nil || fi.Mode()&os.ModeSocket == 0 {
		return
	}
	c, err := net.Dial("unix", path)
	if err == nil {
		c.Close()
		return
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		os.Remove(path)
	}
}

// adoptActivated returns the sockets systemd passed to this process
// (sd_listen_fds(3)): LISTEN_FDS descriptors from fd 3, named by
// LISTEN_FDNAMES, when LISTEN_PID is this process. It removes the three
// variables from the environment and marks the descriptors close-on-exec
// (workers get them through ExtraFiles); it changes nothing else about
// them.
func adoptActivated() []*listener {
	pid, err := strconv.Atoi(os.Getenv("LISTEN_PID"))
	n, nerr := strconv.Atoi(os.Getenv("LISTEN_FDS"))
	names := strings.Split(os.Getenv("LISTEN_FDNAMES"), ":")
	os.Unsetenv("LISTEN_PID")
	os.Unsetenv("LISTEN_FDS")
	os.Unsetenv("LISTEN_FDNAMES")
	if err != nil || nerr != nil || pid != os.Getpid() || n <= 0 {
		return nil
	}
	var out []*listener
	for i := range n {
		fd := 3 + i
		syscall.CloseOnExec(fd)
		l := &listener{name: "unknown", network: "unknown"}
		if i < len(names) && names[i] != "" {
			l.name = names[i]
		}
		if sa, err := unix.Getsockname(fd); err == nil {
			l.network, l.addr = describeSockaddr(sa)
		}
		l.file = os.NewFile(uintptr(fd), l.name)
		out = append(out, l)
	}
	return out
}

func describeSockaddr(sa unix.Sockaddr) (network, addr string) {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return "tcp", net.JoinHostPort(net.IP(a.Addr[:]).String(), strconv.Itoa(a.Port))
	case *unix.SockaddrInet6:
		return "tcp", net.JoinHostPort(net.IP(a.Addr[:]).String(), strconv.Itoa(a.Port))
	case *unix.SockaddrUnix:
		return "unix", a.Name
	}
	return "unknown", ""
}

// close closes the supervisor's copy and removes a Unix socket's file.
func (l *listener) close() {
	l.file.Close()
	if l.unlink != "" {
		os.Remove(l.unlink)
	}
}
