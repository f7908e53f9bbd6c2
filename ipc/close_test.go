//go:build unix

package ipc

import (
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCloseUnblocksConcurrentSends: Close interrupts blocked Sends and
// returns within its grace period also when several goroutines send at
// once to a peer that does not read: one Send blocked on the full socket,
// the others waiting for their turn to write. Each Send returns
// net.ErrClosed. (Close used to hang: it waited for the sender's lock,
// which a Send held while it waited for its turn to write.)
func TestCloseUnblocksConcurrentSends(t *testing.T) {
	a, _ := pair(t, nil)
	big := Message(`"` + strings.Repeat("x", 1<<20) + `"`)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for i := range 4 {
		wg.Go(func() {
			for {
				m := Message("1")
				if i == 0 {
					m = big
				}
				if err := a.Send(m); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	time.Sleep(200 * time.Millisecond) // the socket fills up
	closed := make(chan error, 1)
	go func() { closed <- a.Close() }()
	select {
	case err := <-closed:
		require.NoError(t, err)
	case <-time.After(time.Minute): // closeGrace is 2 s; only a hang takes this long
		t.Fatal("Close hangs while Sends wait on a full socket")
	}
	wg.Wait()
	for range 4 {
		assert.ErrorIs(t, <-errs, net.ErrClosed)
	}
}
