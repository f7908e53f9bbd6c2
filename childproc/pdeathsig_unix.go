//go:build unix && !freebsd && (!linux || spawnkit_portable)

package childproc

import "syscall"

// setParentDeathSignal does nothing: darwin, OpenBSD and NetBSD have no
// parent-death signal (and the spawnkit_portable build leaves Linux's
// unused). A child outlives a parent that dies without running its
// deferred cleanup; see docs/GUARANTEES.md.
func setParentDeathSignal(*syscall.SysProcAttr) {}
