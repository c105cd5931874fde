package jepsen

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"strconv"
)

// loopbackPrefix is the loopback /24 of the fallback network: node i
// listens on 127.0.0.(10+i). Linux routes all of 127.0.0.0/8 to lo, so
// these addresses need no setup and no privilege.
const loopbackPrefix = "127.0.0."

// loopbackNetwork is the fallback without root (or when forced): node i
// listens on 127.0.0.(10+i) for everything and binds its outgoing peer
// connections there too (--peer-source-addr). Its real peer listener is on
// portPeerBackend; what it advertises (--advertise-peer-addr) is the peer
// proxy (proxy.go) on portPeer of the same IP, which knows the dialing
// node by the connection's source IP. Partitions, one-way cuts and link
// faults are all the proxy's (see proxySet).
//
// What this does not cut: gossip (memberlist, UDP and TCP on the gossip
// port), which is not proxied, so failure detection still sees every node;
// and client traffic, which reaches every node, as in the namespace
// network. Raft and peer forwarding, which decide who leads and what is
// committed, are cut.
type loopbackNetwork struct {
	forced  bool // chosen by Config.Network, not for lack of root
	proxies *proxySet
}

func newLoopbackNetwork(nodeCount int, forced bool) (*loopbackNetwork, error) {
	n := &loopbackNetwork{forced: forced}
	ips := make([]string, nodeCount)
	for i := range ips {
		ips[i] = n.addr(i + 1)
	}
	proxies, err := newProxySet(ips,
		func(i int) (net.Listener, error) {
			ln, err := net.Listen("tcp", net.JoinHostPort(n.addr(i), portPeer))
			if err != nil {
				return nil, fmt.Errorf("%w (another loopback run on this machine?)", err)
			}
			return ln, nil
		},
		func(ctx context.Context, i int) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "tcp", net.JoinHostPort(n.addr(i), portPeerBackend))
		})
	if err != nil {
		return nil, err
	}
	n.proxies = proxies
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

func (n *loopbackNetwork) cut(a, b int) error { return n.proxies.cut(a, b) }

func (n *loopbackNetwork) cutOneWay(from, to int) error { return n.proxies.cutOneWay(from, to) }

func (n *loopbackNetwork) setLink(from, to int, f linkFault) error {
	return n.proxies.setLink(from, to, f)
}

func (n *loopbackNetwork) healAll() error {
	n.proxies.healAll()
	return nil
}

func (n *loopbackNetwork) proxyStats() ProxyStats { return n.proxies.Stats() }

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

func (n *loopbackNetwork) close() error { return n.proxies.close() }
