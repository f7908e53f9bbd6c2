package testkit

import "testing"

// TestRaceOptions: Main adds atexit_sleep_ms=0 to GORACE's other options,
// and leaves a GORACE that sets atexit_sleep_ms as it is.
func TestRaceOptions(t *testing.T) {
	for gorace, want := range map[string]string{
		"":                                  "atexit_sleep_ms=0",
		"halt_on_error=1":                   "halt_on_error=1 atexit_sleep_ms=0",
		"atexit_sleep_ms=500":               "atexit_sleep_ms=500",
		"log_path=/tmp/r atexit_sleep_ms=5": "log_path=/tmp/r atexit_sleep_ms=5",
	} {
		if got := raceOptions(gorace); got != want {
			t.Errorf("raceOptions(%q) = %q, want %q", gorace, got, want)
		}
	}
}
