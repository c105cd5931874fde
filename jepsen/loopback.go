package jepsen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os/exec"
	"strconv"
	"sync"
	"time"
)

// loopbackPrefix is the loopback /24 of the fallback network: node i
// listens on 127.0.0.(10+i). Linux routes all of 127.0.0.0/8 to lo, so
// these addresses need no setup and no privilege.
const loopbackPrefix = "127.0.0."

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
)

// loopbackNetwork is the fallback without root (or when forced): node i
// listens on 127.0.0.(10+i) for everything and binds its outgoing peer
// connections there too (--peer-source-addr). Its real peer listener is on
// portPeerBackend; what it advertises (--advertise-peer-addr) is a
// user-space TCP proxy on portPeer of the same IP, which forwards to it.
// The proxy knows the dialing node by the connection's source IP, so it
// can separate pairs of nodes:
//
//   - a new connection from a separated peer is accepted and stalled: its
//     bytes are read and dropped and nothing is ever answered, as if the
//     packets went into a blackhole (the dialer times out);
//   - cut closes the open connections of the pair, both ways (Raft keeps
//     connections pooled; they would otherwise outlive the partition);
//   - healAll closes the stalled connections, so their dialers redial.
//
// What this does not cut: gossip (memberlist, UDP and TCP on the gossip
// port), which is not proxied, so failure detection still sees every node;
// and client traffic, which reaches every node, as in the namespace
// network. Raft and peer forwarding, which decide who leads and what is
// committed, are cut.
type loopbackNetwork struct {
	forced    bool // chosen by Config.Network, not for lack of root
	nodeCount int  // set before the proxies start; they read it
	proxies   []*peerProxy

	mu       sync.Mutex
	cutPairs map[[2]int]bool
}

func newLoopbackNetwork(nodeCount int, forced bool) (*loopbackNetwork, error) {
	n := &loopbackNetwork{forced: forced, nodeCount: nodeCount, cutPairs: map[[2]int]bool{}}
	for i := 1; i <= nodeCount; i++ {
		p, err := newPeerProxy(n, i)
		if err != nil {
			_ = n.close()
			return nil, err
		}
		n.proxies = append(n.proxies, p)
	}
	return n, nil
}

func (n *loopbackNetwork) addr(i int) string { return loopbackPrefix + strconv.Itoa(10+i) }

func (n *loopbackNetwork) command(_ int, argv []string) *exec.Cmd {
	return exec.Command(argv[0], argv[1:]...)
}

func (n *loopbackNetwork) dial(ctx context.Context, addr string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, "tcp", addr)
}

func (n *loopbackNetwork) peerFlags(i int) []string {
	ip := n.addr(i)
	return []string{"--peer-addr", net.JoinHostPort(ip, portPeerBackend),
		"--advertise-peer-addr", net.JoinHostPort(ip, portPeer), "--peer-source-addr", ip}
}

// nodeOf maps a source IP to the node that binds its peer connections
// to it; 0 for any other address (the harness, or a node without
// --peer-source-addr), which is never separated from anyone.
func (n *loopbackNetwork) nodeOf(ip net.IP) int {
	for i := 1; i <= n.nodeCount; i++ {
		if ip.Equal(net.ParseIP(n.addr(i))) {
			return i
		}
	}
	return 0
}

// separatedLocked reports whether a and b are cut from each other.
func (n *loopbackNetwork) separatedLocked(a, b int) bool {
	return a != 0 && b != 0 && n.cutPairs[[2]int{min(a, b), max(a, b)}]
}

func (n *loopbackNetwork) cut(a, b int) error {
	if a < 1 || b < 1 || a > n.nodeCount || b > n.nodeCount || a == b {
		return fmt.Errorf("cut n%d from n%d: no such pair", a, b)
	}
	// Under n.mu, so that no proxy admits a connection of the pair
	// between the new cut and the closing of the open connections.
	n.mu.Lock()
	defer n.mu.Unlock()
	n.cutPairs[[2]int{min(a, b), max(a, b)}] = true
	n.proxies[b-1].closeForwarding(a)
	n.proxies[a-1].closeForwarding(b)
	return nil
}

func (n *loopbackNetwork) healAll() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	clear(n.cutPairs)
	for _, p := range n.proxies {
		p.closeStalled()
	}
	return nil
}

func (n *loopbackNetwork) describe() string {
	why := "not root"
	if n.forced {
		why = "forced by -network loopback"
	}
	return fmt.Sprintf("loopback %s(10+i) FALLBACK (%s). Partitions cut only Raft and peer forwarding: a user-space TCP proxy "+
		"on each node's advertised peer port tells peers apart by source IP (--peer-source-addr), stalls new connections "+
		"of a separated pair and closes its open ones. Gossip (memberlist) is NOT cut: failure detection still sees every node. "+
		"Clients reach every node", loopbackPrefix, why)
}

func (n *loopbackNetwork) close() error {
	var errs []error
	for _, p := range n.proxies {
		errs = append(errs, p.close())
	}
	return errors.Join(errs...)
}

// peerProxy stands in front of one node's real peer listener.
type peerProxy struct {
	network *loopbackNetwork
	target  int    // the node behind it
	backend string // its real peer listener
	ln      net.Listener
	wg      sync.WaitGroup

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
	closeOnce sync.Once

	mu      sync.Mutex
	backend net.Conn // nil until dialled; never set for a stalled conn
	closed  bool
}

func (pc *proxiedConn) close() {
	pc.closeOnce.Do(func() {
		pc.mu.Lock()
		pc.closed = true
		backend := pc.backend
		pc.mu.Unlock()
		_ = pc.client.Close()
		if backend != nil {
			_ = backend.Close()
		}
	})
}

func newPeerProxy(nw *loopbackNetwork, target int) (*peerProxy, error) {
	ip := nw.addr(target)
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, portPeer))
	if err != nil {
		return nil, fmt.Errorf("peer proxy of n%d: %w (another loopback run on this machine?)", target, err)
	}
	p := &peerProxy{network: nw, target: target, backend: net.JoinHostPort(ip, portPeerBackend), ln: ln,
		conns: map[*proxiedConn]struct{}{}}
	p.wg.Go(p.acceptLoop)
	return p, nil
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
// both under the network's lock, so that a cut or heal either precedes
// the decision or finds the connection (lock order: network, proxy).
func (p *peerProxy) admit(conn net.Conn) {
	var from int
	if tcp, ok := conn.RemoteAddr().(*net.TCPAddr); ok {
		from = p.network.nodeOf(tcp.IP)
	}
	p.network.mu.Lock()
	stall := p.network.separatedLocked(from, p.target)
	pc := &proxiedConn{from: from, stalled: stall, client: conn}
	p.mu.Lock()
	admitted := !p.closed && (!stall || p.stalled < proxyStalledMax)
	if admitted {
		p.conns[pc] = struct{}{}
		if stall {
			p.stalled++
		}
	}
	p.mu.Unlock()
	p.network.mu.Unlock()
	if !admitted {
		_ = conn.Close()
		return
	}
	p.wg.Go(func() {
		defer p.forget(pc)
		if stall {
			// Read and drop until the dialer gives up or the heal closes it.
			_, _ = io.Copy(io.Discard, conn)
			return
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
	backend, err := net.DialTimeout("tcp", p.backend, proxyDialTimeout)
	if err != nil {
		return // node down: the dialer sees its connection closed
	}
	pc.mu.Lock()
	if pc.closed {
		pc.mu.Unlock()
		_ = backend.Close()
		return
	}
	pc.backend = backend
	pc.mu.Unlock()
	done := make(chan struct{}, 2)
	copyHalf := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		done <- struct{}{}
	}
	go copyHalf(backend, pc.client)
	go copyHalf(pc.client, backend)
	<-done
	pc.close() // ends the other half too
	<-done
}

// closeForwarding closes the forwarding connections dialled by node from.
func (p *peerProxy) closeForwarding(from int) {
	p.mu.Lock()
	var victims []*proxiedConn
	for pc := range p.conns {
		if pc.from == from && !pc.stalled {
			victims = append(victims, pc)
		}
	}
	p.mu.Unlock()
	for _, pc := range victims {
		pc.close()
	}
}

// closeStalled closes every stalled connection (after a heal).
func (p *peerProxy) closeStalled() {
	p.mu.Lock()
	var victims []*proxiedConn
	for pc := range p.conns {
		if pc.stalled {
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
	victims := make([]*proxiedConn, 0, len(p.conns))
	for pc := range p.conns {
		victims = append(victims, pc)
	}
	p.mu.Unlock()
	err := p.ln.Close()
	for _, pc := range victims {
		pc.close()
	}
	p.wg.Wait()
	return err
}
