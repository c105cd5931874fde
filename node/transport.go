package node

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/hashicorp/raft"
)

// The peer port carries every Raft group's traffic and the peer RPCs. Each
// connection starts (after the TLS handshake, when TLS is on) with a header:
//
//	byte 0:    kind ('R' Raft, 'P' peer gRPC)
//	byte 1-2:  length of the group id (Raft only), big endian
//	byte 3-:   group id
//
// Rejected alternatives: one port per group (hundreds of ports to open in
// firewalls, and group creation would need port allocation); a custom
// raft.Transport over gRPC streams (more code than hashicorp/raft's tested
// NetworkTransport, which already pipelines AppendEntries).
const (
	connKindRaft = 'R'
	connKindPeer = 'P'

	headerTimeout = 5 * time.Second
	groupIDMax    = 128
)

// peerMux accepts connections on the peer port and hands them to the Raft
// group or the peer gRPC server they name.
type peerMux struct {
	listener net.Listener
	tls      *tls.Config // nil: plaintext
	logger   *slog.Logger

	mu     sync.Mutex
	groups map[string]*streamLayer
	peer   *chanListener
	closed bool
}

func newPeerMux(l net.Listener, serverTLS *tls.Config, logger *slog.Logger) *peerMux {
	return &peerMux{
		listener: l,
		tls:      serverTLS,
		logger:   logger,
		groups:   make(map[string]*streamLayer),
		peer:     newChanListener(l.Addr()),
	}
}

func (m *peerMux) serve() {
	for {
		conn, err := m.listener.Accept()
		if err != nil {
			m.mu.Lock()
			closed := m.closed
			m.mu.Unlock()
			if closed || errors.Is(err, net.ErrClosed) {
				return
			}
			m.logger.Warn("peer accept failed", "error", err)
			time.Sleep(10 * time.Millisecond)
			continue
		}
		go m.handle(conn)
	}
}

func (m *peerMux) handle(conn net.Conn) {
	_ = conn.SetDeadline(time.Now().Add(headerTimeout))
	if m.tls != nil {
		tconn := tls.Server(conn, m.tls)
		if err := tconn.Handshake(); err != nil {
			m.logger.Warn("peer connection refused", "remote", conn.RemoteAddr().String(), "error", err)
			_ = conn.Close()
			return
		}
		conn = tconn
	}
	var kind [1]byte
	if _, err := io.ReadFull(conn, kind[:]); err != nil {
		_ = conn.Close()
		return
	}
	switch kind[0] {
	case connKindPeer:
		_ = conn.SetDeadline(time.Time{})
		if !m.peer.deliver(conn) {
			_ = conn.Close()
		}
	case connKindRaft:
		var n [2]byte
		if _, err := io.ReadFull(conn, n[:]); err != nil {
			_ = conn.Close()
			return
		}
		length := binary.BigEndian.Uint16(n[:])
		if length == 0 || length > groupIDMax {
			_ = conn.Close()
			return
		}
		id := make([]byte, length)
		if _, err := io.ReadFull(conn, id); err != nil {
			_ = conn.Close()
			return
		}
		_ = conn.SetDeadline(time.Time{})
		m.mu.Lock()
		layer := m.groups[string(id)]
		m.mu.Unlock()
		if layer == nil || !layer.listener.deliver(conn) {
			// The group is not (yet) running here; Raft retries.
			_ = conn.Close()
		}
	default:
		_ = conn.Close()
	}
}

// register creates the raft.StreamLayer of one group.
func (m *peerMux) register(groupID string, dial func(ctx context.Context, addr string, header []byte) (net.Conn, error)) *streamLayer {
	m.mu.Lock()
	defer m.mu.Unlock()
	header := make([]byte, 3+len(groupID))
	header[0] = connKindRaft
	binary.BigEndian.PutUint16(header[1:3], uint16(len(groupID)))
	copy(header[3:], groupID)
	layer := &streamLayer{
		listener: newChanListener(m.listener.Addr()),
		header:   header,
		dial:     dial,
		onClose:  func() { m.unregister(groupID) },
	}
	m.groups[groupID] = layer
	return layer
}

func (m *peerMux) unregister(groupID string) {
	m.mu.Lock()
	delete(m.groups, groupID)
	m.mu.Unlock()
}

func (m *peerMux) close() error {
	m.mu.Lock()
	m.closed = true
	m.mu.Unlock()
	_ = m.peer.Close()
	return m.listener.Close()
}

// peerDialer dials a peer port: TCP, TLS (verifying the server names a
// server), then the connection header.
type peerDialer struct {
	tls    *tls.Config  // nil: plaintext
	source *net.TCPAddr // nil: the kernel picks the source address
	// admit, if set, vets each new TCP connection to addr before TLS and
	// the header: it may refuse it (and close it) or wrap it. Only
	// TestCluster sets it (TestingConfig.admitPeerConn), to partition.
	admit func(addr string, conn net.Conn) (net.Conn, error)
	// delay, if set, is the simulated one-way latency of a new
	// connection to addr, applied to both its directions
	// (TestingConfig.RegionLatency); 0: none.
	delay func(addr string) time.Duration
}

func (d peerDialer) dial(ctx context.Context, addr string, header []byte) (net.Conn, error) {
	dialer := net.Dialer{}
	if d.source != nil {
		dialer.LocalAddr = d.source
	}
	conn, err := dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	if d.admit != nil {
		if conn, err = d.admit(addr, conn); err != nil {
			return nil, err
		}
	}
	if d.delay != nil {
		if latency := d.delay(addr); latency > 0 {
			conn = newDelayedConn(conn, latency)
		}
	}
	if d.tls != nil {
		tconn := tls.Client(conn, d.tls)
		if err := tconn.HandshakeContext(ctx); err != nil {
			_ = conn.Close()
			return nil, fmt.Errorf("peer TLS handshake with %s: %w", addr, err)
		}
		conn = tconn
	}
	if deadline, ok := ctx.Deadline(); ok {
		_ = conn.SetWriteDeadline(deadline)
	}
	if _, err := conn.Write(header); err != nil {
		_ = conn.Close()
		return nil, err
	}
	_ = conn.SetWriteDeadline(time.Time{})
	return conn, nil
}

// streamLayer is one group's raft.StreamLayer over the shared peer port.
// It remembers every connection it hands to Raft so that shutdown can cut
// them: hashicorp/raft's pipelined replication blocks on a connection whose
// peer stopped answering, and Raft's Shutdown would wait for it forever.
type streamLayer struct {
	listener *chanListener
	header   []byte
	dial     func(ctx context.Context, addr string, header []byte) (net.Conn, error)
	onClose  func()

	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

var _ raft.StreamLayer = (*streamLayer)(nil)

func (s *streamLayer) track(c net.Conn) net.Conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conns == nil {
		s.conns = make(map[net.Conn]struct{})
	}
	s.conns[c] = struct{}{}
	return &trackedConn{Conn: c, layer: s}
}

// closeConns closes every connection of this group, dialed or accepted.
func (s *streamLayer) closeConns() {
	s.mu.Lock()
	conns := s.conns
	s.conns = nil
	s.mu.Unlock()
	for c := range conns {
		_ = c.Close()
	}
}

func (s *streamLayer) Accept() (net.Conn, error) {
	c, err := s.listener.Accept()
	if err != nil {
		return nil, err
	}
	return s.track(c), nil
}

func (s *streamLayer) Addr() net.Addr { return s.listener.Addr() }

func (s *streamLayer) Close() error {
	s.onClose()
	return s.listener.Close()
}

func (s *streamLayer) Dial(address raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	c, err := s.dial(ctx, string(address), s.header)
	if err != nil {
		return nil, err
	}
	return s.track(c), nil
}

// trackedConn forgets itself when Raft closes it.
type trackedConn struct {
	net.Conn
	layer *streamLayer
	once  sync.Once
}

func (c *trackedConn) Close() error {
	c.once.Do(func() {
		c.layer.mu.Lock()
		delete(c.layer.conns, c.Conn)
		c.layer.mu.Unlock()
	})
	return c.Conn.Close()
}

// chanListener is a net.Listener fed by the mux.
type chanListener struct {
	addr   net.Addr
	conns  chan net.Conn
	done   chan struct{}
	closed sync.Once
}

func newChanListener(addr net.Addr) *chanListener {
	return &chanListener{addr: addr, conns: make(chan net.Conn, 64), done: make(chan struct{})}
}

func (l *chanListener) deliver(conn net.Conn) bool {
	select {
	case <-l.done:
		return false
	default:
	}
	select {
	case l.conns <- conn:
		return true
	case <-l.done:
		return false
	case <-time.After(headerTimeout):
		return false
	}
}

func (l *chanListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *chanListener) Close() error {
	l.closed.Do(func() { close(l.done) })
	return nil
}

func (l *chanListener) Addr() net.Addr { return l.addr }
