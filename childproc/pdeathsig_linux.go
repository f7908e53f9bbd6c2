//go:build !spawnkit_portable

package childproc

import "syscall"

// setParentDeathSignal asks the kernel to send the child SIGKILL when the
// thread that started it exits (prctl PR_SET_PDEATHSIG); startProcess
// starts such children from threads that outlive them (spawner_linux.go).
func setParentDeathSignal(attr *syscall.SysProcAttr) { attr.Pdeathsig = syscall.SIGKILL }
