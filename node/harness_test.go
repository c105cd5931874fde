package node

import (
	"context"
	"fmt"
	"io"
	"log/slog"
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
	"github.com/boxoffice/boxoffice/internal/testport"
	"github.com/boxoffice/boxoffice/node/nodepb"
)

// testCluster is an in-process cluster of real nodes on loopback with real
// bbolt files, real gRPC and real Raft transports.
type testCluster struct {
	t       testing.TB
	dir     string
	configs []Config
	hosts   []*Host
	conns   []*grpc.ClientConn
}

func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("BOXOFFICE_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

type clusterOption func(i int, c *Config)

func newTestCluster(t *testing.T, n int, opts ...clusterOption) *testCluster {
	t.Helper()
	return newTestClusterTB(t, n, opts...)
}

func newTestClusterTB(t testing.TB, n int, opts ...clusterOption) *testCluster {
	t.Helper()
	tc := &testCluster{t: t, dir: t.TempDir()}
	ports := testport.Ports(t, 4*n)
	for i := range n {
		cfg := Config{
			NodeID:          fmt.Sprintf("n%d", i+1),
			DataDir:         filepath.Join(tc.dir, fmt.Sprintf("n%d", i+1)),
			GRPCAddr:        fmt.Sprintf("127.0.0.1:%d", ports[4*i]),
			PeerAddr:        fmt.Sprintf("127.0.0.1:%d", ports[4*i+1]),
			HTTPAddr:        fmt.Sprintf("127.0.0.1:%d", ports[4*i+2]),
			GossipAddr:      fmt.Sprintf("127.0.0.1:%d", ports[4*i+3]),
			BootstrapExpect: n,
			Plaintext:       true,
			PeerSourceAddr:  "127.0.0.1", // exercises source binding of peer dials
			Logger:          testLogger(t).With("test", t.Name()),
			RequestTimeout:  5 * time.Second,
			Group: GroupConfig{
				HeartbeatTimeout: 400 * time.Millisecond,
				ElectionTimeout:  400 * time.Millisecond,
				NoSync:           true,
			},
			SweepInterval:     100 * time.Millisecond,
			RebalanceInterval: -1,
		}
		if i > 0 {
			cfg.Join = []string{fmt.Sprintf("127.0.0.1:%d", ports[3])}
		}
		for _, o := range opts {
			o(i, &cfg)
		}
		tc.configs = append(tc.configs, cfg)
	}
	tc.hosts = make([]*Host, n)
	tc.conns = make([]*grpc.ClientConn, n)
	for i := range n {
		tc.start(i)
	}
	t.Cleanup(tc.closeAll)
	tc.waitReady()
	return tc
}

func (tc *testCluster) start(i int) {
	tc.t.Helper()
	var h *Host
	var err error
	// A port may still be in TIME_WAIT or taken by a racing test; retry briefly.
	for attempt := 0; attempt < 50; attempt++ {
		h, err = Start(tc.configs[i])
		if err == nil || !strings.Contains(err.Error(), "address already in use") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		tc.t.Fatalf("start node %d: %v", i+1, err)
	}
	tc.hosts[i] = h
	conn, err := grpc.NewClient(tc.configs[i].GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		tc.t.Fatal(err)
	}
	tc.conns[i] = conn
}

func (tc *testCluster) waitReady() {
	tc.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for _, h := range tc.hosts {
		if h == nil {
			continue
		}
		if err := h.WaitReady(ctx); err != nil {
			tc.t.Fatalf("node %s not ready: %v", h.NodeID(), err)
		}
	}
}

// stop shuts node i down cleanly (kill=false) or abruptly.
func (tc *testCluster) stop(i int, kill bool) {
	if tc.hosts[i] == nil {
		return
	}
	if kill {
		tc.hosts[i].Kill()
	} else {
		_ = tc.hosts[i].Close()
	}
	_ = tc.conns[i].Close()
	tc.hosts[i], tc.conns[i] = nil, nil
}

func (tc *testCluster) closeAll() {
	var wg sync.WaitGroup
	for i := range tc.hosts {
		wg.Add(1)
		go func() { defer wg.Done(); tc.stop(i, false) }()
	}
	wg.Wait()
}

func (tc *testCluster) inv(i int) boxofficev1.InventoryClient {
	return boxofficev1.NewInventoryClient(tc.conns[i])
}

func (tc *testCluster) clusterClient(i int) boxofficev1.ClusterClient {
	return boxofficev1.NewClusterClient(tc.conns[i])
}

// leaderOf returns the index of the node leading group id.
func (tc *testCluster) leaderOf(groupID string) int {
	tc.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		for i, h := range tc.hosts {
			if h == nil {
				continue
			}
			g := h.group(groupID)
			if groupID == cluster.MetaGroupID {
				g = h.meta
			}
			if g != nil && g.raft.State() == raft.Leader {
				return i
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	tc.t.Fatalf("no leader for group %s", groupID)
	return -1
}

func ctxT(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// createOnSaleEvent creates an event with the benchmark venue.
func (tc *testCluster) createOnSaleEvent(id string, sections, rows, seats int) *boxofficev1.Event {
	tc.t.Helper()
	// Spread over every data group (the default puts an event in one group)
	// so that tests exercise forwarding and multi-group holds.
	resp, err := tc.inv(0).CreateEvent(ctxT(tc.t, 30*time.Second), &boxofficev1.CreateEventRequest{
		RequestId: "create-" + id, EventId: id, Name: id, Venue: cluster.OnSaleVenue(sections, rows, seats),
		GroupCount: uint32(len(tc.hosts[0].catalog.Export().Groups)),
	})
	if err != nil {
		tc.t.Fatalf("CreateEvent %s: %v", id, err)
	}
	return resp.Event
}

// replicasEqual waits until every live replica of every data group has the
// same applied state, and fails if they never converge.
func (tc *testCluster) replicasEqual() {
	tc.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		diff := ""
		groups := map[string][]*group{}
		for _, h := range tc.hosts {
			if h == nil {
				continue
			}
			for _, g := range h.groupList() {
				if g.store != nil {
					groups[g.id] = append(groups[g.id], g)
				}
			}
		}
		for id, gs := range groups {
			first := gs[0].store.StateHash()
			for _, g := range gs[1:] {
				if g.store.StateHash() != first || g.store.AppliedIndex() != gs[0].store.AppliedIndex() {
					diff = fmt.Sprintf("group %s: replicas differ (applied %d vs %d)", id, gs[0].store.AppliedIndex(), g.store.AppliedIndex())
				}
			}
		}
		if diff == "" {
			return
		}
		if time.Now().After(deadline) {
			tc.t.Fatal(diff)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// eventRecord waits until node i's catalog replica knows the event as ready.
func (tc *testCluster) eventRecord(i int, id string) *nodepb.EventRecord {
	tc.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if e := tc.hosts[i].catalog.Event(id); e != nil && e.Status == boxofficev1.EventStatus_EVENT_STATUS_READY {
			return e
		}
		time.Sleep(10 * time.Millisecond)
	}
	tc.t.Fatalf("node %d never learned event %s", i+1, id)
	return nil
}

func onSaleVenueForTest() *boxofficev1.Venue { return cluster.OnSaleVenue(2, 2, 4) }
