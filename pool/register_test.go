//go:build unix

package pool_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/spawnkit/spawnkit/ipc"
	"github.com/spawnkit/spawnkit/pool"
)

// TestRegisterPanicsOnEmptyNilOrTakenRole checks Register's doc: it panics
// if role is empty, fn is nil or role is already registered, with either
// package.
func TestRegisterPanicsOnEmptyNilOrTakenRole(t *testing.T) {
	fn := func(context.Context, ipc.Message) (any, error) { return nil, nil }
	assert.PanicsWithValue(t, "pool: Register with a nil handler",
		func() { pool.Register("pool-test.nil-handler", nil) })
	assert.PanicsWithValue(t, "childproc: Register with an empty role or a nil function",
		func() { pool.Register("", fn) })
	// testRole was registered with pool.Register, neverReadyRole with
	// childproc.Register (main_test.go).
	assert.PanicsWithValue(t, "childproc: Register called twice for role "+testRole,
		func() { pool.Register(testRole, fn) })
	assert.PanicsWithValue(t, "childproc: Register called twice for role "+neverReadyRole,
		func() { pool.Register(neverReadyRole, fn) })
}
