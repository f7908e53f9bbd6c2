package ipc

import (
	"io"
	"net"
	"os"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const fromParentChildEnv = "SPAWNKIT_IPC_TEST_FROMPARENT_CHILD"

// TestFromParentReturnsTheSameChannel checks FromParent's doc in a child
// process started with a channel on fd 3 (the package state is per process):
// the first call creates the Channel and removes NODE_CHANNEL_FD and
// NODE_CHANNEL_SERIALIZATION_MODE from the environment; later calls return
// the same Channel, even after it was closed.
func TestFromParentReturnsTheSameChannel(t *testing.T) {
	if os.Getenv(fromParentChildEnv) == "1" {
		first, err := FromParent()
		require.NoError(t, err)
		_, ok := os.LookupEnv(envFD)
		assert.False(t, ok, "NODE_CHANNEL_FD removed")
		_, ok = os.LookupEnv(envMode)
		assert.False(t, ok, "NODE_CHANNEL_SERIALIZATION_MODE removed")
		require.NoError(t, first.Send("hello from the child"))
		again, err := FromParent()
		require.NoError(t, err)
		assert.Same(t, first, again)
		require.NoError(t, first.Close())
		closed, err := FromParent()
		require.NoError(t, err, "a closed channel is still returned, not ErrNoParent")
		assert.Same(t, first, closed)
		assert.ErrorIs(t, closed.Send("late"), net.ErrClosed)
		return
	}

	exe, err := os.Executable()
	require.NoError(t, err)
	parent, child, err := Pair()
	require.NoError(t, err)
	defer parent.Close()
	cmd := exec.Command(exe, "-test.run=^TestFromParentReturnsTheSameChannel$", "-test.count=1")
	cmd.Env = append(os.Environ(), fromParentChildEnv+"=1")
	cmd.Env = append(cmd.Env, ChildEnv(ChildFD)...)
	cmd.ExtraFiles = []*os.File{child}
	out, err := func() ([]byte, error) {
		defer child.Close()
		return cmd.CombinedOutput()
	}()
	require.NoError(t, err, "child:\n%s", out)
	assert.Contains(t, string(out), "PASS")
	m, err := parent.Recv()
	require.NoError(t, err)
	assert.Equal(t, `"hello from the child"`, string(m))
	_, err = parent.Recv()
	assert.ErrorIs(t, err, io.EOF, "then end of file")
}
