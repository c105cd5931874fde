package node

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/cluster"
	"github.com/boxoffice/boxoffice/cluster/client"
	"github.com/boxoffice/boxoffice/internal/testport"
)

// TestCluster is an in-process cluster of real nodes for tests: real bbolt
// files in the test's temporary directory, real gRPC, real Raft transports
// and gossip on loopback ports that no other test takes. Nodes can be
// stopped, killed, restarted and partitioned from each other; everything
// is closed when the test ends.
//
// Node i (0-based) is named n<i+1>. Its Config is kept, so Restart brings
// back the same node on the same ports and data directory.
//
// Waits poll a condition (WaitFor) and fail the test with what was being
// waited for: a test never sleeps for a fixed time to let the cluster
// settle.
type TestCluster struct {
	t       testing.TB
	configs []Config
	hosts   []*Host // nil: stopped
	conns   []*grpc.ClientConn
	network *testNetwork
}

// TestOption adjusts node i's Config before NewTestCluster starts it (TLS,
// gossip keys, timeouts, ...).
type TestOption func(i int, c *Config)

// Test cluster settings: elections fast enough that a test sees a failover
// within a second or two, slow enough that a loaded 2-core machine running
// the race detector does not see spurious ones.
const (
	testRaftTimeout     = 400 * time.Millisecond
	testSweepInterval   = 100 * time.Millisecond
	testRequestTimeout  = 5 * time.Second
	testReadyTimeout    = 60 * time.Second
	testLeaderTimeout   = 20 * time.Second
	testStartRetryDelay = 100 * time.Millisecond
	testStartRetries    = 50
)

// NewTestCluster starts n nodes that bootstrap one cluster (every node
// expects n; nodes 2..n join node 1's gossip address), applies opts to
// each node's Config, and waits until every node is ready. The defaults:
// plaintext, no fsync, 400ms Raft timeouts, sweeps every 100ms, no
// rebalancing, logs discarded (set BOXOFFICE_TEST_LOG=1 to see them).
func NewTestCluster(t testing.TB, n int, opts ...TestOption) *TestCluster {
	t.Helper()
	return NewPreparedTestCluster(t, n, nil, opts...)
}

// NewPreparedTestCluster is NewTestCluster with prepare called once every
// node's Config is made (ports, data dirs) and before any node starts: a
// test that restores a backup writes the data dirs there
// (RestoreDataDir needs every node's peer address).
func NewPreparedTestCluster(t testing.TB, n int, prepare func(configs []Config), opts ...TestOption) *TestCluster {
	t.Helper()
	return newTestCluster(t, n, n, prepare, opts...)
}

// NewGrowingTestCluster configures n nodes but starts only the first
// initial, which bootstrap the cluster (BootstrapExpect initial); the
// others are configured to join and stay stopped until Start(i), as
// machines an operator adds later.
func NewGrowingTestCluster(t testing.TB, n, initial int, opts ...TestOption) *TestCluster {
	t.Helper()
	return newTestCluster(t, n, initial, nil, opts...)
}

func newTestCluster(t testing.TB, n, initial int, prepare func(configs []Config), opts ...TestOption) *TestCluster {
	t.Helper()
	dir := t.TempDir()
	tc := &TestCluster{t: t, network: newTestNetwork(n)}
	ports := testport.Ports(t, 4*n)
	logger := testLogger().With("test", t.Name())
	for i := range n {
		id := fmt.Sprintf("n%d", i+1)
		cfg := Config{
			NodeID:          id,
			DataDir:         filepath.Join(dir, id),
			GRPCAddr:        fmt.Sprintf("127.0.0.1:%d", ports[4*i]),
			PeerAddr:        fmt.Sprintf("127.0.0.1:%d", ports[4*i+1]),
			HTTPAddr:        fmt.Sprintf("127.0.0.1:%d", ports[4*i+2]),
			GossipAddr:      fmt.Sprintf("127.0.0.1:%d", ports[4*i+3]),
			BootstrapExpect: initial,
			Plaintext:       true,
			PeerSourceAddr:  "127.0.0.1", // exercises source binding of peer dials
			Logger:          logger,
			RequestTimeout:  testRequestTimeout,
			Group: GroupConfig{
				HeartbeatTimeout: testRaftTimeout,
				ElectionTimeout:  testRaftTimeout,
				NoSync:           true,
			},
			SweepInterval:     testSweepInterval,
			RebalanceInterval: -1,
		}
		if i > 0 {
			cfg.Join = []string{fmt.Sprintf("127.0.0.1:%d", ports[3])}
		}
		if i >= initial {
			cfg.BootstrapExpect = 0 // joins the running cluster
		}
		for _, o := range opts {
			o(i, &cfg)
		}
		cfg.Testing.admitPeerConn = tc.network.admit(i)
		tc.network.byAddr[cfg.PeerAddr] = i
		if cfg.AdvertisePeerAddr != "" {
			tc.network.byAddr[cfg.AdvertisePeerAddr] = i
		}
		tc.configs = append(tc.configs, cfg)
	}
	if prepare != nil {
		prepare(tc.configs)
	}
	tc.hosts = make([]*Host, n)
	tc.conns = make([]*grpc.ClientConn, n)
	t.Cleanup(tc.StopAll)
	for i := range initial {
		tc.Start(i)
	}
	tc.WaitReady()
	return tc
}

// testLogger discards logs unless BOXOFFICE_TEST_LOG is set.
func testLogger() *slog.Logger {
	if os.Getenv("BOXOFFICE_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// Len is the number of nodes, running or not.
func (tc *TestCluster) Len() int { return len(tc.configs) }

// Host returns node i, or nil while it is stopped.
func (tc *TestCluster) Host(i int) *Host { return tc.hosts[i] }

// Config returns node i's configuration (as given to Start, before
// defaults).
func (tc *TestCluster) Config(i int) Config { return tc.configs[i] }

// Conn returns a plaintext client connection to node i's gRPC port, or nil
// while the node is stopped. With TLS, dial Config(i).GRPCAddr yourself.
func (tc *TestCluster) Conn(i int) *grpc.ClientConn { return tc.conns[i] }

// Inventory returns an Inventory client of node i.
func (tc *TestCluster) Inventory(i int) boxofficev1.InventoryClient {
	return boxofficev1.NewInventoryClient(tc.conns[i])
}

// ClusterClient returns a Cluster client of node i.
func (tc *TestCluster) ClusterClient(i int) boxofficev1.ClusterClient {
	return boxofficev1.NewClusterClient(tc.conns[i])
}

// Client dials the running nodes with the Go client (plaintext); it is
// closed when the test ends.
func (tc *TestCluster) Client() *client.Client {
	tc.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testReadyTimeout)
	defer cancel()
	c, err := client.Dial(ctx, client.Config{Addrs: tc.Addrs()})
	if err != nil {
		tc.t.Fatalf("client of the test cluster: %v", err)
	}
	tc.t.Cleanup(func() { _ = c.Close() })
	return c
}

// Addrs returns the gRPC addresses of the running nodes.
func (tc *TestCluster) Addrs() []string {
	var out []string
	for i, h := range tc.hosts {
		if h != nil {
			out = append(out, tc.configs[i].GRPCAddr)
		}
	}
	return out
}

// Start starts node i with its Config (again, after Stop or Kill); it does
// not wait for the node to be ready (WaitReady does).
func (tc *TestCluster) Start(i int) {
	tc.t.Helper()
	if tc.hosts[i] != nil {
		tc.t.Fatalf("start n%d: already running", i+1)
	}
	var h *Host
	var err error
	// A port of a node just stopped may still be held for a moment (the
	// kernel releases sockets asynchronously); retry, bounded.
	for range testStartRetries {
		h, err = Start(tc.configs[i])
		if err == nil || !strings.Contains(err.Error(), "address already in use") {
			break
		}
		time.Sleep(testStartRetryDelay) // waits for the kernel, not for the cluster
	}
	if err != nil {
		tc.t.Fatalf("start n%d: %v", i+1, err)
	}
	conn, err := grpc.NewClient(tc.configs[i].GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		h.Kill()
		tc.t.Fatalf("client of n%d: %v", i+1, err)
	}
	tc.hosts[i], tc.conns[i] = h, conn
}

// Stop shuts node i down cleanly: it hands off leadership and leaves
// gossip. Stopping a stopped node does nothing.
func (tc *TestCluster) Stop(i int) { tc.stop(i, false) }

// Kill stops node i abruptly, as a crash would: no leadership hand-off,
// no gossip leave. Its data directory stays for Restart.
func (tc *TestCluster) Kill(i int) { tc.stop(i, true) }

// Restart stops node i cleanly if it runs, starts it again with the same
// Config and data directory, and waits until the cluster is ready.
func (tc *TestCluster) Restart(i int) {
	tc.t.Helper()
	tc.Stop(i)
	tc.Start(i)
	tc.WaitReady()
}

func (tc *TestCluster) stop(i int, kill bool) {
	h, conn := tc.hosts[i], tc.conns[i]
	if h == nil {
		return
	}
	tc.hosts[i], tc.conns[i] = nil, nil
	_ = conn.Close()
	if kill {
		h.Kill()
	} else {
		_ = h.Close()
	}
}

// StopAll stops every node cleanly, concurrently (a clean stop waits for
// its leadership hand-offs); Start brings each back.
func (tc *TestCluster) StopAll() {
	var wg sync.WaitGroup
	for i := range tc.hosts {
		wg.Go(func() { tc.Stop(i) })
	}
	wg.Wait()
}

// WaitReady waits until every running node is ready (Host.WaitReady).
func (tc *TestCluster) WaitReady() {
	tc.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testReadyTimeout)
	defer cancel()
	for i, h := range tc.hosts {
		if h == nil {
			continue
		}
		if err := h.WaitReady(ctx); err != nil {
			tc.t.Fatalf("n%d not ready: %v", i+1, err)
		}
	}
}

// Leader waits until a running node leads group groupID (cluster.MetaGroupID
// for the meta group) and returns its index. With a partition, the leader
// may be one on the minority side that has not yet noticed; wait for the
// condition you need with WaitFor and IsLeader instead.
func (tc *TestCluster) Leader(groupID string) int {
	tc.t.Helper()
	leader := -1
	WaitFor(tc.t, testLeaderTimeout, "a leader of group "+groupID, func() bool {
		for i := range tc.hosts {
			if tc.IsLeader(i, groupID) {
				leader = i
				return true
			}
		}
		return false
	})
	return leader
}

// IsLeader says whether node i runs and believes it leads group groupID.
func (tc *TestCluster) IsLeader(i int, groupID string) bool {
	h := tc.hosts[i]
	if h == nil {
		return false
	}
	g := h.meta
	if groupID != cluster.MetaGroupID {
		g = h.group(groupID)
	}
	return g != nil && g.raft != nil && g.raft.State() == raft.Leader
}

// Partition cuts the peer traffic between the given nodes and the rest:
// Raft (every group) and peer RPCs (forwarding, shard reads, probes). The
// given nodes still reach each other, and so do the rest. Open connections
// across the cut are closed and new ones refused until Heal. Gossip
// (memberlist) and client gRPC are not cut: every node still sees every
// other alive, and clients still reach every node, as in a partition of
// the peer network alone. A new Partition replaces the previous one.
func (tc *TestCluster) Partition(nodes ...int) {
	tc.network.partition(nodes)
}

// Heal undoes Partition: every node may reach every other again. Raft and
// gRPC reconnect with their own backoff, so wait for the condition you
// need.
func (tc *TestCluster) Heal() { tc.network.partition(nil) }

// WaitFor polls cond until it is true and fails t with what if timeout
// passes first.
func WaitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	if !waitUntil(timeout, cond) {
		t.Fatalf("timed out after %v waiting for %s", timeout, what)
	}
}

// waitUntil polls cond until it is true or timeout passes, and returns its
// last answer.
func waitUntil(timeout time.Duration, cond func() bool) bool {
	const pollInterval = 20 * time.Millisecond
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(pollInterval)
	}
	return true
}

// testNetwork decides which node of a TestCluster may open a peer
// connection to which, and keeps the open ones so that Partition can cut
// them. A node's dialer asks it after connecting (TestingConfig
// admitPeerConn); checking and registering under one lock means a
// connection either exists when Partition runs (and is closed) or is
// refused.
type testNetwork struct {
	mu     sync.Mutex
	cut    []bool         // node i is on the partitioned side
	byAddr map[string]int // peer address (listen and advertised) -> node
	conns  map[*testConn]struct{}
}

func newTestNetwork(n int) *testNetwork {
	return &testNetwork{cut: make([]bool, n), byAddr: make(map[string]int), conns: make(map[*testConn]struct{})}
}

// admit returns node from's admitPeerConn hook.
func (n *testNetwork) admit(from int) func(addr string, conn net.Conn) (net.Conn, error) {
	return func(addr string, conn net.Conn) (net.Conn, error) {
		n.mu.Lock()
		defer n.mu.Unlock()
		to, ok := n.byAddr[addr]
		if ok && n.cut[from] != n.cut[to] {
			_ = conn.Close()
			return nil, fmt.Errorf("test cluster: n%d is partitioned from n%d (%s)", from+1, to+1, addr)
		}
		c := &testConn{Conn: conn, network: n, from: from, to: to, known: ok}
		n.conns[c] = struct{}{}
		return c, nil
	}
}

func (n *testNetwork) partition(nodes []int) {
	n.mu.Lock()
	for i := range n.cut {
		n.cut[i] = false
	}
	for _, i := range nodes {
		n.cut[i] = true
	}
	var severed []*testConn
	for c := range n.conns {
		if c.known && n.cut[c.from] != n.cut[c.to] {
			severed = append(severed, c)
		}
	}
	n.mu.Unlock()
	for _, c := range severed {
		_ = c.Close()
	}
}

// testConn is a peer connection the testNetwork admitted.
type testConn struct {
	net.Conn
	network  *testNetwork
	from, to int
	known    bool // to is a node of the cluster
}

func (c *testConn) Close() error {
	c.network.mu.Lock()
	delete(c.network.conns, c)
	c.network.mu.Unlock()
	return c.Conn.Close()
}
