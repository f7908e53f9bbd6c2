//go:build unix

package ipc

import (
	"bufio"
	"encoding/json"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type htmlish struct {
	S string  `json:"s"`
	N float64 `json:"n"`
	L []any   `json:"l"`
}

var htmlValue = htmlish{S: `<a href="x">&amp;</a> é 漢字`, N: 1.5, L: []any{"<", nil, true}}

const htmlJSON = `{"s":"<a href=\"x\">&amp;</a> é 漢字","n":1.5,"l":["<",null,true]}`

func TestMarshal(t *testing.T) {
	m, err := Marshal(htmlValue)
	require.NoError(t, err)
	assert.Equal(t, htmlJSON, m.String(), "no HTML escaping, no newline")

	raw := json.RawMessage(`{"a": [1, 2]}`)
	m, err = Marshal(raw)
	require.NoError(t, err)
	assert.Equal(t, `{"a": [1, 2]}`, m.String(), "raw on one line: as it is")
	assert.Same(t, &raw[0], &m[0], "raw on one line: the same bytes, not a copy")

	m, err = Marshal(Message("{\n  \"multi\": \"line\"\n}"))
	require.NoError(t, err)
	assert.Equal(t, `{"multi":"line"}`, m.String(), "raw over several lines: compacted")

	m, err = Marshal(nil)
	require.NoError(t, err)
	assert.Equal(t, `null`, m.String())

	_, err = Marshal(Message(nil))
	assert.EqualError(t, err, "ipc: cannot send an empty raw message")
	_, err = Marshal(json.RawMessage{})
	assert.EqualError(t, err, "ipc: cannot send an empty raw message")
	_, err = Marshal(Message(`{"broken"`))
	assert.EqualError(t, err, "ipc: invalid raw message: unexpected end of JSON input")
	_, err = Marshal(Message("{\n"))
	assert.EqualError(t, err, "ipc: invalid raw message: unexpected end of JSON input")
	_, err = Marshal(math.NaN())
	assert.EqualError(t, err, "ipc: json: unsupported value: NaN")
	_, err = Marshal(make(chan int))
	assert.EqualError(t, err, "ipc: json: unsupported type: chan int")
}

// TestMarshalIsWhatSendWrites reads the socket under Send: each line is
// Marshal's result and a newline, to the byte.
func TestMarshalIsWhatSendWrites(t *testing.T) {
	ch, rc := rawPair(t, nil)
	values := []any{
		htmlValue, "str", 42, nil, map[string]int{"b": 2, "a": 1},
		Message(`{"raw": [1, 2]}`), json.RawMessage("[\n1,\n2\n]"),
	}
	r := bufio.NewReader(rc)
	for _, v := range values {
		want, err := Marshal(v)
		require.NoError(t, err)
		require.NoError(t, ch.Send(v))
		line, err := r.ReadString('\n')
		require.NoError(t, err)
		assert.Equal(t, want.String()+"\n", line)
	}
}

// TestMarshalMatchesNode: for HTML characters and non-ASCII text, the bytes
// Marshal produces are the bytes Node's channel writes for the same value
// (JSON.stringify), so the one encoder of the library speaks Node's wire.
func TestMarshalMatchesNode(t *testing.T) {
	nc := startNode(t, echoScript)
	fromNode := nc.call(t, struct {
		Op string  `json:"op"`
		V  htmlish `json:"v"`
	}{"echo", htmlValue})
	assert.Equal(t, htmlJSON, fromNode.String(), "what Node wrote")
	m, err := Marshal(htmlValue)
	require.NoError(t, err)
	assert.Equal(t, fromNode.String(), m.String())
}
