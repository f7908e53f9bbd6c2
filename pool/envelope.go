package pool

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/spawnkit/spawnkit/ipc"
)

// maxMessage is the size limit of the channels between a pool and its
// workers: childproc.Fork opens them with ipc's defaults, on both sides.
const maxMessage = ipc.DefaultMaxMessageSize

// Tasks and results are encoded once, by encodeValue, and then written into
// their envelope ({"id":N,"task":T} or {"id":N,"result":R}) as they are:
// handing the encoded value to encoding/json inside a request or reply
// struct made it validate and copy the value again, which for a 64 MiB
// task took seconds before the size limit refused it.

// envelopeMin is the fewest bytes an envelope adds to the value it
// carries: {"id":1,"task":} (a result's {"id":1,"result":} is longer).
const envelopeMin = len(`{"id":1,"task":}`)

// encodeValue returns v as the compact JSON text that travels in the
// envelope: [ipc.Marshal]'s encoding, with an [ipc.Message] or
// json.RawMessage validated and compacted in one pass (json.Compact), as
// encoding/json did with it inside the envelope. An empty raw value is
// ipc.Marshal's error.
func encodeValue(v any) (ipc.Message, error) {
	var raw []byte
	switch m := v.(type) {
	case ipc.Message:
		raw = m
	case json.RawMessage:
		raw = m
	default:
		return ipc.Marshal(v)
	}
	if len(raw) == 0 {
		return ipc.Marshal(v)
	}
	var b bytes.Buffer
	b.Grow(len(raw))
	if err := json.Compact(&b, raw); err != nil {
		return nil, fmt.Errorf("ipc: invalid raw message: %w", err)
	}
	return b.Bytes(), nil
}

// checkSize returns an error matching [ipc.ErrTooLarge], naming what (a
// "task" or a "result"), when v, encoded, cannot fit the channel's size
// limit in the smallest envelope.
func checkSize(what string, v ipc.Message) error {
	if len(v) > maxMessage-envelopeMin {
		return fmt.Errorf("pool: %s of %d bytes: %w", what, len(v), ipc.ErrTooLarge)
	}
	return nil
}

// taskMessage returns the request {"id":id,"task":task} with
// ,"deadline":deadline when deadline is not 0: the bytes encoding/json
// writes for request{ID: id, Task: task, Deadline: deadline}, task being
// compact JSON from encodeValue.
func taskMessage(id uint64, task ipc.Message, deadline int64) ipc.Message {
	b := make([]byte, 0, len(task)+64)
	b = append(b, `{"id":`...)
	b = strconv.AppendUint(b, id, 10)
	b = append(b, `,"task":`...)
	b = append(b, task...)
	if deadline != 0 {
		b = append(b, `,"deadline":`...)
		b = strconv.AppendInt(b, deadline, 10)
	}
	return append(b, '}')
}

// resultMessage returns the reply {"id":id,"result":result}: the bytes
// encoding/json writes for reply{ID: id, Result: result}, result being
// compact JSON from encodeValue.
func resultMessage(id uint64, result ipc.Message) ipc.Message {
	b := make([]byte, 0, len(result)+32)
	b = append(b, `{"id":`...)
	b = strconv.AppendUint(b, id, 10)
	b = append(b, `,"result":`...)
	b = append(b, result...)
	return append(b, '}')
}
