//go:build linux

package main

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The supervisor speaks sd_notify to its own NOTIFY_SOCKET, as a
// Type=notify service: READY=1 once the workers are ready, RELOADING=1
// then READY=1 around a reload, STOPPING=1 on SIGTERM.
func TestSupervisorNotifiesItsOwnManager(t *testing.T) {
	t.Parallel()
	need(t, "python3")
	path := filepath.Join(t.TempDir(), "notify")
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s := startSupEnv(t, []string{"NOTIFY_SOCKET=" + path}, "-n", "2", "-l", "http=tcp://127.0.0.1:0", "--", "./worker.py")
	recv := func() string {
		t.Helper()
		c.SetReadDeadline(time.Now().Add(waitLimit))
		b := make([]byte, 4096)
		n, err := c.Read(b)
		if err != nil {
			t.Fatalf("no notification: %v", err)
		}
		return string(b[:n])
	}
	if got, want := recv(), "READY=1\nMAINPID="+strconv.Itoa(s.cmd.Process.Pid); got != want {
		t.Errorf("first notification %q; want %q", got, want)
	}
	s.waitReady(2) // the workers did not get the supervisor's NOTIFY_SOCKET
	if _, err := s.ctl("reload", "--wait"); err != nil {
		t.Fatal(err)
	}
	if got := recv(); !strings.HasPrefix(got, "RELOADING=1\nMONOTONIC_USEC=") {
		t.Errorf("at the reload: %q; want RELOADING=1 and MONOTONIC_USEC", got)
	}
	if got := recv(); got != "READY=1" {
		t.Errorf("after the reload: %q; want READY=1", got)
	}
	s.stop()
	if got := recv(); got != "STOPPING=1" {
		t.Errorf("at SIGTERM: %q; want STOPPING=1", got)
	}
}

// Socket-activated (LISTEN_FDS with its own LISTEN_PID), the supervisor
// adopts the socket it was given, under the name LISTEN_FDNAMES gives it,
// and passes it on.
func TestSupervisorAdoptsItsOwnActivatedSocket(t *testing.T) {
	t.Parallel()
	need(t, "python3")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f, err := ln.(*net.TCPListener).File()
	ln.Close()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := newSup(t, "-n", "1", "--", "./worker.py")
	// sh sets LISTEN_PID to its own pid, which exec gives spawnkit ("$0",
	// the supervisor's binary, followed by its arguments).
	s.cmd.Path = "/bin/sh"
	s.cmd.Args = append([]string{"/bin/sh", "-c", `LISTEN_PID=$$ LISTEN_FDS=1 LISTEN_FDNAMES=web exec "$0" "$@"`}, s.cmd.Args...)
	s.cmd.ExtraFiles = []*os.File{f}
	s.start()
	s.waitReady(1)
	body, err := get("http://" + ln.Addr().String() + "/")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(body, " web nonblock=") {
		t.Errorf("answer %q; want it on the socket named web", body)
	}
	if want := "spawnkit: web: adopted tcp " + ln.Addr().String() + " from LISTEN_FDS\n"; !strings.Contains(s.err.String(), want) {
		t.Errorf("stderr lacks %q", want)
	}
}
