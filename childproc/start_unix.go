//go:build unix && (!linux || spawnkit_portable)

package childproc

import "os"

// startProcess is os.StartProcess: without a thread-bound parent-death
// signal, any thread may start the child. release is always nil.
func startProcess(path string, argv []string, attr *os.ProcAttr) (proc *os.Process, release func(), err error) {
	proc, err = os.StartProcess(path, argv, attr)
	return proc, nil, err
}
