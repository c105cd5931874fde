package jepsen

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Limits of the peer proxy.
const (
	// proxyDialTimeout bounds the proxy's dial of a node's real peer
	// listener (a dead node refuses at once; a paused one accepts).
	proxyDialTimeout = 2 * time.Second
	// proxyStalledMax caps the stalled connections one proxy keeps open;
	// beyond it a separated peer's connection is closed at once. Raft
	// redials about once per heartbeat timeout per group, so a fault
	// window of seconds stays far below it.
	proxyStalledMax = 512
	// proxyChunk is the most one read of a forwarded connection takes.
	proxyChunk = 32 << 10
	// proxyQueue is how many chunks one direction of a connection holds
	// while they wait out their delay; a full queue stops reading (the
	// sender then sees TCP back-pressure, as behind a slow link).
	proxyQueue = 256
)

// linkFault is what the peer proxy does to the bytes one node sends
// another (one direction of an ordered pair). The zero value forwards
// them untouched.
//
// A user-space TCP proxy cannot drop bytes from a stream, so loss is
// emulated by what it does to a TCP flow: a lost segment that is the
// last in flight (the usual case for Raft's small messages) is
// recovered only by a retransmission timeout, during which the segment
// and everything behind it wait (head-of-line blocking); and a flow
// that keeps losing is eventually given up, which the peer sees as a
// reset. So each chunk, with StallProb, holds the direction for a
// retransmission timeout drawn from StallMin..StallMax; with ResetProb
// the connection is reset (RST) instead. Fast retransmits (a loss
// repaired within a round trip) are not emulated: they cost less than
// one RTT.
type linkFault struct {
	Delay, Jitter      time.Duration // each chunk arrives Delay±Jitter after it was read, in order
	StallProb          float64       // per chunk: chance of a retransmission stall
	StallMin, StallMax time.Duration
	ResetProb          float64 // per chunk: chance the connection is reset
}

func (f linkFault) String() string {
	var s string
	if f.Delay > 0 || f.Jitter > 0 {
		s = fmt.Sprintf("delay %s±%s", f.Delay, f.Jitter)
	}
	if f.StallProb > 0 || f.ResetProb > 0 {
		if s != "" {
			s += ", "
		}
		s += fmt.Sprintf("loss: %.1f%% of chunks stall %s..%s, %.2f%% reset the connection",
			100*f.StallProb, f.StallMin, f.StallMax, 100*f.ResetProb)
	}
	if s == "" {
		return "none"
	}
	return s
}

// linkTable is an immutable snapshot of the proxy's per-pair faults, read
// without a lock for every chunk forwarded.
type linkTable struct {
	links  map[[2]int]linkFault // ordered (from, to)
	oneWay map[[2]int]bool      // ordered (from, to): bytes dropped
}

// ProxyStats counts what the peer proxies did to connections.
type ProxyStats struct {
	Stalls       int64 // chunks held for a retransmission timeout
	Resets       int64 // connections reset by the loss emulation
	DroppedBytes int64 // bytes dropped by one-way partitions
}

// proxySet is the user-space TCP proxy in front of every node's real peer
// listener (Raft and peer forwarding): each node advertises its proxy's
// address, so every peer connection goes through it. The proxy knows the
// dialing node by the connection's source IP, so it can act on each pair
// of nodes:
//
//   - cut (both ways): a new connection of the pair is accepted and
//     stalled (its bytes are read and dropped, nothing is answered, as
//     with a blackhole route: the dialer times out); open ones are closed
//     at the cut (Raft pools connections; they would otherwise outlive
//     it); heal closes the stalled ones, so their dialers redial;
//   - one way (from, to): every byte from sends to is read and dropped,
//     on connections either of them dialled, while to's bytes reach
//     from. At heal, connections that lost bytes are closed (their
//     streams have holes);
//   - link faults (from, to): delay with jitter, loss (see linkFault).
//
// Connections from an address of no node (the harness) are never touched.
type proxySet struct {
	nodeIPs     []net.IP // node i's source IP at i-1
	dialBackend func(ctx context.Context, i int) (net.Conn, error)
	proxies     []*peerProxy

	table atomic.Pointer[linkTable]
	stats struct{ stalls, resets, dropped atomic.Int64 }

	mu       sync.Mutex
	cutPairs map[[2]int]bool // unordered (min, max)
	links    map[[2]int]linkFault
	oneWay   map[[2]int]bool
}

// newProxySet starts one proxy per node: listen(i) is the listener node i
// advertises, dialBackend(i) reaches node i's real peer listener.
func newProxySet(nodeIPs []string, listen func(i int) (net.Listener, error),
	dialBackend func(ctx context.Context, i int) (net.Conn, error)) (*proxySet, error) {
	s := &proxySet{dialBackend: dialBackend, cutPairs: map[[2]int]bool{},
		links: map[[2]int]linkFault{}, oneWay: map[[2]int]bool{}}
	for _, ip := range nodeIPs {
		s.nodeIPs = append(s.nodeIPs, net.ParseIP(ip))
	}
	s.publishLocked()
	for i := 1; i <= len(nodeIPs); i++ {
		ln, err := listen(i)
		if err != nil {
			_ = s.close()
			return nil, fmt.Errorf("peer proxy of n%d: %w", i, err)
		}
		p := &peerProxy{set: s, target: i, ln: ln, conns: map[*proxiedConn]struct{}{}}
		s.proxies = append(s.proxies, p)
		p.wg.Go(p.acceptLoop)
	}
	return s, nil
}

// nodeOf maps a source IP to its node; 0 for any other address.
func (s *proxySet) nodeOf(ip net.IP) int {
	for i, n := range s.nodeIPs {
		if ip.Equal(n) {
			return i + 1
		}
	}
	return 0
}

func (s *proxySet) checkPair(a, b int) error {
	if a < 1 || b < 1 || a > len(s.nodeIPs) || b > len(s.nodeIPs) || a == b {
		return fmt.Errorf("n%d and n%d: no such pair", a, b)
	}
	return nil
}

// separatedLocked reports whether a and b are cut from each other.
func (s *proxySet) separatedLocked(a, b int) bool {
	return a != 0 && b != 0 && s.cutPairs[[2]int{min(a, b), max(a, b)}]
}

// publishLocked makes the current link faults visible to the forwarders.
func (s *proxySet) publishLocked() {
	t := &linkTable{links: map[[2]int]linkFault{}, oneWay: map[[2]int]bool{}}
	for k, v := range s.links {
		t.links[k] = v
	}
	for k, v := range s.oneWay {
		t.oneWay[k] = v
	}
	s.table.Store(t)
}

// cut separates a and b both ways.
func (s *proxySet) cut(a, b int) error {
	if err := s.checkPair(a, b); err != nil {
		return fmt.Errorf("cut: %w", err)
	}
	// Under s.mu, so that no proxy admits a connection of the pair
	// between the new cut and the closing of the open connections.
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cutPairs[[2]int{min(a, b), max(a, b)}] = true
	s.proxies[b-1].closeWhere(func(pc *proxiedConn) bool { return pc.from == a && !pc.stalled })
	s.proxies[a-1].closeWhere(func(pc *proxiedConn) bool { return pc.from == b && !pc.stalled })
	return nil
}

// cutOneWay drops every byte from sends to, from now until healAll.
func (s *proxySet) cutOneWay(from, to int) error {
	if err := s.checkPair(from, to); err != nil {
		return fmt.Errorf("one-way cut: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.oneWay[[2]int{from, to}] = true
	s.publishLocked()
	return nil
}

// setLink sets the faults of the bytes from sends to (zero: none).
func (s *proxySet) setLink(from, to int, f linkFault) error {
	if err := s.checkPair(from, to); err != nil {
		return fmt.Errorf("link: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if f == (linkFault{}) {
		delete(s.links, [2]int{from, to})
	} else {
		s.links[[2]int{from, to}] = f
	}
	s.publishLocked()
	return nil
}

// healAll removes every cut and link fault, and closes the stalled
// connections and those that lost bytes to a one-way cut.
func (s *proxySet) healAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.cutPairs)
	clear(s.links)
	clear(s.oneWay)
	s.publishLocked()
	for _, p := range s.proxies {
		p.closeWhere(func(pc *proxiedConn) bool { return pc.stalled || pc.dropped.Load() })
	}
}

// Stats reports what the proxies did so far.
func (s *proxySet) Stats() ProxyStats {
	return ProxyStats{Stalls: s.stats.stalls.Load(), Resets: s.stats.resets.Load(), DroppedBytes: s.stats.dropped.Load()}
}

func (s *proxySet) close() error {
	var errs []error
	for _, p := range s.proxies {
		errs = append(errs, p.close())
	}
	return errors.Join(errs...)
}

// peerProxy stands in front of one node's real peer listener.
type peerProxy struct {
	set    *proxySet
	target int // the node behind it
	ln     net.Listener
	wg     sync.WaitGroup

	mu      sync.Mutex
	conns   map[*proxiedConn]struct{}
	stalled int
	closed  bool
}

// proxiedConn is one accepted connection: forwarding to the backend, or
// stalled (the dialing node is separated from the target).
type proxiedConn struct {
	from      int // dialing node, 0 if unknown
	stalled   bool
	client    net.Conn
	done      chan struct{} // closed by close
	closeOnce sync.Once
	dropped   atomic.Bool // a one-way cut dropped some of its bytes

	mu      sync.Mutex
	backend net.Conn // nil until dialled; never set for a stalled conn
}

func (pc *proxiedConn) close() {
	pc.closeOnce.Do(func() {
		pc.mu.Lock()
		close(pc.done)
		backend := pc.backend
		pc.mu.Unlock()
		_ = pc.client.Close()
		if backend != nil {
			_ = backend.Close()
		}
	})
}

// reset closes both sides with an RST rather than a FIN.
func (pc *proxiedConn) reset() {
	pc.mu.Lock()
	backend := pc.backend
	pc.mu.Unlock()
	for _, c := range []net.Conn{pc.client, backend} {
		if tcp, ok := c.(*net.TCPConn); ok {
			_ = tcp.SetLinger(0)
		}
	}
	pc.close()
}

func (p *peerProxy) acceptLoop() {
	for {
		conn, err := p.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(10 * time.Millisecond) // e.g. out of file descriptors
			continue
		}
		p.admit(conn)
	}
}

// admit decides whether conn is forwarded or stalled and registers it,
// both under the set's lock, so that a cut or heal either precedes the
// decision or finds the connection (lock order: set, proxy).
func (p *peerProxy) admit(conn net.Conn) {
	var from int
	if tcp, ok := conn.RemoteAddr().(*net.TCPAddr); ok {
		from = p.set.nodeOf(tcp.IP)
	}
	p.set.mu.Lock()
	stall := p.set.separatedLocked(from, p.target)
	pc := &proxiedConn{from: from, stalled: stall, client: conn, done: make(chan struct{})}
	p.mu.Lock()
	admitted := !p.closed && (!stall || p.stalled < proxyStalledMax)
	if admitted {
		p.conns[pc] = struct{}{}
		if stall {
			p.stalled++
		}
	}
	p.mu.Unlock()
	p.set.mu.Unlock()
	if !admitted {
		_ = conn.Close()
		return
	}
	p.wg.Go(func() {
		defer p.forget(pc)
		if stall {
			// Read and drop until the dialer gives up or the heal closes it.
			buf := make([]byte, 4096)
			for {
				if _, err := conn.Read(buf); err != nil {
					return
				}
			}
		}
		p.forward(pc)
	})
}

func (p *peerProxy) forget(pc *proxiedConn) {
	pc.close()
	p.mu.Lock()
	delete(p.conns, pc)
	if pc.stalled {
		p.stalled--
	}
	p.mu.Unlock()
}

func (p *peerProxy) forward(pc *proxiedConn) {
	ctx, cancel := context.WithTimeout(context.Background(), proxyDialTimeout)
	backend, err := p.set.dialBackend(ctx, p.target)
	cancel()
	if err != nil {
		return // node down: the dialer sees its connection closed
	}
	pc.mu.Lock()
	select {
	case <-pc.done:
		pc.mu.Unlock()
		_ = backend.Close()
		return
	default:
	}
	pc.backend = backend
	pc.mu.Unlock()
	done := make(chan struct{}, 2)
	go func() {
		p.pipe(pc, backend, pc.client, pc.from, p.target)
		done <- struct{}{}
	}()
	go func() {
		p.pipe(pc, pc.client, backend, p.target, pc.from)
		done <- struct{}{}
	}()
	<-done
	pc.close() // ends the other half too
	<-done
}

// chunk is what one read got, and when it may be written.
type chunk struct {
	buf *[]byte
	n   int
	due time.Time
}

var chunkPool = sync.Pool{New: func() any { b := make([]byte, proxyChunk); return &b }}

// pipe copies src to dst: the bytes node from sends node to. Each chunk
// read is given a due time by the link's faults when it is read (never
// earlier than the previous chunk's, so order is kept) and written by a
// second goroutine when due; a one-way cut drops it. A chunk no fault
// applies to, with nothing queued before it, is written at once. It returns when src
// ends (after writing what it queued) or pc is closed.
func (p *peerProxy) pipe(pc *proxiedConn, dst, src net.Conn, from, to int) {
	q := make(chan chunk, proxyQueue)
	var pending atomic.Int64 // chunks queued and not yet written
	written := make(chan struct{})
	go func() {
		defer close(written)
		for c := range q {
			if wait := time.Until(c.due); wait > 0 {
				t := time.NewTimer(wait)
				select {
				case <-t.C:
				case <-pc.done:
					t.Stop()
				}
			}
			select {
			case <-pc.done:
			default:
				if _, err := dst.Write((*c.buf)[:c.n]); err != nil {
					pc.close()
				}
			}
			chunkPool.Put(c.buf)
			pending.Add(-1)
		}
	}()
	enqueue := func(buf *[]byte, n int, due time.Time) error {
		pending.Add(1)
		select {
		case q <- chunk{buf: buf, n: n, due: due}:
			return nil
		case <-pc.done:
			pending.Add(-1)
			return net.ErrClosed
		}
	}
	var last time.Time
	for {
		buf := chunkPool.Get().(*[]byte)
		n, err := src.Read(*buf)
		var f linkFault
		if n > 0 && from != 0 && to != 0 {
			t := p.set.table.Load()
			key := [2]int{from, to}
			f = t.links[key]
			switch {
			case t.oneWay[key]:
				pc.dropped.Store(true)
				p.set.stats.dropped.Add(int64(n))
				n = 0
			case f.ResetProb > 0 && rand.Float64() < f.ResetProb:
				p.set.stats.resets.Add(1)
				pc.reset()
				n = 0
			}
		}
		queued := false
		switch {
		case n == 0:
		case f == (linkFault{}) && pending.Load() == 0:
			// Nothing to delay and nothing queued before it: write at
			// once, saving the hand-off to the writer.
			if _, werr := dst.Write((*buf)[:n]); werr != nil {
				pc.close()
				err = werr
			}
		default:
			due := time.Now().Add(f.Delay)
			if f.Jitter > 0 {
				due = due.Add(time.Duration(rand.Int64N(2*int64(f.Jitter)+1)) - f.Jitter)
			}
			if f.StallProb > 0 && rand.Float64() < f.StallProb {
				p.set.stats.stalls.Add(1)
				due = due.Add(f.StallMin + time.Duration(rand.Int64N(int64(f.StallMax-f.StallMin)+1)))
			}
			if due.Before(last) {
				due = last
			}
			last = due
			if qerr := enqueue(buf, n, due); qerr != nil {
				err = qerr
			} else {
				queued = true
			}
		}
		if !queued {
			chunkPool.Put(buf)
		}
		if err != nil {
			break
		}
	}
	close(q)
	<-written
}

// closeWhere closes the connections that match.
func (p *peerProxy) closeWhere(match func(*proxiedConn) bool) {
	p.mu.Lock()
	var victims []*proxiedConn
	for pc := range p.conns {
		if match(pc) {
			victims = append(victims, pc)
		}
	}
	p.mu.Unlock()
	for _, pc := range victims {
		pc.close()
	}
}

// close stops accepting, closes every connection and waits for the
// proxy's goroutines.
func (p *peerProxy) close() error {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	err := p.ln.Close()
	p.closeWhere(func(*proxiedConn) bool { return true })
	p.wg.Wait()
	return err
}
