//go:build unix

package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"golang.org/x/sys/unix"
)

// request is one control command: a JSON line on the control socket,
// answered by one JSON line (response), after which the connection is
// closed.
type request struct {
	Cmd    string `json:"cmd"` // status, reload, scale, restart, signal
	Wait   bool   `json:"wait,omitempty"`
	N      int    `json:"n,omitempty"`
	Slot   int    `json:"slot,omitempty"`
	Signal string `json:"signal,omitempty"`
}

type response struct {
	OK     bool    `json:"ok"`
	Error  string  `json:"error,omitempty"`
	Status *status `json:"status,omitempty"`
	Text   string  `json:"text,omitempty"`
}

// status is `spawnkit ctl status --json`.
type status struct {
	Name       string         `json:"name"`
	Pid        int            `json:"pid"`
	Command    []string       `json:"command"`
	Generation int            `json:"generation"`
	Reloads    int            `json:"reloads"`
	Listeners  []listenStatus `json:"listeners"`
	Workers    []workerStatus `json:"workers"`
}

type listenStatus struct {
	Name    string `json:"name"`
	Network string `json:"network"`
	Addr    string `json:"addr"`
}

type workerStatus struct {
	Slot       int     `json:"slot"`
	Pid        int     `json:"pid,omitempty"`
	State      string  `json:"state"` // starting, ready, draining, stopping, restarting, given-up
	Generation int     `json:"generation"`
	Uptime     float64 `json:"uptime_seconds,omitempty"`
	Restarts   int     `json:"restarts"`
	Status     string  `json:"status,omitempty"` // the worker's last STATUS=
}

// defaultControl is the control socket of the supervisor named name.
func defaultControl(name string) string {
	dir := os.Getenv("XDG_RUNTIME_DIR")
	if dir != "" {
		dir = filepath.Join(dir, "spawnkit")
	} else {
		dir = filepath.Join(os.TempDir(), "spawnkit-"+strconv.Itoa(os.Getuid()))
	}
	return filepath.Join(dir, name+".sock")
}

// listenControl opens the control socket (mode 0600, in a 0700 directory
// when it makes one); a live supervisor already on that path is an error.
func (s *supervisor) listenControl() error {
	path := s.cfg.control
	if path == "" {
		path = defaultControl(s.cfg.name)
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return fmt.Errorf("control socket: %w", err)
		}
	}
	s.cfg.control = path
	if c, err := net.Dial("unix", path); err == nil {
		c.Close()
		return fmt.Errorf("control socket %s: another supervisor is running there (use --name or --control)", path)
	}
	os.Remove(path)
	old := syscall.Umask(0o177)
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	syscall.Umask(old)
	if err != nil {
		return fmt.Errorf("control socket: %w", err)
	}
	s.control = ln
	go func() {
		for {
			c, err := ln.AcceptUnix()
			if err != nil {
				return
			}
			go s.serveControl(c)
		}
	}()
	return nil
}

func (s *supervisor) closeControl() {
	if s.control != nil {
		s.control.Close() // removes the socket file
	}
}

// serveControl answers one request from a process of the same user (or
// root): peer credentials are checked where the OS has them.
func (s *supervisor) serveControl(c *net.UnixConn) {
	defer c.Close()
	if !samePeer(c) {
		json.NewEncoder(c).Encode(response{Error: "permission denied"})
		return
	}
	var req request
	br := bufio.NewReader(c)
	line, err := br.ReadBytes('\n')
	if err != nil && len(line) == 0 {
		return
	}
	if err := json.Unmarshal(line, &req); err != nil {
		json.NewEncoder(c).Encode(response{Error: "bad request: " + err.Error()})
		return
	}
	resp := s.handle(req)
	json.NewEncoder(c).Encode(resp)
}

func (s *supervisor) handle(req request) response {
	fail := func(err error) response { return response{Error: err.Error()} }
	switch req.Cmd {
	case "status":
		st := s.status()
		return response{OK: true, Status: &st}
	case "reload":
		if !req.Wait {
			go s.reload()
			return response{OK: true, Text: "reload started"}
		}
		if err := s.reload(); err != nil {
			return fail(err)
		}
		return response{OK: true, Text: "reload done"}
	case "scale":
		if err := s.scale(req.N); err != nil {
			return fail(err)
		}
		return response{OK: true, Text: fmt.Sprintf("%d workers", req.N)}
	case "restart":
		if err := s.restartSlot(req.Slot); err != nil {
			return fail(err)
		}
		return response{OK: true, Text: fmt.Sprintf("slot %d restarted", req.Slot)}
	case "signal":
		sig, err := parseSignal(req.Signal)
		if err != nil {
			return fail(err)
		}
		n := s.signalAll(sig)
		return response{OK: true, Text: fmt.Sprintf("%s sent to %d workers", signalName(sig), n)}
	}
	return fail(fmt.Errorf("unknown command %q", req.Cmd))
}

func (s *supervisor) status() status {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := status{Name: s.cfg.name, Pid: os.Getpid(), Generation: s.spec.gen, Reloads: s.reloads,
		Command: append([]string{s.cfg.program}, s.cfg.args...)}
	for _, l := range s.listeners {
		st.Listeners = append(st.Listeners, listenStatus{l.name, l.network, l.addr})
	}
	ws := func(sl *slot, w *worker) workerStatus {
		w.mu.Lock()
		defer w.mu.Unlock()
		state := "starting"
		switch {
		case w.stopping:
			state = "draining"
		case w.selfStopping:
			state = "stopping"
		case w.isReady:
			state = "ready"
		}
		return workerStatus{Slot: sl.index, Pid: w.pid, State: state, Generation: w.spec.gen,
			Uptime: time.Since(w.started).Round(time.Millisecond).Seconds(), Restarts: sl.restarts - 1, Status: w.status}
	}
	seen := make(map[*worker]bool)
	for _, sl := range s.slots {
		if sl.cur != nil {
			st.Workers = append(st.Workers, ws(sl, sl.cur))
			seen[sl.cur] = true
			continue
		}
		state := "restarting"
		if sl.gaveUp {
			state = "given-up"
		}
		st.Workers = append(st.Workers, workerStatus{Slot: sl.index, State: state, Generation: sl.spec.gen, Restarts: max(sl.restarts-1, 0)})
	}
	for _, w := range s.workers {
		if !seen[w] {
			st.Workers = append(st.Workers, ws(w.sl, w))
		}
	}
	return st
}

// ctlCommand is `spawnkit ctl`.
func ctlCommand(args []string) int {
	fs := flag.NewFlagSet("spawnkit ctl", flag.ContinueOnError)
	control := fs.String("control", os.Getenv("SPAWNKIT_CONTROL"), "the control socket (default: the one of --name)")
	name := fs.String("name", "", "the supervisor's --name")
	fs.Usage = func() { fmt.Fprint(fs.Output(), usage) }
	if err := fs.Parse(args); err != nil {
		return 2
	}
	rest := fs.Args()
	if len(rest) == 0 {
		fs.Usage()
		return 2
	}
	path := *control
	if path == "" {
		if *name == "" {
			fmt.Fprintln(os.Stderr, "spawnkit ctl: give --name or --control (or set SPAWNKIT_CONTROL)")
			return 2
		}
		path = defaultControl(*name)
	}
	req := request{Cmd: rest[0]}
	sub := flag.NewFlagSet("spawnkit ctl "+rest[0], flag.ContinueOnError)
	asJSON := sub.Bool("json", false, "status: print JSON")
	sub.BoolVar(&req.Wait, "wait", false, "reload: wait until it is done")
	if err := sub.Parse(rest[1:]); err != nil {
		return 2
	}
	operands := sub.Args()
	want := map[string]int{"status": 0, "reload": 0, "scale": 1, "restart": 1, "signal": 1}
	n, ok := want[req.Cmd]
	if !ok || len(operands) != n {
		fmt.Fprint(os.Stderr, usage)
		return 2
	}
	var err error
	switch req.Cmd {
	case "scale":
		req.N, err = strconv.Atoi(operands[0])
	case "restart":
		req.Slot, err = strconv.Atoi(operands[0])
	case "signal":
		req.Signal = operands[0]
		_, err = parseSignal(req.Signal)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "spawnkit ctl %s: %v\n", req.Cmd, err)
		return 2
	}
	resp, err := call(path, req)
	if err != nil {
		fmt.Fprintf(os.Stderr, "spawnkit ctl: %v\n", err)
		return 1
	}
	if !resp.OK {
		fmt.Fprintf(os.Stderr, "spawnkit ctl %s: %s\n", req.Cmd, resp.Error)
		return 1
	}
	switch {
	case resp.Status != nil && *asJSON:
		b, _ := json.MarshalIndent(resp.Status, "", "  ")
		fmt.Println(string(b))
	case resp.Status != nil:
		printStatus(resp.Status)
	default:
		fmt.Println(resp.Text)
	}
	return 0
}

// call sends req to the control socket at path and reads the answer.
func call(path string, req request) (response, error) {
	var resp response
	c, err := net.Dial("unix", path)
	if err != nil {
		return resp, err
	}
	defer c.Close()
	if err := json.NewEncoder(c).Encode(req); err != nil {
		return resp, err
	}
	if err := json.NewDecoder(c).Decode(&resp); err != nil {
		return resp, fmt.Errorf("reading the answer: %w", err)
	}
	return resp, nil
}

func printStatus(st *status) {
	fmt.Printf("%s: supervisor pid %d, generation %d, %d reloads: %s\n", st.Name, st.Pid, st.Generation, st.Reloads, strings.Join(st.Command, " "))
	for _, l := range st.Listeners {
		fmt.Printf("  %s: %s %s\n", l.Name, l.Network, l.Addr)
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SLOT\tPID\tSTATE\tGEN\tUPTIME\tRESTARTS\tSTATUS")
	for _, w := range st.Workers {
		pid := "-"
		if w.Pid != 0 {
			pid = strconv.Itoa(w.Pid)
		}
		up := time.Duration(w.Uptime * float64(time.Second)).Round(time.Second)
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%v\t%d\t%s\n", w.Slot, pid, w.State, w.Generation, up, w.Restarts, w.Status)
	}
	tw.Flush()
}

// parseSignal reads a signal name (HUP, SIGHUP, hup) or number.
func parseSignal(v string) (syscall.Signal, error) {
	if n, err := strconv.Atoi(v); err == nil && n > 0 {
		return syscall.Signal(n), nil
	}
	name := strings.ToUpper(v)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if sig := unix.SignalNum(name); sig != 0 {
		return sig, nil
	}
	return 0, fmt.Errorf("unknown signal %q", v)
}

// signalName is "SIGTERM" for SIGTERM.
func signalName(sig syscall.Signal) string {
	if n := unix.SignalName(sig); n != "" {
		return n
	}
	return "signal " + strconv.Itoa(int(sig))
}
