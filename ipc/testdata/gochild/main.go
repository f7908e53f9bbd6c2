// Command gochild is the Go side of the Node-parent interop test: started
// by Node (child_process.fork with execPath, or spawn with an 'ipc' stdio
// entry), it talks to its parent through ipc.FromParent.
//
// Protocol (one JSON value per message):
//
//	on start it sends {"hello":argv[1:],"envGone":bool}
//	{"op":"echo","v":X}         -> X, sent back raw
//	{"op":"file"} + descriptor  -> {"gotFile":bool,"isSocket":bool}
//	{"op":"close","code":N}     -> closes the channel, exits N
//	anything else               -> {"unknown":msg}
//
// When the parent disconnects it exits with status 7; on any error, 9.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"

	"github.com/spawnkit/spawnkit/ipc"
)

func main() {
	ch, err := ipc.FromParent()
	if err != nil {
		fail(err)
	}
	_, fdSet := os.LookupEnv("NODE_CHANNEL_FD")
	_, modeSet := os.LookupEnv("NODE_CHANNEL_SERIALIZATION_MODE")
	if err := ch.Send(map[string]any{"hello": os.Args[1:], "envGone": !fdSet && !modeSet}); err != nil {
		fail(err)
	}
	for {
		m, f, err := ch.RecvFile()
		if errors.Is(err, io.EOF) {
			os.Exit(7)
		}
		if err != nil {
			fail(err)
		}
		var req struct {
			Op   string          `json:"op"`
			V    json.RawMessage `json:"v"`
			Code int             `json:"code"`
		}
		_ = m.Decode(&req)
		switch req.Op {
		case "echo":
			err = ch.Send(ipc.Message(req.V))
		case "file":
			isSocket := false
			if f != nil {
				var st syscall.Stat_t
				isSocket = syscall.Fstat(int(f.Fd()), &st) == nil && st.Mode&syscall.S_IFMT == syscall.S_IFSOCK
			}
			err = ch.Send(map[string]bool{"gotFile": f != nil, "isSocket": isSocket})
		case "close":
			ch.Close()
			os.Exit(req.Code)
		default:
			err = ch.Send(map[string]any{"unknown": m})
		}
		if f != nil {
			f.Close()
		}
		if err != nil {
			fail(err)
		}
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "gochild:", err)
	os.Exit(9)
}
