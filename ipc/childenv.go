package ipc

import "strconv"

const (
	envFD   = "NODE_CHANNEL_FD"
	envMode = "NODE_CHANNEL_SERIALIZATION_MODE"
)

// ChildFD is the descriptor number a child is given the channel at by the
// parents of this module (childproc's IPC option and cluster): the first
// descriptor after stdio, as with Node's fork(). A parent puts the child
// end of [Pair] there (exec.Cmd.ExtraFiles[0]) and adds ChildEnv(ChildFD)
// to the child's environment.
const ChildFD = 3

// ChildEnv returns the environment entries that tell a child where its
// channel is, as Node's spawn() writes them: NODE_CHANNEL_FD=fd and
// NODE_CHANNEL_SERIALIZATION_MODE=json (the only mode this package
// speaks). [FromParent] reads them, in a Go child, and so does Node, in a
// Node child. A negative fd is a programming error and panics.
func ChildEnv(fd int) []string {
	if fd < 0 {
		panic("ipc: ChildEnv with a negative descriptor")
	}
	return []string{envFD + "=" + strconv.Itoa(fd), envMode + "=json"}
}
