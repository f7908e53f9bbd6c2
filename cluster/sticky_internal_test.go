package cluster

import (
	"net"
	"testing"
	"time"
)

// A push blocked on a full listener returns (closing the connection) once
// the listener is closed: otherwise the worker's receive loop, which
// pushes, would hang, and with it the worker's exit.
func TestStickyPushOnFullListenerEndsOnClose(t *testing.T) {
	l := newStickyListener(stickyAddr{"tcp", "127.0.0.1:1"}, func() {})
	var conns []net.Conn
	for range cap(l.conns) {
		a, b := net.Pipe()
		conns = append(conns, a, b)
		l.push(a)
	}
	last, peer := net.Pipe()
	defer peer.Close()
	pushed := make(chan struct{})
	go func() {
		l.push(last)
		close(pushed)
	}()
	time.Sleep(50 * time.Millisecond)
	l.Close()
	select {
	case <-pushed:
	case <-time.After(5 * time.Second):
		t.Fatal("push still blocked after Close")
	}
	peer.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := peer.Read(make([]byte, 1)); err == nil {
		t.Error("the connection pushed after Close was not closed")
	}
	for _, c := range conns {
		c.Close()
	}
}
