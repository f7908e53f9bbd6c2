//go:build unix

package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spawnkit/spawnkit/childproc"
	"github.com/spawnkit/spawnkit/cluster"
	"github.com/spawnkit/spawnkit/ipc"
)

// supervisor runs the workers of one `spawnkit run`.
type supervisor struct {
	cfg       config
	self      string // this executable, started as the shim
	listeners []*listener
	notifyDir string // the workers' NOTIFY_SOCKETs live here
	baseEnv   []string
	ownNotify string // the supervisor's own NOTIFY_SOCKET
	control   *net.UnixListener
	out, errs *sink

	opMu sync.Mutex // one reload, scale or restart at a time

	mu       sync.Mutex
	slots    []*slot
	workers  map[int]*worker // every live worker, draining ones included
	spec     *spec           // the last fully applied generation
	nextID   int
	starting int // workers being started, not yet in workers
	gen      int
	reloads  int
	stopping bool
	stopCh   chan struct{} // closed when stopping begins
	changed  chan struct{} // closed and replaced when a worker becomes ready or exits
	failed   error         // every slot was given up
}

// slot is one of the N places; it holds one worker at a time (two while
// that worker is being replaced).
type slot struct {
	index    int
	cur      *worker
	spec     *spec
	backoff  cluster.Backoff
	gaveUp   bool
	busy     bool        // a reload, restart or fill is putting a worker here
	removed  bool        // scaled down
	timer    *time.Timer // pending fill
	timerGen int         // identifies the pending fill; a superseded one does nothing
	restarts int
}

// worker is one started program.
type worker struct {
	id      int
	sl      *slot
	spec    *spec
	proc    *childproc.Process
	pid     int
	kill    context.CancelFunc // releases the Spawn ctx once the worker is reaped
	started time.Time
	ready   chan struct{}
	exited  chan struct{}

	mu           sync.Mutex
	isReady      bool
	readyIn      time.Duration
	stopping     bool   // the supervisor asked it to stop
	failure      string // why it was stopped or killed when that counts as a crash
	selfStopping bool   // it sent STOPPING=1
	lastPet      time.Time
	status       string
	exitDesc     string
	stopTimer    *time.Timer
}

func (w *worker) prefix(name string) string {
	return fmt.Sprintf("[%s.%d %d] ", name, w.sl.index, w.pid)
}

func (s *supervisor) logf(format string, args ...any) {
	s.errs.line("spawnkit: ", []byte(fmt.Sprintf(format, args...)))
}

// broadcast wakes whoever waits for a change. s.mu must be held.
func (s *supervisor) broadcast() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// await calls done with s.mu held, now and after every change (broadcast),
// until it reports true; it returns false if the supervisor stops first.
func (s *supervisor) await(done func() bool) bool {
	for {
		s.mu.Lock()
		ok, ch := done(), s.changed
		s.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-ch:
		case <-s.stopCh:
			return false
		}
	}
}

// lockRunning locks s.mu and reports true, or, when the supervisor is
// stopping, leaves it unlocked and reports false.
func (s *supervisor) lockRunning() bool {
	s.mu.Lock()
	if s.stopping {
		s.mu.Unlock()
		return false
	}
	return true
}

// start starts a worker for slot sl running sp. The worker is not sl.cur:
// the caller decides when it takes the slot.
func (s *supervisor) start(sl *slot, sp *spec) (*worker, error) {
	if !s.lockRunning() {
		return nil, errStopping
	}
	s.nextID++
	s.starting++
	w := &worker{id: s.nextID, sl: sl, spec: sp, ready: make(chan struct{}), exited: make(chan struct{})}
	s.mu.Unlock()
	registered := false
	defer func() {
		if !registered {
			s.mu.Lock()
			s.starting--
			s.broadcast()
			s.mu.Unlock()
		}
	}()

	var files []*os.File
	var names []string
	for _, l := range s.listeners {
		files = append(files, l.file)
		names = append(names, l.name)
	}
	var closeAfter []io.Closer
	defer func() {
		for _, c := range closeAfter {
			c.Close()
		}
	}()
	fail := func(err error) (*worker, error) {
		return nil, fmt.Errorf("start %s: %w", sp.argv0, err)
	}

	sockPath := filepath.Join(s.notifyDir, strconv.Itoa(w.id))
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sockPath, Net: "unixgram"})
	if err != nil {
		return fail(err)
	}
	conn.SetReadBuffer(256 << 10)
	nr, nw, err := os.Pipe()
	if err != nil {
		conn.Close()
		os.Remove(sockPath)
		return fail(err)
	}
	closeAfter = append(closeAfter, nw)
	extra := []string{
		"NOTIFY_SOCKET=" + sockPath,
		"NOTIFY_FD=" + strconv.Itoa(3+len(files)),
		"SPAWNKIT_SLOT=" + strconv.Itoa(sl.index),
		"SPAWNKIT_WORKER=" + strconv.Itoa(w.id),
	}
	files = append(files, nw)
	if len(s.listeners) > 0 {
		extra = append(extra, "LISTEN_FDS="+strconv.Itoa(len(s.listeners)), "LISTEN_FDNAMES="+strings.Join(names, ":"))
	}
	if s.cfg.watchdog > 0 {
		extra = append(extra, "WATCHDOG_USEC="+strconv.FormatInt(s.cfg.watchdog.Microseconds(), 10))
	}
	var ch *ipc.Channel
	// release closes what the worker holds open here: the notify socket
	// (and removes its path), the notify pipe's read end, the channel.
	release := func() {
		conn.Close()
		os.Remove(sockPath)
		nr.Close()
		if ch != nil {
			ch.Close()
		}
	}
	if s.cfg.ipc {
		var child *os.File
		ch, child, err = ipc.Pair()
		if err != nil {
			release()
			return fail(err)
		}
		closeAfter = append(closeAfter, child)
		extra = append(extra, ipc.ChildEnv(3+len(files))...)
		files = append(files, child)
	}

	ctx, kill := context.WithCancel(context.Background())
	args := append([]string{shimArg, sp.path, sp.argv0}, sp.args...)
	p, err := childproc.Spawn(ctx, s.self, args, &childproc.Options{
		Dir:        sp.dir,
		Env:        sp.env,
		ExtraEnv:   extra,
		Stdin:      childproc.Ignore,
		ExtraFiles: files,
		KillSignal: syscall.SIGKILL,
		KillDelay:  time.Second,
	})
	if err != nil {
		kill()
		release()
		return fail(err)
	}
	w.proc, w.pid, w.kill, w.started = p, p.Pid, kill, time.Now()
	prefix := w.prefix(s.cfg.name)

	s.mu.Lock()
	s.workers[w.id] = w
	s.starting--
	registered = true
	stopping := s.stopping
	s.mu.Unlock()

	var readers sync.WaitGroup
	readers.Add(2)
	go func() { defer readers.Done(); s.out.copyLines(prefix, p.Stdout) }()
	go func() { defer readers.Done(); s.errs.copyLines(prefix, p.Stderr) }()
	go s.readNotifySocket(w, conn)
	go s.readNotifyFD(w, nr)
	if ch != nil {
		go s.readIPC(w, ch)
	}
	go s.monitor(w)
	go func() {
		err := p.Wait()
		desc := describeExit(p, err)
		w.mu.Lock()
		if w.stopTimer != nil {
			w.stopTimer.Stop()
		}
		w.exitDesc = desc
		w.mu.Unlock()
		kill()
		release()
		close(w.exited)
		s.workerExited(w, desc)
	}()
	if stopping {
		s.stopWorker(w, "", false)
		return nil, errStopping
	}
	return w, nil
}

// describeExit says how p ended, given what its Wait returned, in the words
// every spawnkit package uses ("exit status 3", "signal 9 (killed)"): the
// status comes from p.ExitStatus, the one place childproc extracts it.
func describeExit(p *childproc.Process, err error) string {
	var ee *childproc.ExitError
	if err != nil && !errors.As(err, &ee) {
		return err.Error() // the wait itself failed
	}
	st, _ := p.ExitStatus()
	return st.String()
}

// monitor enforces w's deadlines: ready within --ready-timeout (a late
// worker is stopped, and that counts as a crash), ready anyway after
// --ready-after, and once ready a WATCHDOG=1 at least every --watchdog (a
// silent worker's tree is killed with SIGKILL, a crash too).
func (s *supervisor) monitor(w *worker) {
	readyTimer := time.NewTimer(s.cfg.readyTimeout)
	defer readyTimer.Stop()
	var after <-chan time.Time
	if s.cfg.readyAfter > 0 {
		t := time.NewTimer(s.cfg.readyAfter)
		defer t.Stop()
		after = t.C
	}
	ready := w.ready
	var tick <-chan time.Time
	for {
		select {
		case <-w.exited:
			return
		case <-after:
			after = nil
			s.markReady(w, "--ready-after "+s.cfg.readyAfter.String())
		case <-ready:
			ready = nil
			readyTimer.Stop()
			if s.cfg.watchdog > 0 {
				t := time.NewTicker(s.cfg.watchdog / 4)
				defer t.Stop()
				tick = t.C
			}
		case <-readyTimer.C:
			if !w.isStopping() {
				s.stopWorker(w, fmt.Sprintf("it was not ready within %v", s.cfg.readyTimeout), true)
			}
		case <-tick:
			w.mu.Lock()
			late := time.Since(w.lastPet) > s.cfg.watchdog && !w.stopping
			w.mu.Unlock()
			if late {
				s.killWorker(w, fmt.Sprintf("it sent no WATCHDOG=1 for %v", s.cfg.watchdog))
				tick = nil
			}
		}
	}
}

func (w *worker) isStopping() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.stopping
}

// markReady records that w is up; only the first call counts.
func (s *supervisor) markReady(w *worker, how string) {
	w.mu.Lock()
	if w.isReady || w.stopping {
		w.mu.Unlock()
		return
	}
	w.isReady = true
	w.readyIn = time.Since(w.started)
	w.lastPet = time.Now()
	in := w.readyIn
	w.mu.Unlock()
	close(w.ready)
	s.logf("%s.%d pid %d ready in %v (%s)", s.cfg.name, w.sl.index, w.pid, in.Round(time.Millisecond), how)
	s.mu.Lock()
	s.broadcast()
	s.mu.Unlock()
}

// stopWorker sends SIGTERM to w, and SIGKILL to its whole tree if it is
// still running after --stop-timeout. A non-empty reason is logged;
// failure makes its exit count as a crash of its slot. It does not wait.
func (s *supervisor) stopWorker(w *worker, reason string, failure bool) {
	w.mu.Lock()
	if failure && w.failure == "" {
		w.failure = reason
	}
	if w.stopping {
		w.mu.Unlock()
		return
	}
	w.stopping = true
	select {
	case <-w.exited:
		w.mu.Unlock()
		return
	default:
	}
	w.stopTimer = time.AfterFunc(s.cfg.stopTimeout, func() {
		s.killWorker(w, fmt.Sprintf("it did not stop within %v", s.cfg.stopTimeout))
	})
	w.mu.Unlock()
	if reason != "" {
		s.logf("stopping %s.%d pid %d: %s", s.cfg.name, w.sl.index, w.pid, reason)
	}
	s.mu.Lock()
	s.broadcast()
	s.mu.Unlock()
	signalWorker(w.proc, syscall.SIGTERM)
}

// killWorker kills w's whole tree with SIGKILL, logging why; its exit
// counts as a crash unless it had been asked to stop before.
func (s *supervisor) killWorker(w *worker, reason string) {
	select {
	case <-w.exited:
		return
	default:
	}
	w.mu.Lock()
	if w.failure == "" && !w.stopping {
		w.failure = reason
	}
	w.mu.Unlock()
	s.logf("killing %s.%d pid %d and its processes: %s", s.cfg.name, w.sl.index, w.pid, reason)
	w.proc.Kill()
}

// signalWorker sends sig to the worker process itself.
func signalWorker(p *childproc.Process, sig syscall.Signal) error {
	return p.Signal(sig)
}

// workerExited updates the slot of a worker that ended, and schedules its
// replacement when it ended without being asked to (or was stopped for
// failing).
func (s *supervisor) workerExited(w *worker, desc string) {
	w.mu.Lock()
	failure, asked := w.failure, w.stopping
	w.mu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.workers, w.id)
	s.broadcast()
	sl := w.sl
	what := fmt.Sprintf("%s.%d pid %d exited (%s)", s.cfg.name, sl.index, w.pid, desc)
	if failure != "" {
		what = fmt.Sprintf("%s.%d pid %d exited (%s) after %s", s.cfg.name, sl.index, w.pid, desc, failure)
	}
	if sl.cur != w {
		if failure != "" || !asked {
			s.logf("%s", what)
		}
		return
	}
	sl.cur = nil
	if asked && failure == "" || s.stopping || sl.removed {
		return
	}
	s.slotDied(sl, what)
}

// slotDied records a death in sl and schedules a refill after the backoff
// delay, or gives the slot up on a crash loop; when every slot is given
// up, the supervisor stops and exits 1. s.mu must be held.
func (s *supervisor) slotDied(sl *slot, what string) {
	delay, n, loop := sl.backoff.Died(time.Now())
	if loop {
		sl.gaveUp = true
		within := fmt.Sprintf("within %v", s.cfg.backoff.Window)
		if s.cfg.backoff.Window < 0 { // --crash-window negative: every crash counts
			within = "in all"
		}
		s.logf("ERROR: %s; slot %d died %d times %s: not restarting it (a reload tries again)", what, sl.index, n, within)
		for _, o := range s.slots {
			if !o.gaveUp {
				return
			}
		}
		s.failed = fmt.Errorf("every worker slot was given up: %w", cluster.ErrCrashLoop)
		go s.shutdown()
		return
	}
	if sl.busy {
		s.logf("%s", what)
		return // the reload fills the slot
	}
	s.logf("%s; restarting in %v", what, delay)
	s.scheduleFill(sl, delay)
}

// scheduleFill starts a worker in sl after delay. s.mu must be held.
func (s *supervisor) scheduleFill(sl *slot, delay time.Duration) {
	if sl.timer != nil {
		sl.timer.Stop()
	}
	sl.timerGen++
	gen := sl.timerGen
	sl.timer = time.AfterFunc(delay, func() { s.fill(sl, gen) })
}

// fill starts a worker in the empty slot sl (a crash restart, a scale-up
// or the first start), unless it is the pending fill gen (non-zero) and
// that was superseded meanwhile. Readiness is enforced by monitor.
func (s *supervisor) fill(sl *slot, gen int) {
	s.mu.Lock()
	if gen != 0 && (sl.timer == nil || sl.timerGen != gen) || s.stopping || sl.cur != nil || sl.gaveUp || sl.busy || sl.removed {
		s.mu.Unlock()
		return
	}
	sl.timer = nil
	sl.busy = true
	sp := sl.spec
	s.mu.Unlock()
	w, err := s.start(sl, sp)
	s.mu.Lock()
	defer s.mu.Unlock()
	sl.busy = false
	if err != nil {
		if !errors.Is(err, errStopping) {
			s.slotDied(sl, err.Error())
		}
		return
	}
	if s.stopping || sl.removed {
		go s.stopWorker(w, "", false)
		return
	}
	sl.cur = w
	sl.restarts++
}

// waitReady waits until w is ready; it fails when w exits first, is not
// ready within --ready-timeout, or the supervisor stops.
func (s *supervisor) waitReady(w *worker) error {
	t := time.NewTimer(s.cfg.readyTimeout)
	defer t.Stop()
	select {
	case <-w.ready:
		return nil
	case <-w.exited:
		w.mu.Lock()
		desc := w.exitDesc
		w.mu.Unlock()
		return fmt.Errorf("pid %d exited before it was ready (%s)", w.pid, desc)
	case <-t.C:
		return fmt.Errorf("pid %d was not ready within %v", w.pid, s.cfg.readyTimeout)
	case <-s.stopCh:
		return errStopping
	}
}

// replace puts a new worker running sp in slot sl: once fewer than
// --max-draining stopped workers are still running, start it, wait until
// it is ready, then stop the old one (SIGTERM) and return without waiting
// for it to exit. When the new worker fails, the old one keeps the slot
// and the new one is stopped. It returns the time from the start of the
// new worker to the signal to the old one.
func (s *supervisor) replace(sl *slot, sp *spec) (time.Duration, error) {
	s.waitDraining()
	t0 := time.Now()
	if !s.lockRunning() {
		return 0, errStopping
	}
	if sl.removed {
		s.mu.Unlock()
		return 0, nil
	}
	sl.busy = true
	if sl.timer != nil {
		sl.timer.Stop()
		sl.timer = nil
	}
	s.mu.Unlock()

	nw, err := s.start(sl, sp)
	if err == nil {
		if err = s.waitReady(nw); err != nil {
			s.stopWorker(nw, "replacement failed: "+err.Error(), false)
		}
	}
	s.mu.Lock()
	sl.busy = false
	if err == nil && (s.stopping || sl.removed) {
		err = errStopping
		go s.stopWorker(nw, "", false)
	}
	if err != nil {
		if sl.cur == nil && !sl.gaveUp && !s.stopping && !sl.removed {
			s.scheduleFill(sl, s.cfg.backoff.Delay)
		}
		s.mu.Unlock()
		return 0, err
	}
	old := sl.cur
	sl.cur, sl.spec, sl.gaveUp = nw, sp, false
	sl.backoff.Reset()
	s.mu.Unlock()
	if old != nil {
		s.stopWorker(old, "", false)
	}
	return time.Since(t0), nil
}

// waitDraining returns once fewer than --max-draining stopped workers are
// still running (or the supervisor stops).
func (s *supervisor) waitDraining() {
	s.await(func() bool {
		n := 0
		for _, w := range s.workers {
			if w.isStopping() {
				n++
			}
		}
		limit := s.cfg.maxDraining
		if limit <= 0 {
			limit = max(len(s.slots), 1)
		}
		return n < limit
	})
}

// reload replaces every worker, one slot at a time, with one running the
// spec read anew. The first replacement that fails aborts the reload: the
// slots not yet replaced keep their workers.
func (s *supervisor) reload() error {
	s.opMu.Lock()
	defer s.opMu.Unlock()
	if !s.lockRunning() {
		return errStopping
	}
	s.gen++
	gen := s.gen
	slots := append([]*slot(nil), s.slots...)
	s.mu.Unlock()
	sp, err := s.cfg.loadSpec(gen, s.baseEnv)
	if err != nil {
		s.logf("ERROR: reload %d: %v; the workers keep running", gen, err)
		return fmt.Errorf("reload %d: %w; the workers keep running", gen, err)
	}
	sdNotify(s.ownNotify, "RELOADING=1\nMONOTONIC_USEC="+monotonicUsec())
	defer sdNotify(s.ownNotify, "READY=1")
	s.logf("reload %d: replacing %d workers one at a time", gen, len(slots))
	t0 := time.Now()
	var times []string
	for _, sl := range slots {
		took, err := s.replace(sl, sp)
		if err != nil {
			s.logf("ERROR: reload %d aborted at slot %d: %v; the workers not yet replaced keep running", gen, sl.index, err)
			return fmt.Errorf("reload %d aborted at slot %d: %w; the workers not yet replaced keep running", gen, sl.index, err)
		}
		times = append(times, took.Round(time.Millisecond).String())
	}
	s.mu.Lock()
	s.spec = sp
	s.reloads++
	s.mu.Unlock()
	s.logf("reload %d done in %v (per slot: %s)", gen, time.Since(t0).Round(time.Millisecond), strings.Join(times, " "))
	return nil
}

// restartSlot replaces the worker of slot i the way a reload does, with
// the slot's own spec.
func (s *supervisor) restartSlot(i int) error {
	s.opMu.Lock()
	defer s.opMu.Unlock()
	s.mu.Lock()
	if i < 0 || i >= len(s.slots) {
		n := len(s.slots)
		s.mu.Unlock()
		return fmt.Errorf("no slot %d (slots are 0 to %d)", i, n-1)
	}
	sl := s.slots[i]
	sp := sl.spec
	s.mu.Unlock()
	_, err := s.replace(sl, sp)
	return err
}

// scale sets the number of slots to n: new slots are filled with the
// current spec (scale waits until their workers are ready, or fails), and
// the workers of removed slots (the highest) are stopped.
func (s *supervisor) scale(n int) error {
	if n < 1 {
		return fmt.Errorf("scale %d: want at least 1 worker", n)
	}
	s.opMu.Lock()
	defer s.opMu.Unlock()
	if !s.lockRunning() {
		return errStopping
	}
	var added []*slot
	for len(s.slots) < n {
		sl := &slot{index: len(s.slots), spec: s.spec, backoff: s.cfg.backoff}
		s.slots = append(s.slots, sl)
		added = append(added, sl)
	}
	var stop []*worker
	for len(s.slots) > n {
		sl := s.slots[len(s.slots)-1]
		s.slots = s.slots[:len(s.slots)-1]
		sl.removed = true
		if sl.timer != nil {
			sl.timer.Stop()
		}
		if sl.cur != nil {
			stop = append(stop, sl.cur)
		}
	}
	s.cfg.workers = n
	s.mu.Unlock()
	for _, w := range stop {
		s.stopWorker(w, "scaled down", false)
	}
	var errs []error
	for _, sl := range added {
		s.fill(sl, 0)
		s.mu.Lock()
		w := sl.cur
		s.mu.Unlock()
		if w == nil {
			errs = append(errs, fmt.Errorf("slot %d: no worker started", sl.index))
			continue
		}
		if err := s.waitReady(w); err != nil {
			errs = append(errs, fmt.Errorf("slot %d: %w", sl.index, err))
		}
	}
	return errors.Join(errs...)
}

// signalAll sends sig to every worker that is not stopping.
func (s *supervisor) signalAll(sig syscall.Signal) int {
	s.mu.Lock()
	var ws []*worker
	for _, sl := range s.slots {
		if sl.cur != nil {
			ws = append(ws, sl.cur)
		}
	}
	s.mu.Unlock()
	n := 0
	for _, w := range ws {
		if signalWorker(w.proc, sig) == nil {
			n++
		}
	}
	return n
}

// shutdown stops every worker (SIGTERM, then SIGKILL of its tree after
// --stop-timeout) and returns once all have exited, those that were being
// started when it began included.
func (s *supervisor) shutdown() {
	s.mu.Lock()
	if !s.stopping {
		s.stopping = true
		close(s.stopCh)
		for _, sl := range s.slots {
			if sl.timer != nil {
				sl.timer.Stop()
			}
		}
	}
	s.mu.Unlock()
	sdNotify(s.ownNotify, "STOPPING=1")
	for {
		s.mu.Lock()
		var ws []*worker
		for _, w := range s.workers {
			ws = append(ws, w)
		}
		ch, starting := s.changed, s.starting
		s.mu.Unlock()
		if len(ws) == 0 && starting == 0 {
			return
		}
		for _, w := range ws {
			s.stopWorker(w, "", false)
		}
		<-ch
	}
}

// sink writes whole lines to one output, so that the lines of different
// workers never mix.
type sink struct {
	mu sync.Mutex
	w  io.Writer
}

func (k *sink) line(prefix string, b []byte) {
	buf := make([]byte, 0, len(prefix)+len(b)+1)
	buf = append(append(append(buf, prefix...), b...), '\n')
	k.mu.Lock()
	k.w.Write(buf)
	k.mu.Unlock()
}

// maxLine is the longest line copied whole; longer ones are cut into
// pieces of this size, each prefixed.
const maxLine = 64 << 10

// copyLines copies r to the sink line by line, each prefixed, until EOF.
func (k *sink) copyLines(prefix string, r io.Reader) {
	br := bufio.NewReaderSize(r, maxLine)
	for {
		b, err := br.ReadSlice('\n')
		if len(b) > 0 {
			if b[len(b)-1] == '\n' {
				b = b[:len(b)-1]
			}
			k.line(prefix, b)
		}
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return
		}
	}
}
