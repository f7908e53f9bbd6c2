package ipc_test

import (
	"fmt"
	"io"
	"log"
	"os"

	"github.com/spawnkit/spawnkit/ipc"
)

func ExamplePair() {
	parent, childEnd, err := ipc.Pair()
	if err != nil {
		log.Fatal(err)
	}
	// Normally childEnd goes to a child process (exec.Cmd.ExtraFiles, with
	// NODE_CHANNEL_FD=3), which calls ipc.FromParent. Here the "child" is
	// a goroutine using ipc.New on the same descriptor.
	child, err := ipc.New(childEnd, nil)
	if err != nil {
		log.Fatal(err)
	}

	done := make(chan struct{})
	go func() {
		defer close(done)
		defer child.Close()
		for {
			m, err := child.Recv()
			if err == io.EOF {
				return // the parent closed the channel
			}
			if err != nil {
				log.Fatal(err)
			}
			var req struct{ N int }
			if err := m.Decode(&req); err != nil {
				log.Fatal(err)
			}
			child.Send(map[string]int{"square": req.N * req.N})
		}
	}()

	for n := 1; n <= 3; n++ {
		parent.Send(map[string]int{"N": n})
		m, err := parent.Recv()
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(m)
	}
	parent.Close()
	<-done
	// Output:
	// {"square":1}
	// {"square":4}
	// {"square":9}
}

func ExampleChannel_SendFile() {
	parent, childEnd, err := ipc.Pair()
	if err != nil {
		log.Fatal(err)
	}
	defer parent.Close()
	// As in ExamplePair, a goroutine stands for the child process.
	child, err := ipc.New(childEnd, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer child.Close()

	r, w, err := os.Pipe()
	if err != nil {
		log.Fatal(err)
	}
	// The descriptor travels with the message (SCM_RIGHTS); w stays ours
	// too, so close it once sent. The channel keeps a duplicate until the
	// child acknowledges it (Node's NODE_HANDLE_ACK, read by Recv).
	if err := parent.SendFile(map[string]string{"write": "a greeting"}, w); err != nil {
		log.Fatal(err)
	}
	w.Close()

	m, f, err := child.RecvFile() // acknowledges the descriptor
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("child got", m, "with a file:", f != nil)
	fmt.Fprintln(f, "hello through the passed descriptor")
	f.Close()
	child.Send("written")

	// Recv reads the acknowledgement (the channel drops its duplicate),
	// then the child's message.
	if m, err = parent.Recv(); err != nil {
		log.Fatal(err)
	}
	fmt.Println("parent got", m)
	b, _ := io.ReadAll(r) // EOF: every copy of the write end is closed
	r.Close()
	fmt.Print(string(b))
	// Output:
	// child got {"write":"a greeting"} with a file: true
	// parent got "written"
	// hello through the passed descriptor
}

// A receiver that is done with each message before it asks for the next
// one can reuse its storage: AppendRecv(m[:0]) allocates nothing once m is
// large enough.
func ExampleChannel_AppendRecv() {
	parent, childEnd, err := ipc.Pair()
	if err != nil {
		log.Fatal(err)
	}
	child, err := ipc.New(childEnd, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer child.Close()
	go func() {
		for _, v := range []string{"a", "bb", "ccc"} {
			parent.Send(v)
		}
		parent.Close()
	}()

	var m ipc.Message
	total := 0
	for {
		m, err = child.AppendRecv(m[:0])
		if err == io.EOF {
			break
		}
		if err != nil {
			log.Fatal(err)
		}
		total += len(m) // m is valid until the next AppendRecv(m[:0])
	}
	fmt.Println("bytes of JSON received:", total)
	// Output:
	// bytes of JSON received: 12
}
