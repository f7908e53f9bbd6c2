package childproc

// OpenBSD's struct kinfo_proc (<sys/sysctl.h>), the same on every
// architecture. sysctl kern.proc takes the entry size and copies that much
// of each entry: the prefix up to p_ustart_usec is enough.
var openbsdKinfo = kinfoLayout{
	size: 424,
	pid:  108, ppid: 112, pgid: 120, // p_pid, p_ppid, p__pgid
	startSec: 408, startUsec: 416, startSecSize: 8, // p_ustart_sec, p_ustart_usec
	stat:         304,           // p_stat
	zombieStates: [2]int8{5, 6}, // SZOMB, SDEAD
}

const (
	kernProcAll = 0 // KERN_PROC_ALL: processes, no threads
	kernProcPID = 1 // KERN_PROC_PID
)

// readProcTable lists every process (sysctl kern.proc.KERN_PROC_ALL).
func readProcTable() ([]procEntry, error) {
	b, err := sysctlEntries("kern.proc", kernProcAll, 0, openbsdKinfo.size, 1<<30)
	if err != nil {
		return nil, err
	}
	return openbsdKinfo.parse(b), nil
}

// lookupProc reads the entry of one process.
func lookupProc(pid int) (procEntry, bool) {
	b, err := sysctlEntries("kern.proc", kernProcPID, pid, openbsdKinfo.size, 1)
	if err != nil || len(b) < openbsdKinfo.size {
		return procEntry{}, false
	}
	e := openbsdKinfo.entry(b)
	return e, e.pid == pid
}
