package childproc

// OpenBSD's struct kinfo_proc (<sys/sysctl.h>), the same on every
// architecture. sysctl kern.proc takes the entry size and copies that much
// of each entry: the prefix up to p_ustart_usec is enough.
var kinfo = kinfoLayout{
	size: 424,
	pid:  108, ppid: 112, pgid: 120, // p_pid, p_ppid, p__pgid
	startSec: 408, startUsec: 416, startSecSize: 8, // p_ustart_sec, p_ustart_usec
	stat:         304,           // p_stat
	zombieStates: [2]int8{5, 6}, // SZOMB, SDEAD
}

// kinfoSysctl is the sysctl that lists the entries.
const kinfoSysctl = "kern.proc"
