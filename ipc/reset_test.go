//go:build unix

package ipc

import (
	"io"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestResetMidMessageIsUnexpectedEOF: a peer that dies in the middle of a
// message while something we sent is still unread in its socket resets the
// connection (ECONNRESET, not a plain end-of-file); Recv returns
// io.ErrUnexpectedEOF all the same, as documented for a peer that closes
// in the middle of a message, and repeats it.
func TestResetMidMessageIsUnexpectedEOF(t *testing.T) {
	ch, raw := rawPair(t, nil)
	_, err := raw.Write([]byte("1\n{\"partial\":"))
	require.NoError(t, err)
	m, err := ch.Recv()
	require.NoError(t, err)
	require.Equal(t, "1", string(m))
	require.NoError(t, ch.Send("unread")) // left in the peer's socket
	require.NoError(t, raw.Close())
	_, err = ch.Recv()
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
	_, err = ch.Recv()
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
}
