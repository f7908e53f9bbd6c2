package cluster

import (
	"net"
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// setReusePort is a net.ListenConfig.Control that sets SO_REUSEPORT (and
// SO_REUSEADDR) before the socket is bound.
func setReusePort(network, address string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
		if serr == nil {
			serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
		}
	})
	if err != nil {
		return err
	}
	return serr
}

// reserve binds, without listening, a TCP socket with SO_REUSEPORT on
// address: it fixes the port (port 0 is resolved once for all workers)
// and keeps it for the cluster's lifetime, while receiving no connection
// itself (only listening sockets do). Workers bind the socket's bind
// address.
func reserve(network, address string) (*socket, error) {
	if network != "tcp" && network != "tcp4" && network != "tcp6" {
		return nil, errReusePort
	}
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	ta, err := net.ResolveTCPAddr(network, address)
	if err != nil {
		return nil, err
	}
	wildcard := ta.IP == nil || ta.IP.IsUnspecified()
	v4 := network == "tcp4" || ta.IP.To4() != nil && !(wildcard && network == "tcp")
	fd, bound, err := bindReusePort(ta, v4, wildcard && network == "tcp")
	if err != nil && !v4 && network == "tcp" {
		fd, bound, err = bindReusePort(ta, true, false) // no IPv6 here
	}
	if err != nil {
		return nil, err
	}
	return &socket{
		network: network,
		addr:    bound,
		file:    os.NewFile(uintptr(fd), "reuseport "+bound.String()),
		bind:    net.JoinHostPort(host, strconv.Itoa(bound.Port)),
	}, nil
}

func bindReusePort(ta *net.TCPAddr, v4, dual bool) (int, *net.TCPAddr, error) {
	family := unix.AF_INET6
	if v4 {
		family = unix.AF_INET
	}
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, nil, os.NewSyscallError("socket", err)
	}
	fail := func(op string, err error) (int, *net.TCPAddr, error) {
		unix.Close(fd)
		return -1, nil, os.NewSyscallError(op, err)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
		return fail("setsockopt", err)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1); err != nil {
		return fail("setsockopt", err)
	}
	var sa unix.Sockaddr
	if v4 {
		a := &unix.SockaddrInet4{Port: ta.Port}
		if ip := ta.IP.To4(); ip != nil {
			copy(a.Addr[:], ip)
		}
		sa = a
	} else {
		v6only := 1
		if dual {
			v6only = 0
		}
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, v6only); err != nil {
			return fail("setsockopt", err)
		}
		a := &unix.SockaddrInet6{Port: ta.Port}
		if ta.IP != nil && !ta.IP.IsUnspecified() {
			copy(a.Addr[:], ta.IP.To16())
		}
		sa = a
	}
	if err := unix.Bind(fd, sa); err != nil {
		return fail("bind", err)
	}
	got, err := unix.Getsockname(fd)
	if err != nil {
		return fail("getsockname", err)
	}
	out := &net.TCPAddr{}
	switch a := got.(type) {
	case *unix.SockaddrInet4:
		out.IP, out.Port = net.IP(a.Addr[:]).To16(), a.Port
	case *unix.SockaddrInet6:
		out.IP, out.Port = net.IP(a.Addr[:]), a.Port
	}
	return fd, out, nil
}
