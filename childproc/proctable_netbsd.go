package childproc

// NetBSD's struct kinfo_proc2 (<sys/sysctl.h>), the same on every
// architecture. sysctl kern.proc2 takes the entry size and copies that
// much of each entry: the prefix up to p_ustart_usec is enough.
var kinfo = kinfoLayout{
	size: 464,
	pid:  116, ppid: 120, pgid: 128, // p_pid, p_ppid, p__pgid
	startSec: 456, startUsec: 460, startSecSize: 4, // p_ustart_sec, p_ustart_usec
	stat:         360,           // p_stat
	zombieStates: [2]int8{5, 6}, // SZOMB, SDEAD
}

// kinfoSysctl is the sysctl that lists the entries.
const kinfoSysctl = "kern.proc2"
