//go:build unix

package ipc

import (
	"os"
	"strconv"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// startedWithChannel sets this process's environment as a parent sets a
// child's: NODE_CHANNEL_FD names fd, a new descriptor of the child end of
// a Pair, and NODE_CHANNEL_SERIALIZATION_MODE is mode. It returns the
// parent end, closed when the test ends.
func startedWithChannel(t *testing.T, mode string) (parent *Channel, fd int) {
	t.Helper()
	parent, child, err := Pair()
	require.NoError(t, err)
	t.Cleanup(func() { parent.Close() })
	defer child.Close()
	fd, err = syscall.Dup(int(child.Fd()))
	require.NoError(t, err)
	t.Setenv(envFD, strconv.Itoa(fd))
	t.Setenv(envMode, mode)
	return parent, fd
}

func TestFromEnv(t *testing.T) {
	t.Run("absent", func(t *testing.T) {
		t.Setenv(envFD, "")
		os.Unsetenv(envFD)
		_, err := fromEnv(nil)
		assert.ErrorIs(t, err, ErrNoParent)
		t.Setenv(envFD, "")
		_, err = fromEnv(nil)
		assert.ErrorIs(t, err, ErrNoParent, "empty counts as absent, as in Node")
	})
	t.Run("advanced", func(t *testing.T) {
		_, fd := startedWithChannel(t, "advanced")
		_, err := fromEnv(nil)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "advanced")
		// Nobody can find the descriptor once the variables are gone: it
		// is closed, not left for this process's children to inherit.
		var st syscall.Stat_t
		assert.ErrorIs(t, syscall.Fstat(fd, &st), syscall.EBADF, "descriptor closed")
		_, ok := os.LookupEnv(envFD)
		assert.False(t, ok, "NODE_CHANNEL_FD removed")
		_, ok = os.LookupEnv(envMode)
		assert.False(t, ok, "NODE_CHANNEL_SERIALIZATION_MODE removed")
	})
	t.Run("garbage", func(t *testing.T) {
		t.Setenv(envFD, "x3")
		_, err := fromEnv(nil)
		assert.Error(t, err)
		t.Setenv(envFD, "999999")
		_, err = fromEnv(nil)
		assert.ErrorIs(t, err, syscall.EBADF)
	})
	for _, mode := range []string{"json", ""} {
		t.Run("ok-"+mode, func(t *testing.T) {
			a, fd := startedWithChannel(t, mode)
			ch, err := fromEnv(nil)
			require.NoError(t, err)
			defer ch.Close()
			_, ok := os.LookupEnv(envFD)
			assert.False(t, ok)
			var st syscall.Stat_t
			assert.ErrorIs(t, syscall.Fstat(fd, &st), syscall.EBADF, "original descriptor closed after dup")

			require.NoError(t, ch.Send("hi"))
			m, err := a.Recv()
			require.NoError(t, err)
			assert.Equal(t, `"hi"`, m.String())
		})
	}
}

func TestFromParentNoParent(t *testing.T) {
	t.Setenv(envFD, "")
	_, err := FromParent()
	assert.ErrorIs(t, err, ErrNoParent)
}

func TestChildEnv(t *testing.T) {
	assert.Equal(t, []string{"NODE_CHANNEL_FD=3", "NODE_CHANNEL_SERIALIZATION_MODE=json"}, ChildEnv(ChildFD))
	assert.Equal(t, []string{"NODE_CHANNEL_FD=7", "NODE_CHANNEL_SERIALIZATION_MODE=json"}, ChildEnv(7))
	assert.Panics(t, func() { ChildEnv(-1) })
}
