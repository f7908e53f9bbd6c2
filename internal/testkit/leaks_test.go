//go:build unix

package testkit

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestLeaksFindsEachKind makes one leak of each kind NoLeaks looks for,
// checks that it is reported, ends it and checks that nothing is.
func TestLeaksFindsEachKind(t *testing.T) {
	s := takeSnapshot()
	if l := s.leaks(0); l != nil {
		t.Fatalf("leaks right after the snapshot: %q", l)
	}

	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { <-stop; close(done) }()
	pid, err := syscall.ForkExec("/bin/sleep", []string{"sleep", "61.4242"}, &syscall.ProcAttr{})
	if err != nil {
		t.Fatal(err)
	}
	zpid, err := syscall.ForkExec("/bin/true", []string{"true"}, &syscall.ProcAttr{})
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(LeakWait); ; time.Sleep(10 * time.Millisecond) {
		if p, ok := Stat(zpid); ok && p.Zombie() || time.Now().After(deadline) {
			break
		}
	}

	l := s.leaks(0)
	got := strings.Join(l, "\n")
	for _, want := range []string{
		"descriptors left open: [\"" + strconv.Itoa(int(f.Fd())) + " /dev/null\"]",
		"children still running: ",
		"\"sleep 61.4242\"",
		"zombie children: ",
		"goroutines left running: ",
		"TestLeaksFindsEachKind.func1",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("leaks do not mention %q:\n%s", want, got)
		}
	}
	if len(l) != 4 {
		t.Errorf("want 4 lines, one per kind, got %d:\n%s", len(l), got)
	}

	f.Close()
	close(stop)
	<-done
	syscall.Kill(pid, syscall.SIGKILL)
	var ws syscall.WaitStatus
	syscall.Wait4(pid, &ws, 0, nil)
	syscall.Wait4(zpid, &ws, 0, nil)
	if l := s.leaks(LeakWait); l != nil {
		t.Errorf("leaks once all ended: %q", l)
	}
}
