package bench

import (
	"errors"
	"fmt"
)

// cloexecSocketpair fails: Windows has no socketpair.
func cloexecSocketpair() ([2]int, error) {
	return [2]int{-1, -1}, fmt.Errorf("socketpair on windows: %w", errors.ErrUnsupported)
}
