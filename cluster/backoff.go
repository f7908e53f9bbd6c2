package cluster

import (
	"math"
	"time"
)

// Backoff is the restart policy the primary applies to each worker slot,
// exported for supervisors that start processes of their own (such as
// cmd/spawnkit): the wait before replacing a dead worker starts at Delay
// and doubles with every other death within Window, up to MaxDelay; Limit
// deaths within Window are a crash loop, after which the caller should stop
// restarting. Deaths older than Window are forgotten.
//
// A zero field takes the matching default ([DefaultRestartDelay],
// [DefaultMaxRestartDelay], [DefaultCrashLimit], [DefaultCrashWindow]); a
// negative one is off: a negative Delay is no wait at all (every
// replacement starts at once), a negative MaxDelay puts no cap on the
// doubling (but the largest time.Duration), a negative Limit never reports
// a crash loop, and a negative Window never forgets a death. Died reads the
// fields at every call. A Backoff is not safe for concurrent use.
type Backoff struct {
	Delay    time.Duration
	MaxDelay time.Duration
	Limit    int
	Window   time.Duration

	deaths []time.Time // within Window; only the count when Window < 0
	count  int         // deaths within Window
}

// Died records a death at now and returns the wait before the replacement
// should start, the number of deaths within Window (this one included),
// and whether that number reached Limit. The delay is MaxDelay when
// doubling overflows. Deaths keep counting after a crash loop was
// reported.
func (b *Backoff) Died(now time.Time) (delay time.Duration, deaths int, crashLoop bool) {
	d, maxDelay, limit, window := b.Delay, b.MaxDelay, b.Limit, b.Window
	if d == 0 {
		d = DefaultRestartDelay
	}
	if maxDelay == 0 {
		maxDelay = DefaultMaxRestartDelay
	} else if maxDelay < 0 {
		maxDelay = math.MaxInt64
	}
	if limit == 0 {
		limit = DefaultCrashLimit
	}
	if window == 0 {
		window = DefaultCrashWindow
	}
	if window < 0 {
		b.deaths = nil // counted, never forgotten
		b.count++
	} else {
		kept := b.deaths[:0]
		for _, t := range b.deaths {
			if now.Sub(t) < window {
				kept = append(kept, t)
			}
		}
		b.deaths = append(kept, now)
		b.count = len(b.deaths)
	}
	n := b.count
	switch {
	case d < 0:
		delay = 0
	case n > 62:
		delay = maxDelay
	default:
		delay = d << (n - 1)
		if delay > maxDelay || delay <= 0 || delay>>(n-1) != d {
			delay = maxDelay
		}
	}
	return delay, n, limit > 0 && n >= limit
}

// Reset forgets every recorded death, as after a successful reload of the
// slot.
func (b *Backoff) Reset() { b.deaths, b.count = nil, 0 }
