package ipc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
)

// Marshal returns the JSON value that [Channel.Send] writes for v, without
// the newline: the one encoding of a message, for callers that embed it in
// a larger value they send (cluster and pool wrap user values this way).
//
// A [Message] or json.RawMessage is taken as it is, or compacted when it
// spans several lines, as Send does; unlike Send, Marshal also checks that
// a raw value on one line is valid JSON, so that it fails here rather than
// when the value holding it is sent. A raw value on one line is returned
// as it is (the same bytes, not a copy); an empty one is an error. Any
// other value is encoded with encoding/json without HTML escaping, as
// Node's JSON.stringify does ("<" stays "<", not "\u003c"); a value JSON
// cannot represent (NaN, a channel, ...) is an error, worded as Send's.
func Marshal(v any) (Message, error) {
	if raw, ok := rawOf(v); ok && len(raw) > 0 && bytes.IndexByte(raw, '\n') < 0 {
		if !json.Valid(raw) {
			var b bytes.Buffer
			return nil, fmt.Errorf("ipc: invalid raw message: %w", json.Compact(&b, raw))
		}
		return Message(raw), nil
	}
	e := encPool.Get().(*encBuf)
	defer putEncBuf(e)
	if err := encodeLine(e, v); err != nil {
		return nil, err
	}
	line := e.b.Bytes()
	return Message(bytes.Clone(line[:len(line)-1])), nil
}

// encBuf is a pooled buffer with an encoder writing into it.
type encBuf struct {
	b   bytes.Buffer
	enc *json.Encoder
}

var encPool = sync.Pool{New: func() any {
	e := new(encBuf)
	e.enc = json.NewEncoder(&e.b)
	e.enc.SetEscapeHTML(false)
	return e
}}

func putEncBuf(e *encBuf) {
	if e.b.Cap() <= 1<<20 {
		e.b.Reset()
		encPool.Put(e)
	}
}

// rawOf reports whether v is to be sent as raw JSON text.
func rawOf(v any) ([]byte, bool) {
	switch m := v.(type) {
	case Message:
		return m, true
	case json.RawMessage:
		return m, true
	}
	return nil, false
}

// encodeLine writes v as one line of JSON (with its trailing newline) into
// e.b.
func encodeLine(e *encBuf, v any) error {
	if raw, ok := rawOf(v); ok {
		if len(raw) == 0 {
			return errors.New("ipc: cannot send an empty raw message")
		}
		if bytes.IndexByte(raw, '\n') >= 0 {
			if err := json.Compact(&e.b, raw); err != nil {
				return fmt.Errorf("ipc: invalid raw message: %w", err)
			}
		} else {
			e.b.Write(raw)
		}
		e.b.WriteByte('\n')
		return nil
	}
	if err := e.enc.Encode(v); err != nil {
		return fmt.Errorf("ipc: %w", err)
	}
	return nil
}
