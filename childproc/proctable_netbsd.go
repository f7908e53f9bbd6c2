package childproc

// NetBSD's struct kinfo_proc2 (<sys/sysctl.h>), the same on every
// architecture. sysctl kern.proc2 takes the entry size and copies that
// much of each entry: the prefix up to p_ustart_usec is enough.
var netbsdKinfo = kinfoLayout{
	size: 464,
	pid:  116, ppid: 120, pgid: 128, // p_pid, p_ppid, p__pgid
	startSec: 456, startUsec: 460, startSecSize: 4, // p_ustart_sec, p_ustart_usec
	stat:         360,           // p_stat
	zombieStates: [2]int8{5, 6}, // SZOMB, SDEAD
}

const (
	kernProcAll = 0 // KERN_PROC_ALL
	kernProcPID = 1 // KERN_PROC_PID
)

// readProcTable lists every process (sysctl kern.proc2.KERN_PROC_ALL).
func readProcTable() ([]procEntry, error) {
	b, err := sysctlEntries("kern.proc2", kernProcAll, 0, netbsdKinfo.size, 1<<30)
	if err != nil {
		return nil, err
	}
	return netbsdKinfo.parse(b), nil
}

// lookupProc reads the entry of one process.
func lookupProc(pid int) (procEntry, bool) {
	b, err := sysctlEntries("kern.proc2", kernProcPID, pid, netbsdKinfo.size, 1)
	if err != nil || len(b) < netbsdKinfo.size {
		return procEntry{}, false
	}
	e := netbsdKinfo.entry(b)
	return e, e.pid == pid
}
