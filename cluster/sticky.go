package cluster

import (
	"errors"
	"hash/fnv"
	"net"
	"os"
	"sync"
	"time"
)

// startRouter starts, once per socket, the primary's accept loop of
// Config.Sticky. p.mu must not be held.
func (p *Primary) startRouter(s *socket) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closing {
		return ErrClosed
	}
	if s.routed {
		return nil
	}
	l, err := net.FileListener(s.file)
	if err != nil {
		return err
	}
	s.routed = true
	p.routers = append(p.routers, l)
	p.wg.Add(1)
	go p.route(s, l)
	return nil
}

// route accepts connections on l and passes each to a worker.
func (p *Primary) route(s *socket, l net.Listener) {
	defer p.wg.Done()
	for {
		c, err := l.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(5 * time.Millisecond) // EMFILE and the like
			continue
		}
		p.dispatch(s, c)
	}
}

// dispatch passes c to the worker its client's IP hashes to, or to the
// next slot with a routable worker. With none (all starting or stopping)
// it retries for up to ReadyTimeout (until the cluster closes when that is
// negative), then closes c.
func (p *Primary) dispatch(s *socket, c net.Conn) {
	f, err := c.(interface{ File() (*os.File, error) }).File()
	c.Close()
	if err != nil {
		return
	}
	defer f.Close()
	h := fnv.New32a()
	if ta, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		h.Write(ta.IP.To16())
	}
	target := int(h.Sum32() % uint32(p.cfg.Workers))
	deadline := time.Now().Add(p.cfg.ReadyTimeout)
	for {
		for _, w := range p.routable(s, target) {
			if p.pass(w, s, f) {
				return
			}
		}
		if (p.cfg.ReadyTimeout >= 0 && time.Now().After(deadline)) || p.closingCtx.Err() != nil {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// redispatch passes on a connection a worker handed back because its
// listener had closed; f is closed.
func (p *Primary) redispatch(id int, f *os.File) {
	s := p.socks.byID(id)
	c, err := net.FileConn(f)
	f.Close()
	if err != nil {
		return
	}
	if s == nil {
		c.Close()
		return
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		p.dispatch(s, c)
	}()
}

// routable returns the workers that take connections of socket s, in
// the order to try: the newest ready and not stopping worker of each slot,
// starting with slot first.
func (p *Primary) routable(s *socket, first int) []*child {
	p.mu.Lock()
	defer p.mu.Unlock()
	best := make([]*child, len(p.slots))
	for _, w := range p.workers {
		w.mu.Lock()
		ok := w.isReady && !w.stopping && w.sockets[s.id]
		w.mu.Unlock()
		if ok && (best[w.info.Slot] == nil || best[w.info.Slot].info.ID < w.info.ID) {
			best[w.info.Slot] = w
		}
	}
	out := make([]*child, 0, len(best))
	for i := range best {
		if w := best[(first+i)%len(best)]; w != nil {
			out = append(out, w)
		}
	}
	return out
}

// pass sends f to w unless w is stopping; it reports whether it did.
func (p *Primary) pass(w *child, s *socket, f *os.File) bool {
	w.sendMu.Lock()
	defer w.sendMu.Unlock()
	if w.isStopping() {
		return false
	}
	return w.ch.SendFile(envelope{Op: opConn, Socket: s.id}, f) == nil
}

// stickyListener is a worker's listener in Sticky mode: it returns the
// connections the primary passes. Connections passed before it was closed
// are still returned by Accept after Close, so none is dropped when the
// worker stops; then Accept returns net.ErrClosed.
type stickyListener struct {
	addr   net.Addr
	conns  chan net.Conn
	mu     sync.Mutex
	closed chan struct{}
	done   bool
	drop   func()
}

func newStickyListener(addr net.Addr, drop func()) *stickyListener {
	return &stickyListener{addr: addr, conns: make(chan net.Conn, 4096), closed: make(chan struct{}), drop: drop}
}

func (l *stickyListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
	}
	select {
	case c := <-l.conns:
		return c, nil
	default:
		return nil, &net.OpError{Op: "accept", Net: l.addr.Network(), Addr: l.addr, Err: net.ErrClosed}
	}
}

// push queues c, waiting while the queue is full; after Close it takes
// nothing and reports false.
func (l *stickyListener) push(c net.Conn) bool {
	select {
	case <-l.closed:
		return false
	default:
	}
	select {
	case l.conns <- c:
		return true
	case <-l.closed:
		return false
	}
}

func (l *stickyListener) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.done {
		return nil
	}
	l.done = true
	close(l.closed)
	l.drop()
	return nil
}

func (l *stickyListener) Addr() net.Addr { return l.addr }

// stickyAddr is the address of a sticky listener, as the primary bound it.
type stickyAddr struct{ network, addr string }

func (a stickyAddr) Network() string { return a.network }
func (a stickyAddr) String() string  { return a.addr }
