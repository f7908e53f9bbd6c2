package main_test

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The result lines are parsed by bench/cluster.go; this is its pattern.
var resultLine = regexp.MustCompile(`(?m)^(1 process|(\d+) worker\(s\)( reloading)?):\s+(\d+) requests, (\d+) ok, (\d+) failed in (\S+) `)

func TestSmoke(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "clusterbench")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "%s", out)
	out, err = exec.Command(bin, "-workers", "0,1", "-duration", "200ms", "-spin", "1000", "-reload").CombinedOutput()
	require.NoError(t, err, "%s", out)
	lines := resultLine.FindAllStringSubmatch(string(out), -1)
	require.Len(t, lines, 3, "%s", out)
	assert.Equal(t, "1 process", lines[0][1])
	assert.Equal(t, "1 worker(s)", lines[1][1])
	assert.Equal(t, "1 worker(s) reloading", lines[2][1])
	for _, l := range lines {
		assert.Equal(t, "0", l[6], "failed requests: %s", l[0])
		assert.NotEqual(t, "0", l[5], "no request succeeded: %s", l[0])
	}
	assert.Regexp(t, `\(\d+ rolling restarts of 1 workers during the run\)`, string(out))
}
