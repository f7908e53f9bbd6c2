package childproc

import (
	"encoding/binary"
	"unsafe"
)

// FreeBSD's struct kinfo_proc (<sys/user.h>) on 64-bit architectures,
// where ki_structsize is KINFO_PROC_SIZE, 1088. Other sizes (32-bit
// systems) are refused, and only process groups are signalled there.
var freebsdKinfo = kinfoLayout{
	size: 1088,
	pid:  72, ppid: 76, pgid: 80, // ki_pid, ki_ppid, ki_pgid
	startSec: 336, startUsec: 344, startSecSize: 8, // ki_start (struct timeval)
	stat:         388,           // ki_stat
	zombieStates: [2]int8{5, 5}, // SZOMB
}

// readProcTable lists every process (sysctl kern.proc.proc: no threads).
func readProcTable() ([]procEntry, error) {
	b, err := sysctlEntries("kern.proc.proc")
	if err != nil {
		return nil, err
	}
	if !freebsdLayoutMatches(b) {
		return nil, errProcTable
	}
	return freebsdKinfo.parse(b), nil
}

// lookupProc reads the entry of one process (sysctl kern.proc.pid.PID).
func lookupProc(pid int) (procEntry, bool) {
	b, err := sysctlEntries("kern.proc.pid", pid)
	if err != nil || !freebsdLayoutMatches(b) {
		return procEntry{}, false
	}
	e := freebsdKinfo.entry(b)
	return e, e.pid == pid
}

// freebsdLayoutMatches reports whether b holds entries of the size the
// offsets above were taken for, on a 64-bit system.
func freebsdLayoutMatches(b []byte) bool {
	return unsafe.Sizeof(uintptr(0)) == 8 && len(b) >= freebsdKinfo.size &&
		int(binary.NativeEndian.Uint32(b)) == freebsdKinfo.size // ki_structsize
}
