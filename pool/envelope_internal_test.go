package pool

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spawnkit/spawnkit/ipc"
)

// TestEnvelopesMatchEncodingJSON: the envelopes built by hand are the bytes
// encoding/json (through ipc.Marshal) writes for the request and reply
// structs the worker decodes, and they decode back to the same fields.
func TestEnvelopesMatchEncodingJSON(t *testing.T) {
	for _, v := range []any{
		0, "x", `<&>"\`, []any{1, "a", nil}, map[string]any{"k": []int{1, 2}},
		ipc.Message(`{"a": [1, 2],` + "\n" + `"b":"<\u003e"}`), json.RawMessage(" [ true ] "),
	} {
		enc, err := encodeValue(v)
		require.NoError(t, err, "%v", v)
		for _, id := range []uint64{1, 42, math.MaxUint64} {
			for _, deadline := range []int64{0, 1764500000123456789, -5} {
				want, err := ipc.Marshal(request{ID: id, Task: enc, Deadline: deadline})
				require.NoError(t, err)
				got := taskMessage(id, enc, deadline)
				assert.Equal(t, string(want), string(got))
				var req request
				require.NoError(t, got.Decode(&req))
				assert.Equal(t, request{ID: id, Task: enc, Deadline: deadline}, req)
			}
			want, err := ipc.Marshal(reply{ID: id, Result: enc})
			require.NoError(t, err)
			assert.Equal(t, string(want), string(resultMessage(id, enc)))
		}
	}
}

// TestEncodeValueCompactsRawOnce: a raw value is compacted as encoding/json
// compacted it inside the envelope, and invalid or empty raw JSON is the
// error ipc.Marshal gives.
func TestEncodeValueCompactsRawOnce(t *testing.T) {
	got, err := encodeValue(ipc.Message("{\"a\": [1,\n 2], \"s\": \"<a b>\"}"))
	require.NoError(t, err)
	assert.Equal(t, `{"a":[1,2],"s":"<a b>"}`, string(got))
	got, err = encodeValue(json.RawMessage(`"<>&"`))
	require.NoError(t, err)
	assert.Equal(t, `"<>&"`, string(got), "no HTML escaping, as Node")
	for _, raw := range []ipc.Message{nil, {}, ipc.Message(`{"broken"`), ipc.Message("[1,\n")} {
		_, want := ipc.Marshal(raw)
		require.Error(t, want, "%q", raw)
		_, err := encodeValue(raw)
		assert.EqualError(t, err, want.Error(), "%q", raw)
	}
}

// TestCheckSize: a value that cannot fit the smallest envelope within the
// channel's limit is ipc.ErrTooLarge; one that can is let through (Send
// checks the exact envelope).
func TestCheckSize(t *testing.T) {
	fits := ipc.Message(`"` + strings.Repeat("a", maxMessage-envelopeMin-2) + `"`)
	require.NoError(t, checkSize("task", fits))
	assert.Len(t, taskMessage(1, fits, 0), maxMessage, "the smallest envelope around it is exactly the limit")
	over := append(fits[:len(fits)-1:len(fits)-1], 'a', '"')
	err := checkSize("task", over)
	require.True(t, errors.Is(err, ipc.ErrTooLarge), "%v", err)
	assert.EqualError(t, err, "pool: task of 67108849 bytes: ipc: message exceeds the size limit")
}
