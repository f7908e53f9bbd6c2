package childproc

import "syscall"

// setParentDeathSignal asks the kernel to send the child SIGKILL when the
// parent process exits (procctl PROC_PDEATHSIG_CTL). Unlike Linux's, the
// signal follows the process, not the thread that started the child.
func setParentDeathSignal(attr *syscall.SysProcAttr) { attr.Pdeathsig = syscall.SIGKILL }
