package jepsen

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/cluster/client"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// Node ports; every node has its own IP, so they are the same on each.
const (
	portGRPC   = "7101"
	portPeer   = "7201" // advertised; in the loopback network, the proxy's
	portHTTP   = "7301"
	portGossip = "7401"
	// portPeerBackend is the node's real peer listener in the loopback
	// network, behind the proxy on portPeer.
	portPeerBackend = "7202"
)

// processStopTimeout bounds the wait for a node to exit after a signal.
const processStopTimeout = 10 * time.Second

// Snapshot settings of every node: low enough that a replica that was
// killed, paused, cut off or wiped for a fault window is further behind
// than the leader's log reaches, and catches up by InstallSnapshot. A
// group commits a few dozen entries a second in a CI run (commands are
// batched into entries), so a leader snapshots about every second or two
// and keeps only the last 16 entries: a replica away for a few seconds
// needs a snapshot.
const (
	nodeSnapshotThreshold = "64"
	nodeSnapshotInterval  = "1s"
	nodeTrailingLogs      = "16"
)

// node is one boxoffice process (across restarts).
type node struct {
	index   int // 1-based
	id      string
	ip      string
	dataDir string
	logPath string

	mu         sync.Mutex
	cmd        *exec.Cmd
	exited     chan struct{}
	paused     bool
	extraFlags []string // per-incarnation flags, e.g. --testing-clock-offset
	joinOnly   bool     // restart with --bootstrap-expect 0 (after a wipe)
	// countersRead: this incarnation's counters were read (counters.go).
	countersRead bool

	disk *nodeDisk // the size-limited filesystem of the disk-full fault; nil without it
}

func (n *node) grpcAddr() string   { return net.JoinHostPort(n.ip, portGRPC) }
func (n *node) gossipAddr() string { return net.JoinHostPort(n.ip, portGossip) }

// cluster is the set of node processes plus one gRPC connection per node.
type cluster struct {
	cfg    *Config
	net    network
	binary string
	nodes  []*node
	conns  []*grpc.ClientConn
	// streams send mutations on each node's Commands stream (the Go
	// client's default path); the odd-numbered clients use them.
	streams []*client.NodeInventory
	http    *http.Client
	logf    func(format string, args ...any)
	// counters: the store's counters of every incarnation (counters.go).
	counters counterLog
	// disksDir holds the nodes' disks of the disk-full fault (see
	// mountDisks); empty without them.
	disksDir string
	// staleReads is set during a stale-read window (netfaults.go).
	staleReads atomic.Pointer[staleTarget]
}

func newCluster(cfg *Config, nw network, binary, dir string, logf func(string, ...any)) (*cluster, error) {
	c := &cluster{cfg: cfg, net: nw, binary: binary, logf: logf}
	c.http = &http.Client{
		Timeout:   time.Second,
		Transport: &http.Transport{DialContext: func(ctx context.Context, _, addr string) (net.Conn, error) { return nw.dial(ctx, addr) }, DisableKeepAlives: true},
	}
	for i := 1; i <= cfg.Nodes; i++ {
		n := &node{index: i, id: "n" + strconv.Itoa(i), ip: nw.addr(i),
			dataDir: filepath.Join(dir, "data", "n"+strconv.Itoa(i)),
			logPath: filepath.Join(dir, "logs", "n"+strconv.Itoa(i)+".log")}
		if err := os.MkdirAll(n.dataDir, 0o755); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(filepath.Dir(n.logPath), 0o755); err != nil {
			return nil, err
		}
		c.nodes = append(c.nodes, n)
		conn, err := grpc.NewClient("passthrough:///"+n.grpcAddr(),
			grpc.WithTransportCredentials(insecure.NewCredentials()),
			grpc.WithContextDialer(nw.dial))
		if err != nil {
			return nil, err
		}
		c.conns = append(c.conns, conn)
		c.streams = append(c.streams, client.NewNodeInventory(conn))
	}
	if slices.Contains(cfg.Faults, FaultDiskFull) {
		if err := mountDisks(c, dir); err != nil {
			c.unmountDisks()
			// Without root there is no disk to fill: each disk-full
			// window records this error and injects nothing.
			logf("disk-full: %v; its windows will inject nothing", err)
		}
	}
	return c, nil
}

func (c *cluster) inventory(i int) boxofficev1.InventoryClient {
	return boxofficev1.NewInventoryClient(c.conns[i-1])
}

// streamInventory is node i's Inventory with its mutations sent as messages
// on the node's Commands stream, shared by the clients that use it; reads
// and everything else are unary calls.
func (c *cluster) streamInventory(i int) boxofficev1.InventoryClient {
	return c.streams[i-1]
}
func (c *cluster) clusterAPI(i int) boxofficev1.ClusterClient {
	return boxofficev1.NewClusterClient(c.conns[i-1])
}

// argv is the node's command line for its next start.
func (c *cluster) argv(n *node) []string {
	bootstrap := strconv.Itoa(c.cfg.Nodes)
	join := c.nodes[0].gossipAddr()
	if n.joinOnly {
		bootstrap = "0"
		// Join through some other node: the first may be the one wiped.
		join = c.nodes[n.index%len(c.nodes)].gossipAddr()
	}
	args := []string{c.binary, "start",
		"--node-id", n.id, "--data-dir", n.dataDir,
		"--grpc-addr", n.grpcAddr()}
	args = append(args, c.net.peerFlags(n.index)...)
	args = append(args,
		"--http-addr", net.JoinHostPort(n.ip, portHTTP), "--gossip-addr", n.gossipAddr(),
		"--bootstrap-expect", bootstrap, "--join", join, "--plaintext",
		"--raft-heartbeat-timeout", c.cfg.raftTimeout().String(), "--raft-election-timeout", c.cfg.raftTimeout().String(),
		"--sweep-interval", "200ms", "--log-format", "json",
		"--raft-snapshot-threshold", nodeSnapshotThreshold, "--raft-snapshot-interval", nodeSnapshotInterval,
		"--raft-trailing-logs", nodeTrailingLogs,
	)
	if locality := c.cfg.locality(n.index); locality != "" {
		args = append(args, "--locality", locality)
	}
	if c.cfg.RegionLatency != "" {
		args = append(args, "--testing-region-latency", c.cfg.RegionLatency)
	}
	if c.cfg.ReplicationFactor > 0 {
		args = append(args, "--replication-factor", strconv.Itoa(c.cfg.ReplicationFactor))
	}
	if c.cfg.LeaderLease > 0 {
		args = append(args, "--raft-leader-lease-timeout", c.cfg.LeaderLease.String())
	}
	if c.cfg.UnsafeReads {
		args = append(args, "--testing-unsafe-reads")
	}
	args = append(args, c.cfg.NodeFlags[n.id]...)
	return append(args, n.extraFlags...)
}

// start launches node n; it must not be running.
func (c *cluster) start(n *node) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd != nil {
		return fmt.Errorf("%s is already running", n.id)
	}
	logFile, err := os.OpenFile(n.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	argv := c.argv(n)
	fmt.Fprintf(logFile, "{\"jepsen\":\"start\",\"time\":%q,\"argv\":%q}\n", time.Now().Format(time.RFC3339Nano), argv)
	cmd := c.net.command(n.index, argv)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Own process group (a ^C to the harness reaches only the harness,
	// which then stops the nodes in order) and death with the harness.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return fmt.Errorf("start %s: %w", n.id, err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		logFile.Close()
		close(exited)
	}()
	n.cmd, n.exited, n.paused, n.countersRead = cmd, exited, false, false
	return nil
}

// signal sends sig to n's process; SIGKILL and SIGTERM wait for the exit.
func (c *cluster) signal(n *node, sig syscall.Signal) error {
	n.mu.Lock()
	cmd, exited := n.cmd, n.exited
	n.mu.Unlock()
	if cmd == nil {
		return fmt.Errorf("%s is not running", n.id)
	}
	if sig == syscall.SIGKILL || sig == syscall.SIGTERM {
		c.collectCounters(n) // counters start at zero in the next process
		_ = cmd.Process.Signal(syscall.SIGCONT)
	}
	if err := cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	switch sig {
	case syscall.SIGSTOP, syscall.SIGCONT:
		n.mu.Lock()
		n.paused = sig == syscall.SIGSTOP
		n.mu.Unlock()
		return nil
	}
	select {
	case <-exited:
	case <-time.After(processStopTimeout):
		_ = cmd.Process.Kill()
		<-exited
	}
	n.mu.Lock()
	n.cmd, n.paused = nil, false
	n.mu.Unlock()
	return nil
}

func (n *node) running() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.cmd != nil
}

// stopAll ends every node: SIGTERM (a clean shutdown) then SIGKILL.
func (c *cluster) stopAll() {
	var wg sync.WaitGroup
	for _, n := range c.nodes {
		if n.running() {
			wg.Go(func() { _ = c.signal(n, syscall.SIGTERM) })
		}
	}
	wg.Wait()
	for _, s := range c.streams {
		_ = s.Close()
	}
	for _, conn := range c.conns {
		_ = conn.Close()
	}
	c.unmountDisks()
}

// ready reports whether node n answers 200 on /readyz.
func (c *cluster) ready(ctx context.Context, n *node) bool {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(n.ip, portHTTP)+"/readyz", nil)
	resp, err := c.http.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// waitReady waits until every running node is ready, or timeout.
func (c *cluster) waitReady(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		var notReady []string
		for _, n := range c.nodes {
			if n.running() && !c.ready(ctx, n) {
				notReady = append(notReady, n.id)
			}
		}
		if len(notReady) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("nodes %v not ready after %s", notReady, timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}
