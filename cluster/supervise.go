package cluster

import (
	"fmt"
	"log/slog"
	"syscall"
	"time"

	"github.com/spawnkit/spawnkit/childproc"
	"github.com/spawnkit/spawnkit/internal/iox"
)

// read handles what a worker sends until its channel closes.
func (p *Primary) read(w *child) {
	defer p.wg.Done()
	defer close(w.readerDone)
	for {
		env, f, err := recvEnvelope(w.ch)
		if err != nil {
			return
		}
		if env.Op == opConnBack && f != nil {
			p.redispatch(env.Socket, f)
			continue
		}
		if f != nil {
			f.Close()
		}
		switch env.Op {
		case opOnline:
			w.mu.Lock()
			first := !w.isOnline
			w.isOnline = true
			w.lastPong = time.Now()
			w.mu.Unlock()
			if first {
				close(w.online)
				p.emit(Event{Kind: EventOnline, Worker: w.info})
			}
		case opPong:
			w.mu.Lock()
			w.lastPong = time.Now()
			w.mu.Unlock()
		case opListen:
			// Not on this goroutine: the reply may wait for the
			// acknowledgement of a handle in flight, which this
			// goroutine reads.
			p.wg.Add(1)
			go func() {
				defer p.wg.Done()
				p.handleListen(w, env)
			}()
		case opUnlisten:
			w.mu.Lock()
			delete(w.sockets, env.Socket)
			w.mu.Unlock()
		case opListening:
			p.emit(Event{Kind: EventListening, Worker: w.info, Addr: env.Addr})
			if !p.cfg.ManualReady {
				p.markReady(w)
			}
		case opReady:
			p.markReady(w)
		case opMessage:
			p.emit(Event{Kind: EventMessage, Worker: w.info, Message: env.Data})
		}
	}
}

// markReady records that w counts as up; only the first call counts.
func (p *Primary) markReady(w *child) {
	w.mu.Lock()
	first := !w.isReady && !w.lateForReady
	if first {
		w.isReady = true
	}
	w.mu.Unlock()
	if first {
		p.emit(Event{Kind: EventReady, Worker: w.info})
		close(w.ready)
	}
}

// handleListen answers a worker's Listen: the socket itself (shared mode)
// or the address to bind (ReusePort), or an error.
func (p *Primary) handleListen(w *child, req envelope) {
	reply := envelope{Op: opListenReply, Seq: req.Seq}
	s, err := p.socks.get(req.Network, req.Addr)
	if err != nil {
		reply.Err = err.Error()
		w.ch.Send(reply)
		return
	}
	reply.Addr = s.addr.String()
	if p.cfg.ReusePort {
		reply.Addr, reply.ReusePort = s.bind, true
		w.ch.Send(reply)
		return
	}
	if p.cfg.Sticky {
		if err := p.startRouter(s); err != nil {
			reply.Addr, reply.Err = "", err.Error()
		} else {
			reply.Sticky, reply.Socket = true, s.id
			w.mu.Lock()
			if w.sockets == nil {
				w.sockets = make(map[int]bool)
			}
			w.sockets[s.id] = true
			w.mu.Unlock()
		}
		w.ch.Send(reply)
		return
	}
	if err := w.ch.SendFile(reply, s.file); err != nil {
		reply.Addr, reply.Err = "", err.Error()
		w.ch.Send(reply)
	}
}

// reap waits for the worker to end, reports it, and replaces it when it
// ended without being asked to.
func (p *Primary) reap(w *child) {
	defer p.wg.Done()
	w.proc.Wait() // how it ended is in ExitStatus
	close(w.procDone)
	st, _ := w.proc.ExitStatus()
	// The channel reaches EOF when the process is gone, unless a
	// descendant kept its end: then it is closed after the same KillDelay
	// childproc gives the worker's own pipes.
	iox.WaitOrClose(w.readerDone, childproc.DefaultKillDelay, func() { w.ch.Close() })
	w.ch.Close()
	<-w.readerDone
	w.kill()

	w.mu.Lock()
	stopped, reason := w.stopping, w.killReason
	w.mu.Unlock()

	p.mu.Lock()
	delete(p.workers, w.info.ID)
	s := w.slot
	p.emit(Event{Kind: EventExit, Worker: w.info, ExitCode: st.Code, Signal: st.Signal, Stopped: stopped, Err: reason})
	p.logExit(w.info, st, stopped, reason)
	var allGone bool
	if s.current == w {
		s.current = nil
		if !stopped && !p.closing {
			allGone = p.slotDied(s, fmt.Sprintf("%v exited with %s", w.info, describeExit(st, reason)))
		}
	}
	p.mu.Unlock()
	close(w.exited)
	if allGone {
		go p.beginShutdown(fmt.Errorf("cluster: every worker slot was given up: %w", ErrCrashLoop))
	}
}

// describeExit reads as st does, with the primary's reason for killing the
// worker, if any, in parentheses.
func describeExit(st childproc.ExitStatus, reason error) string {
	s := st.String()
	if reason != nil {
		s += " (" + reason.Error() + ")"
	}
	return s
}

// slotDied records a death in slot s and schedules a replacement after the
// backoff delay, or gives the slot up when it died CrashLimit times within
// CrashWindow. It reports whether every slot is now given up. p.mu must be
// held.
func (p *Primary) slotDied(s *slot, what string) (allGivenUp bool) {
	delay, n, crashLoop := s.backoff.Died(time.Now())
	if crashLoop {
		s.gaveUp = true
		within, attrs := "in all", []slog.Attr{slog.Int("slot", s.index), slog.Int("deaths", n)}
		if p.cfg.CrashWindow >= 0 { // negative: every death counts, however old
			within = fmt.Sprintf("within %v", p.cfg.CrashWindow)
			attrs = append(attrs, slog.Duration("window", p.cfg.CrashWindow))
		}
		err := fmt.Errorf("%w: slot %d: %d deaths %s, the last: %s; not restarting it", ErrCrashLoop, s.index, n, within, what)
		p.emit(Event{Kind: EventCrashLoop, Worker: WorkerInfo{Slot: s.index}, Err: err})
		p.log(slog.LevelError, "slot given up", append(attrs, slog.Any("err", err))...)
		for _, o := range p.slots {
			if !o.gaveUp {
				return false
			}
		}
		return true
	}
	if s.reloading {
		return false // the reload fills the slot
	}
	p.scheduleRestart(s, delay)
	return false
}

// scheduleRestart fills slot s again after delay. p.mu must be held.
func (p *Primary) scheduleRestart(s *slot, delay time.Duration) {
	p.cancelRestart(s)
	p.wg.Add(1)
	var t *time.Timer
	p.timerMu.Lock()
	t = time.AfterFunc(delay, func() {
		p.timerMu.Lock() // t is set once AfterFunc has returned
		self := t
		p.timerMu.Unlock()
		defer p.wg.Done()
		p.restart(s, self)
	})
	p.timerMu.Unlock()
	s.timer = t
}

// restart fills slot s again, unless the restart was cancelled meanwhile.
func (p *Primary) restart(s *slot, t *time.Timer) {
	p.mu.Lock()
	if s.timer != t || p.closing || s.current != nil || s.gaveUp || s.reloading {
		p.mu.Unlock()
		return
	}
	s.timer = nil
	w, err := p.spawn(s, true)
	var allGone bool
	if err != nil {
		p.log(slog.LevelError, "worker restart failed", slog.Int("slot", s.index), slog.Any("err", err))
		allGone = p.slotDied(s, err.Error())
	} else {
		p.logStarted(w, "restart")
	}
	p.mu.Unlock()
	if allGone {
		go p.beginShutdown(fmt.Errorf("cluster: every worker slot was given up: %w", ErrCrashLoop))
	}
}

// cancelRestart stops a pending restart of s. p.mu must be held.
func (p *Primary) cancelRestart(s *slot) {
	if s.timer != nil && s.timer.Stop() {
		p.wg.Done()
	}
	s.timer = nil
}

// watchdog kills a worker that is not ready within ReadyTimeout, or that
// leaves heartbeats unanswered for HeartbeatTimeout once online; a negative
// ReadyTimeout or HeartbeatInterval turns the matching check off.
func (p *Primary) watchdog(w *child) {
	defer p.wg.Done()
	var lateReady <-chan time.Time
	if p.cfg.ReadyTimeout >= 0 {
		readyTimer := time.NewTimer(p.cfg.ReadyTimeout)
		defer readyTimer.Stop()
		lateReady = readyTimer.C
	}
	ready, online := w.ready, w.online
	var tick <-chan time.Time
	pings := make(chan uint64, 1)
	defer close(pings)
	p.wg.Add(1)
	go func() { // the pinger: a full socket must not stall the watchdog
		defer p.wg.Done()
		for seq := range pings {
			w.ch.Send(envelope{Op: opPing, Seq: seq})
		}
	}()
	var seq uint64
	for {
		select {
		case <-w.procDone:
			return
		case <-ready:
			ready, lateReady = nil, nil
		case <-lateReady:
			if w.missedReady() {
				p.killFor(w, ErrNotReady, p.cfg.ReadyTimeout)
			}
		case <-online:
			online = nil
			if p.cfg.HeartbeatInterval > 0 {
				t := time.NewTicker(p.cfg.HeartbeatInterval)
				defer t.Stop()
				tick = t.C
			}
		case <-tick:
			w.mu.Lock()
			late := time.Since(w.lastPong) > p.cfg.HeartbeatTimeout && !w.stopping
			w.mu.Unlock()
			if late {
				p.killFor(w, ErrUnresponsive, p.cfg.HeartbeatTimeout)
				tick = nil
				continue
			}
			seq++
			select {
			case pings <- seq:
			default:
			}
		}
	}
}

// missedReady reports whether w, at the end of its ReadyTimeout, is
// neither up nor stopping. Once it has said so, w never counts as up (a
// ready message that comes later is ignored), so no worker is both
// reported ready and killed for not being ready, however late the
// watchdog runs.
func (w *child) missedReady() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.isReady || w.stopping {
		return false
	}
	w.lateForReady = true
	return true
}

func (w *child) isStopping() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.stopping
}

// killFor kills w's tree with SIGKILL, recording why (the first reason
// wins) and logging it with how long the primary waited.
func (p *Primary) killFor(w *child, reason error, after time.Duration) {
	w.mu.Lock()
	first := w.killReason == nil
	if first {
		w.killReason = reason
	}
	w.mu.Unlock()
	if first {
		p.logKilled(w.info, reason, after)
	}
	w.kill()
}

// stop asks w to stop accepting, drain and exit, and kills it if it is
// still running after timeout (never when timeout is negative). It does not
// wait.
func (p *Primary) stop(w *child, timeout time.Duration) {
	w.sendMu.Lock() // no routed connection after opStop
	defer w.sendMu.Unlock()
	w.mu.Lock()
	if w.stopping {
		w.mu.Unlock()
		return
	}
	w.stopping = true
	w.mu.Unlock()
	if timeout >= 0 {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			t := time.NewTimer(timeout)
			defer t.Stop()
			select {
			case <-w.procDone:
			case <-t.C:
				p.killFor(w, ErrDrainTimeout, timeout)
			}
		}()
	}
	if err := w.ch.Send(envelope{Op: opStop}); err != nil {
		w.proc.Signal(syscall.SIGTERM) // the worker's Run drains on it as well
	}
}
