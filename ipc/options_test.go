package ipc

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestNegativeMaxMessageSizeIsAnError checks that a negative
// MaxMessageSize is an error from New naming the field, leaving the file
// open and usable, and that New copies the Options: raising the limit
// afterwards does not let a longer message through.
func TestNegativeMaxMessageSizeIsAnError(t *testing.T) {
	a, f, err := Pair()
	require.NoError(t, err)
	defer a.Close()

	ch, err := New(f, &Options{MaxMessageSize: -1})
	assert.Nil(t, ch)
	require.EqualError(t, err, "ipc: Options.MaxMessageSize is -1: must be >= 0")

	opts := &Options{MaxMessageSize: 10}
	b, err := New(f, opts) // f was left open by the refusal
	require.NoError(t, err)
	defer b.Close()
	opts.MaxMessageSize = 1 << 20

	require.NoError(t, a.Send(strings.Repeat("x", 8))) // "xxxxxxxx": 10 bytes
	m, err := b.Recv()
	require.NoError(t, err)
	assert.Equal(t, `"xxxxxxxx"`, m.String())
	require.NoError(t, a.Send(strings.Repeat("x", 9)))
	_, err = b.Recv()
	assert.ErrorIs(t, err, ErrTooLarge)
	assert.ErrorIs(t, b.Send(strings.Repeat("y", 9)), ErrTooLarge)
}
