package ipc

import (
	"encoding/json"
	"errors"
	"fmt"
)

// DefaultMaxMessageSize is the size limit of one message when
// [Options].MaxMessageSize is zero: 64 MiB.
const DefaultMaxMessageSize = 64 << 20

var (
	// ErrNoParent is returned by [FromParent] when the process was not
	// started with a channel (NODE_CHANNEL_FD is unset or empty).
	ErrNoParent = errors.New("ipc: process was not started with an IPC channel (NODE_CHANNEL_FD is not set)")

	// ErrTooLarge is returned by [Channel.Recv] when the peer sends a message
	// longer than the size limit, and by [Channel.Send] when asked to send
	// one. A receiving channel is closed when it returns ErrTooLarge, and
	// every later Recv returns ErrTooLarge again.
	ErrTooLarge = errors.New("ipc: message exceeds the size limit")
)

// Options configures a [Channel]. [New] takes them by pointer, nil meaning
// all defaults, and copies what it needs (it never modifies or keeps them);
// a zero field is its default, and a negative one an error naming the field
// (the channel always has a size limit).
type Options struct {
	// MaxMessageSize is the largest message, in bytes of JSON text without
	// the trailing newline, that the channel receives or sends. Zero means
	// DefaultMaxMessageSize; a negative value is an error from New, since
	// no limit would let a peer make the receiver buffer without bound.
	// Receiving never buffers more than MaxMessageSize plus one read buffer
	// (64 KiB).
	MaxMessageSize int
}

// A Message is one JSON value exactly as it travelled on the channel,
// without the trailing newline. Messages returned by [Channel.Recv] are
// owned by the caller. A Message marshals to itself with encoding/json, so
// it can be embedded in a larger value that is sent.
type Message []byte

// Decode unmarshals the message into v with encoding/json (json.Unmarshal).
// Numbers decoded into interface values become float64, which, like
// JavaScript numbers, are exact up to 2^53; decode into an int64 or
// json.Number field to keep larger integers exact.
func (m Message) Decode(v any) error {
	return json.Unmarshal(m, v)
}

// MarshalJSON returns m unchanged, or "null" for a nil Message.
func (m Message) MarshalJSON() ([]byte, error) {
	if m == nil {
		return []byte("null"), nil
	}
	return m, nil
}

// UnmarshalJSON sets *m to a copy of data.
func (m *Message) UnmarshalJSON(data []byte) error {
	if m == nil {
		return errors.New("ipc: UnmarshalJSON on nil *Message")
	}
	*m = append((*m)[:0], data...)
	return nil
}

// String returns the JSON text of m.
func (m Message) String() string { return string(m) }

// A SyntaxError reports a received line that is not valid JSON. The line is
// consumed; the channel stays usable.
type SyntaxError struct {
	Offset     int64  // stream offset of the byte where the error was found (the first byte ever received is 0)
	LineOffset int64  // stream offset of the first byte of the line
	Msg        string // what was wrong
}

// Error describes the error with both offsets.
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("ipc: invalid JSON at stream offset %d (message starting at offset %d): %s",
		e.Offset, e.LineOffset, e.Msg)
}
