//go:build unix

package bench

import (
	"os/exec"
	"syscall"
)

// osexecSetsidTrue runs /bin/true with os/exec in a new session (stdio
// /dev/null), as a Detached Spawn places its child.
func osexecSetsidTrue() error {
	cmd := exec.Command(TruePath)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	return cmd.Run()
}
