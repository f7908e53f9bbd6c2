package ipc

import (
	"errors"
	"fmt"
	"os"
	"time"
)

// errUnsupported is what every entry point returns on Windows.
var errUnsupported = fmt.Errorf("ipc: not supported on windows: the channel is a Unix-domain socketpair passing descriptors with SCM_RIGHTS; Node's Windows IPC (a named pipe, handles passed with DuplicateHandle) is not implemented: %w", errors.ErrUnsupported)

// A Channel is one end of a message channel. On Windows none can be made:
// every function and method returns an error matching
// errors.ErrUnsupported.
type Channel struct{}

// New returns an error matching errors.ErrUnsupported on Windows; f is left
// untouched.
func New(f *os.File, opts *Options) (*Channel, error) { return nil, errUnsupported }

// Pair returns an error matching errors.ErrUnsupported on Windows.
func Pair() (parent *Channel, child *os.File, err error) { return nil, nil, errUnsupported }

// FromParent returns ErrNoParent when NODE_CHANNEL_FD is unset or empty, and
// an error matching errors.ErrUnsupported otherwise, on Windows.
func FromParent() (*Channel, error) {
	if os.Getenv("NODE_CHANNEL_FD") == "" {
		return nil, ErrNoParent
	}
	return nil, errUnsupported
}

// Send returns an error matching errors.ErrUnsupported on Windows.
func (c *Channel) Send(v any) error { return errUnsupported }

// Recv returns an error matching errors.ErrUnsupported on Windows.
func (c *Channel) Recv() (Message, error) { return nil, errUnsupported }

// AppendRecv returns dst and an error matching errors.ErrUnsupported on
// Windows.
func (c *Channel) AppendRecv(dst Message) (Message, error) { return dst, errUnsupported }

// SendFile returns an error matching errors.ErrUnsupported on Windows.
func (c *Channel) SendFile(v any, f *os.File) error { return errUnsupported }

// RecvFile returns an error matching errors.ErrUnsupported on Windows.
func (c *Channel) RecvFile() (Message, *os.File, error) { return nil, nil, errUnsupported }

// Close does nothing and returns nil on Windows.
func (c *Channel) Close() error { return nil }

// SetReadDeadline returns an error matching errors.ErrUnsupported on
// Windows.
func (c *Channel) SetReadDeadline(t time.Time) error { return errUnsupported }
