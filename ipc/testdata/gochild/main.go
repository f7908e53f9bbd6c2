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
// Handle operations (the Node-parent handle tests, testdata/node/
// handles_parent.js):
//
//	{"op":"http"} + listener    -> serves HTTP on it ("go http <path>\n"), {"serving":true}
//	{"op":"socket"} + socket    -> keeps it; answers each line L on it with "go:L\n"; {"held":N}
//	{"op":"closeSockets"}       -> closes the sockets kept, {"closed":N}
//	{"op":"keepOpen"} + socket  -> writes "go\n" on it and closes its copy, {"wrote":true}
//	{"op":"sendServers","big":N}-> sends two listening sockets back to back, the first
//	                               with a message of N bytes, then "second":
//	                               {"port":P,"big":"xx..."}+server P, {"port":Q}+server Q, "second"
//	{"op":"sendUDP"}            -> sends a bound UDP socket: {"port":P}+socket
//	{"op":"exitOnNext"}         -> the next message's handle is closed and the
//	                               process exits 0 at once, without closing the channel
//	{"op":"seq","i":I} [+ h]    -> {"seq":I,"file":bool}
//
// When the parent disconnects it exits with status 7; on any error, 9.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
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
		if handleOp(ch, req.Op, m, f) {
			continue
		}
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

var (
	held    []net.Conn
	exitNow bool
)

// handleOp runs the handle operations; it reports whether op was one.
func handleOp(ch *ipc.Channel, op string, m ipc.Message, f *os.File) bool {
	if exitNow {
		if f != nil {
			f.Close()
		}
		os.Exit(0)
	}
	var req struct {
		Big int `json:"big"`
		I   int `json:"i"`
	}
	_ = m.Decode(&req)
	var err error
	switch op {
	case "http":
		l, lerr := net.FileListener(f)
		if lerr != nil {
			fail(lerr)
		}
		go http.Serve(l, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "go http %s\n", r.URL.Path)
		}))
		err = ch.Send(map[string]bool{"serving": true})
	case "socket":
		c, cerr := net.FileConn(f)
		if cerr != nil {
			fail(cerr)
		}
		held = append(held, c)
		go func() {
			r := bufio.NewReader(c)
			for {
				line, err := r.ReadString('\n')
				if err != nil {
					return
				}
				fmt.Fprintf(c, "go:%s", line)
			}
		}()
		err = ch.Send(map[string]int{"held": len(held)})
	case "closeSockets":
		for _, c := range held {
			c.Close()
		}
		err = ch.Send(map[string]int{"closed": len(held)})
		held = nil
	case "keepOpen":
		_, err = f.Write([]byte("go\n"))
		if err == nil {
			err = ch.Send(map[string]bool{"wrote": true})
		}
	case "sendServers":
		var ls []*net.TCPListener
		for range 2 {
			l, lerr := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
			if lerr != nil {
				fail(lerr)
			}
			ls = append(ls, l)
		}
		for i, l := range ls {
			lf, ferr := l.File()
			if ferr != nil {
				fail(ferr)
			}
			msg := map[string]any{"port": l.Addr().(*net.TCPAddr).Port}
			if i == 0 {
				msg["big"] = strings.Repeat("x", req.Big)
			}
			err = errors.Join(err, ch.SendFile(msg, lf))
			lf.Close()
			l.Close()
		}
		err = errors.Join(err, ch.Send("second"))
	case "sendUDP":
		u, uerr := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if uerr != nil {
			fail(uerr)
		}
		uf, ferr := u.File()
		if ferr != nil {
			fail(ferr)
		}
		err = ch.SendFile(map[string]int{"port": u.LocalAddr().(*net.UDPAddr).Port}, uf)
		uf.Close()
		u.Close()
	case "exitOnNext":
		exitNow = true
		err = ch.Send(map[string]bool{"armed": true})
	case "seq":
		err = ch.Send(map[string]any{"seq": req.I, "file": f != nil})
	default:
		return false
	}
	if f != nil {
		f.Close()
	}
	if err != nil {
		fail(err)
	}
	return true
}
