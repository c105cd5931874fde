package jepsen

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// namespacePrefix starts the name of every network namespace the harness
// creates, followed by the harness's pid: "jpsn<pid>-hub", "jpsn<pid>-n1".
// The pid lets a later run sweep leftovers of a dead run without touching
// a live one (go test may run two harnesses at once).
const namespacePrefix = "jpsn"

// subnetPrefix is the private /24 that lives only inside the namespaces:
// the hub bridge is .254, node i is .(10+i) and node i's peer proxy, on
// the hub's bridge too, .(110+i). Nothing in the host's own namespace
// gets an address or a route in it.
const subnetPrefix = "10.77.0."

// network is where the nodes live and how partitions are made.
type network interface {
	// addr is node i's (1-based) IP address.
	addr(i int) string
	// command wraps a node's argv so it runs inside node i's network.
	command(i int, argv []string) *exec.Cmd
	// dial opens a TCP connection from the harness to a node address.
	dial(ctx context.Context, addr string) (net.Conn, error)
	// peerFlags are node i's flags for its peer (Raft and forwarding)
	// listener: where it listens, and what the other nodes dial.
	peerFlags(i int) []string
	// cut makes traffic between nodes a and b impossible, both ways
	// (in the loopback network: Raft and forwarding traffic only).
	cut(a, b int) error
	// cutOneWay drops what node from sends node to, while what to sends
	// from still arrives (see proxySet; in the namespace network also
	// gossip's UDP, by a blackhole route on from's side only).
	cutOneWay(from, to int) error
	// setLink delays or stalls, in the peer proxy, the bytes node from
	// sends node to (Raft and forwarding); the zero linkFault clears it.
	setLink(from, to int, f linkFault) error
	// proxyStats says what the peer proxy did to connections so far.
	proxyStats() ProxyStats
	// healAll removes every cut, one-way cut and link fault.
	healAll() error
	// describe says, for summary.txt and stderr, where the nodes run and
	// what a partition really cuts.
	describe() string
	close() error
}

// runIP runs iproute2 and returns its error with its output.
func runIP(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// namespaceNetwork puts every node in its own network namespace, joined by
// veth pairs to a bridge in a hub namespace. The harness reaches the nodes
// from the hub namespace (its sockets are created there via setns), so the
// host's own namespace is never touched.
//
// Peer traffic (Raft and forwarding) goes through the peer proxy
// (proxy.go), which the harness runs in the hub namespace: node i listens
// on its own address and advertises its proxy's, .(110+i) on the hub's
// bridge; the proxy knows the dialing node by the source IP (each node
// has one address) and dials the node's real listener. So the proxy can
// delay, stall, reset or drop one direction of each ordered pair.
//
// A partition is still made by blackhole routes, one in each node's
// namespace for the other's address and for the other's proxy address:
// the kernel drops every packet of the pair, gossip included, and open
// TCP connections hang as behind a real cut.
type namespaceNetwork struct {
	hub       string
	nodes     []string // namespace name per node, index i-1
	hostNS    int      // fd of the harness's own network namespace
	hubNS     int      // fd of the hub namespace
	proxies   *proxySet
	mu        sync.Mutex
	cutPairs  map[[2]int]bool
	oneWay    map[[2]int]bool
	createdNS []string
}

func newNamespaceNetwork(nodeCount int) (*namespaceNetwork, error) {
	sweepLeftoverNamespaces()
	tag := namespacePrefix + strconv.Itoa(os.Getpid())
	n := &namespaceNetwork{hub: tag + "-hub", cutPairs: map[[2]int]bool{}, oneWay: map[[2]int]bool{}, hostNS: -1, hubNS: -1}
	ok := false
	defer func() {
		if !ok {
			_ = n.close()
		}
	}()
	add := func(ns string) error {
		if err := runIP("netns", "add", ns); err != nil {
			return err
		}
		n.createdNS = append(n.createdNS, ns)
		return runIP("-n", ns, "link", "set", "lo", "up")
	}
	if err := add(n.hub); err != nil {
		return nil, err
	}
	for _, args := range [][]string{
		{"-n", n.hub, "link", "add", "br0", "type", "bridge"},
		{"-n", n.hub, "addr", "add", subnetPrefix + "254/24", "dev", "br0"},
		{"-n", n.hub, "link", "set", "br0", "up"},
	} {
		if err := runIP(args...); err != nil {
			return nil, err
		}
	}
	for i := 1; i <= nodeCount; i++ {
		ns := fmt.Sprintf("%s-n%d", tag, i)
		n.nodes = append(n.nodes, ns)
		if err := add(ns); err != nil {
			return nil, err
		}
		veth := "v" + strconv.Itoa(i)
		for _, args := range [][]string{
			{"-n", n.hub, "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns},
			{"-n", n.hub, "link", "set", veth, "master", "br0", "up"},
			{"-n", ns, "addr", "add", n.addr(i) + "/24", "dev", "eth0"},
			{"-n", ns, "link", "set", "eth0", "up"},
			{"-n", n.hub, "addr", "add", n.proxyAddr(i) + "/32", "dev", "br0"},
		} {
			if err := runIP(args...); err != nil {
				return nil, err
			}
		}
	}
	var err error
	if n.hostNS, err = unix.Open("/proc/self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0); err != nil {
		return nil, fmt.Errorf("open own network namespace: %w", err)
	}
	if n.hubNS, err = unix.Open(filepath.Join("/run/netns", n.hub), unix.O_RDONLY|unix.O_CLOEXEC, 0); err != nil {
		return nil, fmt.Errorf("open hub namespace: %w", err)
	}
	ips := make([]string, nodeCount)
	for i := range ips {
		ips[i] = n.addr(i + 1)
	}
	n.proxies, err = newProxySet(ips,
		func(i int) (ln net.Listener, err error) {
			if herr := n.inHub(func() { ln, err = net.Listen("tcp", net.JoinHostPort(n.proxyAddr(i), portPeer)) }); herr != nil {
				return nil, herr
			}
			return ln, err
		},
		func(ctx context.Context, i int) (net.Conn, error) {
			return n.dial(ctx, net.JoinHostPort(n.addr(i), portPeer))
		})
	if err != nil {
		return nil, err
	}
	ok = true
	return n, nil
}

func (n *namespaceNetwork) addr(i int) string { return subnetPrefix + strconv.Itoa(10+i) }

// proxyAddr is the address of node i's peer proxy, in the hub namespace.
func (n *namespaceNetwork) proxyAddr(i int) string { return subnetPrefix + strconv.Itoa(110+i) }

func (n *namespaceNetwork) command(i int, argv []string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", n.nodes[i-1]}, argv...)...)
}

func (n *namespaceNetwork) peerFlags(i int) []string {
	return []string{"--peer-addr", net.JoinHostPort(n.addr(i), portPeer),
		"--advertise-peer-addr", net.JoinHostPort(n.proxyAddr(i), portPeer)}
}

func (n *namespaceNetwork) describe() string {
	return fmt.Sprintf("network namespaces %s-* on bridge %s0/24 (blackhole-route partitions; peer traffic through "+
		"the harness's proxy at %s(110+i) for delay, loss and one-way cuts)", n.hub[:len(n.hub)-4], subnetPrefix, subnetPrefix)
}

// dial creates the socket inside the hub namespace (inHub).
func (n *namespaceNetwork) dial(ctx context.Context, addr string) (conn net.Conn, err error) {
	if herr := n.inHub(func() {
		var d net.Dialer
		conn, err = d.DialContext(ctx, "tcp", addr)
	}); herr != nil {
		return nil, herr
	}
	return conn, err
}

// inHub runs fn on a goroutine locked to a thread that enters the hub
// namespace for fn (sockets fn creates stay there) and then returns to
// the harness's namespace. If it cannot return, the thread stays locked
// and dies with the goroutine, as the Go runtime documents for threads
// whose state was changed.
func (n *namespaceNetwork) inHub(fn func()) error {
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := unix.Setns(n.hubNS, unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			done <- fmt.Errorf("enter hub namespace: %w", err)
			return
		}
		fn()
		if unix.Setns(n.hostNS, unix.CLONE_NEWNET) == nil {
			runtime.UnlockOSThread()
		}
		done <- nil
	}()
	return <-done
}

func (n *namespaceNetwork) cut(a, b int) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	key := [2]int{min(a, b), max(a, b)}
	if n.cutPairs[key] {
		return nil
	}
	// Each side loses the other's address (gossip) and the other's proxy
	// address (its own peer connections to the other; those the other
	// dials through this side's proxy get no answer past this route).
	// A one-way cut may already have put one of these routes in.
	for _, r := range [][3]int{{a, b, 0}, {a, b, 1}, {b, a, 0}, {b, a, 1}} {
		dst := n.addr(r[1])
		if r[2] == 1 {
			dst = n.proxyAddr(r[1])
		} else if n.oneWay[[2]int{r[0], r[1]}] {
			continue
		}
		if err := runIP("-n", n.nodes[r[0]-1], "route", "add", "blackhole", dst+"/32"); err != nil {
			return err
		}
	}
	n.cutPairs[key] = true
	return nil
}

// cutOneWay drops, in the proxy, the peer bytes from sends to, and puts a
// blackhole route to to's address in from's namespace: gossip's UDP from
// from to to is lost while to's reaches from (its TCP, which needs both
// directions, stops both ways, as it would behind a real one-way cut).
func (n *namespaceNetwork) cutOneWay(from, to int) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if err := n.proxies.cutOneWay(from, to); err != nil {
		return err
	}
	key := [2]int{from, to}
	if n.oneWay[key] || n.cutPairs[[2]int{min(from, to), max(from, to)}] {
		return nil
	}
	if err := runIP("-n", n.nodes[from-1], "route", "add", "blackhole", n.addr(to)+"/32"); err != nil {
		return err
	}
	n.oneWay[key] = true
	return nil
}

func (n *namespaceNetwork) setLink(from, to int, f linkFault) error {
	return n.proxies.setLink(from, to, f)
}

func (n *namespaceNetwork) proxyStats() ProxyStats { return n.proxies.Stats() }

func (n *namespaceNetwork) healAll() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	var first error
	for _, ns := range n.nodes {
		if err := runIP("-n", ns, "route", "flush", "type", "blackhole"); err != nil && first == nil {
			first = err
		}
	}
	clear(n.cutPairs)
	clear(n.oneWay)
	n.proxies.healAll()
	return first
}

// close deletes the namespaces (their veths and the bridge go with them).
// Processes must be gone first; any left are killed.
func (n *namespaceNetwork) close() error {
	var first error
	if n.proxies != nil {
		first = n.proxies.close()
	}
	for i := len(n.createdNS) - 1; i >= 0; i-- {
		killNamespacePids(n.createdNS[i])
		if err := runIP("netns", "del", n.createdNS[i]); err != nil && first == nil {
			first = err
		}
	}
	n.createdNS = nil
	for _, fd := range []*int{&n.hostNS, &n.hubNS} {
		if *fd >= 0 {
			_ = unix.Close(*fd)
			*fd = -1
		}
	}
	return first
}

func killNamespacePids(ns string) {
	out, err := exec.Command("ip", "netns", "pids", ns).Output()
	if err != nil {
		return
	}
	for _, f := range strings.Fields(string(out)) {
		if pid, err := strconv.Atoi(f); err == nil && pid > 1 {
			_ = syscall.Kill(pid, syscall.SIGCONT)
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// sweepLeftoverNamespaces removes namespaces of earlier harness runs whose
// process is gone (killed with SIGKILL, so their own cleanup never ran).
func sweepLeftoverNamespaces() {
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		return
	}
	var stale []string
	for _, line := range strings.Split(string(out), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 || !strings.HasPrefix(fields[0], namespacePrefix) {
			continue
		}
		name := fields[0]
		pidText, _, _ := strings.Cut(strings.TrimPrefix(name, namespacePrefix), "-")
		pid, err := strconv.Atoi(pidText)
		if err != nil {
			continue
		}
		if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); err == nil {
			continue // its harness is alive
		}
		stale = append(stale, name)
	}
	sort.Sort(sort.Reverse(sort.StringSlice(stale))) // nodes before hub
	for _, name := range stale {
		killNamespacePids(name)
		_ = runIP("netns", "del", name)
	}
	if len(stale) > 0 {
		time.Sleep(100 * time.Millisecond)
	}
}
