package childproc

import "golang.org/x/sys/unix"

// darwin's process table is sysctl kern.proc (struct kinfo_proc).

const darwinZombie = 5 // SZOMB in <sys/proc.h>

// readProcTable lists every process (sysctl kern.proc.all).
func readProcTable() ([]procEntry, error) {
	procs, err := unix.SysctlKinfoProcSlice("kern.proc.all")
	if err != nil {
		return nil, err
	}
	table := make([]procEntry, 0, len(procs))
	for i := range procs {
		table = append(table, darwinEntry(&procs[i]))
	}
	return table, nil
}

// lookupProc reads the entry of one process (sysctl kern.proc.pid.PID).
func lookupProc(pid int) (procEntry, bool) {
	kp, err := unix.SysctlKinfoProc("kern.proc.pid", pid)
	if err != nil || int(kp.Proc.P_pid) != pid {
		return procEntry{}, false // a pid with no process reads as zeros
	}
	return darwinEntry(kp), true
}

func darwinEntry(kp *unix.KinfoProc) procEntry {
	return procEntry{
		pid:    int(kp.Proc.P_pid),
		ppid:   int(kp.Eproc.Ppid),
		pgid:   int(kp.Eproc.Pgid),
		start:  int64(kp.Proc.P_starttime.Sec)*1e6 + int64(kp.Proc.P_starttime.Usec),
		zombie: kp.Proc.P_stat == darwinZombie,
	}
}
