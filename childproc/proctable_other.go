//go:build unix && !linux && !darwin && !freebsd && !netbsd && !openbsd

package childproc

// Other Unix systems (DragonFly, illumos, Solaris, AIX): no process table is
// read, so only the child's process group is signalled.

func readProcTable() ([]procEntry, error) { return nil, errProcTable }

func lookupProc(int) (procEntry, bool) { return procEntry{}, false }
