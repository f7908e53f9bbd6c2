//go:build spawnkit_portable

package childproc

import "github.com/spawnkit/spawnkit/internal/procfs"

// Under the spawnkit_portable build tag, Linux runs the tree code of the
// systems without pidfds (tree_unix.go). /proc stands in for their sysctl
// kern.proc process table here: readProcTable and lookupProc return what
// the sysctl does there (pid, parent, group, start time, zombie or not),
// so the logic above them is the one darwin and the BSDs run.

// readProcTable lists every process in /proc.
func readProcTable() ([]procEntry, error) {
	pids, err := procfs.Pids()
	if err != nil {
		return nil, err
	}
	table := make([]procEntry, 0, len(pids))
	buf := make([]byte, 1024)
	for _, pid := range pids {
		if e, ok := procEntryOf(pid, buf); ok {
			table = append(table, e)
		}
	}
	return table, nil
}

// lookupProc reads the entry of one process.
func lookupProc(pid int) (procEntry, bool) {
	return procEntryOf(pid, make([]byte, 1024))
}

// procEntryOf reads the entry of pid from /proc/PID/stat into buf.
func procEntryOf(pid int, buf []byte) (procEntry, bool) {
	st, ok := readStat(pid, buf)
	if !ok || !st.HasStart {
		return procEntry{}, false
	}
	return procEntry{pid: pid, ppid: st.PPid, pgid: st.Pgid, start: st.Start, zombie: !st.Running()}, true
}
