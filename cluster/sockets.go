package cluster

import (
	"context"
	"errors"
	"net"
	"os"
	"strconv"
	"sync"
)

// socket is one listening socket the primary owns: opened by it on a
// worker's first request for an address, or inherited (systemd).
type socket struct {
	network   string
	requested string   // the address as first asked for ("" for inherited)
	addr      net.Addr // where it is bound
	file      *os.File // the primary's descriptor, handed to workers with SendFile
	unlink    string   // a Unix socket path to remove on close
	bind      string   // ReusePort: the address workers bind (port 0 resolved)
	id        int      // 1, 2, … in the order opened
	routed    bool     // Sticky: the primary's router accepts on it
}

// sockets is the primary's table of listening sockets. In ReusePort mode
// the files are bound but not listening: they only reserve the port.
type sockets struct {
	mu        sync.Mutex
	reusePort bool
	list      []*socket
	closed    bool
}

// byID returns the socket with that id, or nil.
func (t *sockets) byID(id int) *socket {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, s := range t.list {
		if s.id == id {
			return s
		}
	}
	return nil
}

// get returns the socket for network and address: the one opened for the
// same request before, an inherited one bound to that address, or a new
// one.
func (t *sockets) get(network, address string) (*socket, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil, ErrClosed
	}
	for _, s := range t.list {
		if s.network == network && s.requested == address && s.requested != "" {
			return s, nil
		}
	}
	for _, s := range t.list {
		if s.requested == "" && matches(s, network, address) {
			return s, nil
		}
	}
	var s *socket
	var err error
	if t.reusePort {
		s, err = reserve(network, address)
	} else {
		s, err = open(network, address)
	}
	if err != nil {
		return nil, err
	}
	s.requested = address
	t.list = append(t.list, s)
	s.id = len(t.list)
	return s, nil
}

// adopt adds sockets opened by someone else (systemd).
func (t *sockets) adopt(files []*os.File) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, f := range files {
		l, err := net.FileListener(f)
		if err != nil {
			f.Close()
			continue
		}
		addr := l.Addr()
		l.Close()
		t.list = append(t.list, &socket{network: addr.Network(), addr: addr, file: f, id: len(t.list) + 1})
	}
}

// close closes every socket; later gets fail with ErrClosed.
func (t *sockets) close() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.closed = true
	for _, s := range t.list {
		s.file.Close()
		if s.unlink != "" {
			os.Remove(s.unlink)
		}
	}
	t.list = nil
}

// addrs returns the bound addresses.
func (t *sockets) addrs() []net.Addr {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []net.Addr
	for _, s := range t.list {
		out = append(out, s.addr)
	}
	return out
}

// matches reports whether an inherited socket s serves a request for
// network and address: same kind of socket, and same port and IP, an
// unspecified IP matching any.
func matches(s *socket, network, address string) bool {
	switch a := s.addr.(type) {
	case *net.TCPAddr:
		if network != "tcp" && network != "tcp4" && network != "tcp6" {
			return false
		}
		host, port, err := net.SplitHostPort(address)
		if err != nil {
			return false
		}
		p, err := strconv.Atoi(port)
		if err != nil || p == 0 || p != a.Port {
			return false
		}
		if host == "" {
			return true
		}
		ip := net.ParseIP(host)
		if ip == nil {
			ips, err := net.DefaultResolver.LookupIP(context.Background(), "ip", host)
			if err != nil || len(ips) == 0 {
				return false
			}
			ip = ips[0]
		}
		return ip.Equal(a.IP) || a.IP.IsUnspecified() && ip.IsUnspecified()
	case *net.UnixAddr:
		return network == a.Net && address == a.Name
	}
	return false
}

// open creates a listening socket for the shared mode.
func open(network, address string) (*socket, error) {
	switch network {
	case "tcp", "tcp4", "tcp6", "unix", "unixpacket":
	default:
		return nil, errUnsupported
	}
	l, err := net.Listen(network, address)
	if err != nil {
		return nil, err
	}
	s := &socket{network: network, addr: l.Addr()}
	if ul, ok := l.(*net.UnixListener); ok {
		ul.SetUnlinkOnClose(false)
		s.unlink = address
	}
	f, err := l.(interface{ File() (*os.File, error) }).File()
	l.Close()
	if err != nil {
		if s.unlink != "" {
			os.Remove(s.unlink)
		}
		return nil, err
	}
	s.file = f
	return s, nil
}

// The errors get returns are sent to the worker as text, where
// [Worker.Listen] prefixes them with "cluster: listen NETWORK ADDRESS: ".
var (
	errUnsupported = errors.New("unsupported network")
	errReusePort   = errors.New("ReusePort needs a TCP network")
)
