//go:build !linux

package cluster

import (
	"errors"
	"fmt"
	"syscall"
)

// errReusePortOS is why Config.ReusePort is refused here: only Linux
// balances connections over sockets bound with SO_REUSEPORT (darwin,
// OpenBSD and NetBSD hand them all to one socket; FreeBSD's
// SO_REUSEPORT_LB is not used yet).
var errReusePortOS = fmt.Errorf("ReusePort needs Linux's load-balancing SO_REUSEPORT: %w", errors.ErrUnsupported)

func setReusePort(network, address string, c syscall.RawConn) error { return errReusePortOS }

func reserve(network, address string) (*socket, error) {
	if network != "tcp" && network != "tcp4" && network != "tcp6" {
		return nil, errReusePort
	}
	return nil, errReusePortOS
}
