package cluster

import (
	"math"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestWithDefaults checks every duration and limit of Config: zero is the
// default, negative stays negative (off: the code that reads the field
// treats it so, see options_test.go), a negative Workers is an error
// naming the field, nil is all defaults, and the slices are copies.
func TestWithDefaults(t *testing.T) {
	c, err := withDefaults(nil)
	require.NoError(t, err)
	assert.Equal(t, runtime.NumCPU(), c.Workers)
	assert.Equal(t, os.Args[1:], c.Args)
	want := Config{
		ReadyTimeout: DefaultReadyTimeout, ShutdownTimeout: DefaultShutdownTimeout,
		HeartbeatInterval: DefaultHeartbeatInterval, HeartbeatTimeout: DefaultHeartbeatTimeout,
		RestartDelay: DefaultRestartDelay, MaxRestartDelay: DefaultMaxRestartDelay,
		CrashLimit: DefaultCrashLimit, CrashWindow: DefaultCrashWindow,
	}
	assert.Equal(t, want, durations(c))

	off := Config{
		ReadyTimeout: -1, ShutdownTimeout: -time.Second, RestartDelay: -1,
		MaxRestartDelay: -1, CrashLimit: -1, CrashWindow: -1,
	}
	for _, hb := range []Config{{HeartbeatInterval: -1}, {HeartbeatTimeout: -time.Second}, {HeartbeatInterval: time.Second, HeartbeatTimeout: -1}} {
		in := off
		in.HeartbeatInterval, in.HeartbeatTimeout = hb.HeartbeatInterval, hb.HeartbeatTimeout
		c, err := withDefaults(&in)
		require.NoError(t, err)
		wantOff := off
		wantOff.HeartbeatInterval, wantOff.HeartbeatTimeout = -1, -1
		assert.Equal(t, wantOff, durations(c), "heartbeat %v/%v", hb.HeartbeatInterval, hb.HeartbeatTimeout)
	}

	_, err = withDefaults(&Config{Workers: -2})
	assert.EqualError(t, err, "cluster: Config.Workers is -2: must be >= 0")

	in := &Config{Args: []string{"-a"}, ExtraEnv: []string{"K=1"}}
	c, err = withDefaults(in)
	require.NoError(t, err)
	in.Args[0], in.ExtraEnv[0] = "-b", "K=2"
	assert.Equal(t, []string{"-a"}, c.Args)
	assert.Equal(t, []string{"K=1"}, c.ExtraEnv)
}

// durations keeps c's durations and limits only.
func durations(c Config) Config {
	return Config{
		ReadyTimeout: c.ReadyTimeout, ShutdownTimeout: c.ShutdownTimeout,
		HeartbeatInterval: c.HeartbeatInterval, HeartbeatTimeout: c.HeartbeatTimeout,
		RestartDelay: c.RestartDelay, MaxRestartDelay: c.MaxRestartDelay,
		CrashLimit: c.CrashLimit, CrashWindow: c.CrashWindow,
	}
}

// TestBackoffNegativeFieldsAreOff checks what a negative field of Backoff
// means: no wait, no cap, no crash loop, no forgetting.
func TestBackoffNegativeFieldsAreOff(t *testing.T) {
	now := time.Unix(1000, 0)

	b := Backoff{Delay: -1}
	for i := range 10 {
		delay, n, loop := b.Died(now)
		assert.Equal(t, time.Duration(0), delay, "negative Delay: death %d", i+1)
		assert.Equal(t, i+1, n)
		assert.Equal(t, i+1 >= DefaultCrashLimit, loop)
	}

	b = Backoff{Delay: time.Second, MaxDelay: -1, Limit: -1}
	var delays []time.Duration
	for i := range 70 {
		delay, n, loop := b.Died(now.Add(time.Duration(i) * time.Millisecond))
		assert.False(t, loop, "negative Limit: death %d", n)
		delays = append(delays, delay)
	}
	assert.Equal(t, 32*time.Second, delays[5], "negative MaxDelay: past DefaultMaxRestartDelay")
	assert.Equal(t, time.Duration(math.MaxInt64), delays[69], "the doubling stops at the largest Duration")
	for i := 1; i < len(delays); i++ {
		assert.GreaterOrEqual(t, delays[i], delays[i-1], "death %d", i+1)
	}

	b = Backoff{Window: -1, Limit: 3}
	for i, gap := range []time.Duration{0, 24 * time.Hour, 365 * 24 * time.Hour} {
		_, n, loop := b.Died(now.Add(gap))
		assert.Equal(t, i+1, n, "negative Window: a death a year later still counts")
		assert.Equal(t, i == 2, loop)
	}
	b.Reset()
	_, n, _ := b.Died(now)
	assert.Equal(t, 1, n, "Reset forgets the counted deaths")
}
