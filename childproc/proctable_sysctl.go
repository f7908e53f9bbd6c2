//go:build netbsd || openbsd

package childproc

// OpenBSD and NetBSD read their process table the same way: the sysctl
// kinfoSysctl (kern.proc, kern.proc2) takes the operation, its argument,
// the entry size and the number of entries wanted, and copies that much of
// each entry. Only the layout (kinfo) and the sysctl's name differ; they
// are in proctable_openbsd.go and proctable_netbsd.go.

const (
	kernProcAll = 0 // KERN_PROC_ALL: processes, no threads
	kernProcPID = 1 // KERN_PROC_PID
)

// readProcTable lists every process (sysctl kinfoSysctl.KERN_PROC_ALL).
func readProcTable() ([]procEntry, error) {
	b, err := sysctlEntries(kinfoSysctl, kernProcAll, 0, kinfo.size, 1<<30)
	if err != nil {
		return nil, err
	}
	return kinfo.parse(b), nil
}

// lookupProc reads the entry of one process (KERN_PROC_PID).
func lookupProc(pid int) (procEntry, bool) {
	b, err := sysctlEntries(kinfoSysctl, kernProcPID, pid, kinfo.size, 1)
	if err != nil || len(b) < kinfo.size {
		return procEntry{}, false
	}
	e := kinfo.entry(b)
	return e, e.pid == pid
}
