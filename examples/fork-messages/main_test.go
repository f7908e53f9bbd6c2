package main_test

import (
	"bufio"
	"bytes"
	"os/exec"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/spawnkit/spawnkit/internal/testkit"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestParentAndChildExchangeMessages(t *testing.T) {
	bin := testkit.BuildMain(t, ".")
	cmd := exec.Command(bin, "-count", "3", "-interval", "10ms")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), "stderr: %s", stderr.String())
	assert.Equal(t, `Message from parent: {"hello":"world"}
Message from child: {"counter":0}
Message from child: {"counter":1}
Message from child: {"counter":2}
`, stdout.String())
	assert.Empty(t, stderr.String())
	assert.Equal(t, 0, cmd.ProcessState.ExitCode())
}

// A child faster than the parent has sent more than -count messages by the
// time the disconnect reaches it: those are not printed.
func TestCountIsExactWithAFastChild(t *testing.T) {
	bin := testkit.BuildMain(t, ".")
	for range 5 {
		out, err := exec.Command(bin, "-count", "3", "-interval", "1us").CombinedOutput()
		require.NoError(t, err, "%s", out)
		assert.Equal(t, `Message from parent: {"hello":"world"}
Message from child: {"counter":0}
Message from child: {"counter":1}
Message from child: {"counter":2}
`, string(out))
	}
}

func TestNonPositiveIntervalIsRefused(t *testing.T) {
	bin := testkit.BuildMain(t, ".")
	cmd := exec.Command(bin, "-count", "3", "-interval", "0s")
	out, err := cmd.CombinedOutput()
	require.Error(t, err)
	assert.Equal(t, 2, cmd.ProcessState.ExitCode())
	assert.Equal(t, "fork-messages: -interval must be positive\n", string(out))
}

func TestCountZeroRunsUntilSIGTERM(t *testing.T) {
	bin := testkit.BuildMain(t, ".")
	cmd := exec.Command(bin, "-interval", "10ms")
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	sc := bufio.NewScanner(stdout)
	var lines []string
	for len(lines) < 4 && sc.Scan() {
		lines = append(lines, sc.Text())
	}
	require.Equal(t, []string{
		`Message from parent: {"hello":"world"}`,
		`Message from child: {"counter":0}`,
		`Message from child: {"counter":1}`,
		`Message from child: {"counter":2}`,
	}, lines)
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	// The child shares the parent's stdout: EOF means both have exited.
	for sc.Scan() {
		assert.Regexp(t, `^Message from child: \{"counter":\d+\}$`, sc.Text())
	}
	require.NoError(t, cmd.Wait(), "stderr: %s", stderr.String())
	assert.Empty(t, stderr.String())
}
