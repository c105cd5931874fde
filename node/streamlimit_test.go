package node

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/node/nodetls"
)

const watchMethod = "/boxoffice.v1.Inventory/Watch"

// groupTerms returns "node/group" -> term and leader id of every replica.
func groupTerms(tc *TestCluster) map[string]string {
	out := map[string]string{}
	for _, h := range tc.hosts {
		for _, g := range h.groupList() {
			_, leader := g.leader()
			out[h.NodeID()+"/"+g.id] = fmt.Sprintf("term %d leader %s", g.raft.CurrentTerm(), leader)
		}
	}
	return out
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestFiveThousandWatchStreamsOnOneConnection is the attack: one client
// opens 5,000 Watch streams on one connection to a node of a 3-node
// cluster in this process (before the cap: 56 -> 804 MB and elections in
// every group). The node accepts StreamsPerIdentityMax of them and
// refuses the rest RESOURCE_EXHAUSTED with reason STREAM_LIMIT, counted
// in a metric; every group keeps its leader and term; the heap grows by
// a bound computed from the cap; and a stream closed gives its place back.
func TestFiveThousandWatchStreamsOnOneConnection(t *testing.T) {
	skipIfShort(t)
	const attempts = 5000
	tc := NewTestCluster(t, 3, func(i int, c *Config) {
		// Production timeouts: the test asserts that no group loses its
		// leader, on a machine other tests load too.
		c.Group.HeartbeatTimeout, c.Group.ElectionTimeout = time.Second, time.Second
	})
	tc.createOnSaleEvent("ev", 2, 2, 10)
	tc.eventRecord(0, "ev")
	h := tc.hosts[0]
	streamCap := h.cfg.StreamsPerIdentityMax
	termsBefore := groupTerms(tc)
	heapBefore := heapInUse()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var (
		mu      sync.Mutex
		refused int
		other   []error
		wg      sync.WaitGroup
	)
	// openers goroutines open the streams one after another; a node sends
	// a Watch's headers once it has subscribed it, so Header tells an
	// accepted stream (headers) from a refused one (none: its status is
	// for Recv).
	const openers = 16
	next := make(chan struct{}, attempts)
	for range attempts {
		next <- struct{}{}
	}
	close(next)
	for range openers {
		wg.Go(func() {
			for range next {
				w, err := tc.Inventory(0).Watch(ctx, &boxofficev1.WatchRequest{EventId: "ev"})
				if err == nil {
					var md metadata.MD
					if md, err = w.Header(); err == nil && md != nil {
						continue // accepted: left open until ctx ends
					}
					_, err = w.Recv()
				}
				mu.Lock()
				switch {
				case status.Code(err) == codes.ResourceExhausted && reasonOf(err) == ReasonStreamLimit:
					refused++
				case ctx.Err() == nil:
					other = append(other, err)
				}
				mu.Unlock()
			}
		})
	}
	WaitFor(t, 60*time.Second, "every stream over the cap refused", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return refused+len(other) == attempts-streamCap && h.hub.count() == streamCap
	})
	heapGrowth := int64(heapInUse()) - int64(heapBefore)
	mu.Lock()
	if len(other) > 0 {
		t.Fatalf("%d streams failed otherwise, first: %v", len(other), other[0])
	}
	mu.Unlock()
	if got := counterValue(h.metrics.streamsRefused.WithLabelValues(watchMethod)); got != attempts-float64(streamCap) {
		t.Errorf("boxoffice_api_streams_refused_total{method=Watch} = %v, want %d", got, attempts-streamCap)
	}
	// Generous: 64 KiB per accepted stream (client side included) plus
	// 64 MiB for everything else; before the cap it was ~140 KB for each
	// of the 5,000 streams on the node alone.
	heapBound := int64(streamCap)*64<<10 + 64<<20
	t.Logf("%d streams accepted, %d refused; heap grew %.1f MiB (bound %.1f MiB)", streamCap, refused,
		float64(heapGrowth)/(1<<20), float64(heapBound)/(1<<20))
	if heapGrowth > heapBound {
		t.Errorf("heap grew %d bytes with %d streams open, over the bound %d", heapGrowth, streamCap, heapBound)
	}
	// A leader that stepped down shows no leader until an election,
	// which moves the term: wait for leaders, then compare.
	WaitFor(t, 10*time.Second, "every group to show a leader", func() bool {
		for _, h := range tc.hosts {
			for _, g := range h.groupList() {
				if _, id := g.leader(); id == "" {
					return false
				}
			}
		}
		return true
	})
	if after := groupTerms(tc); fmt.Sprint(after) != fmt.Sprint(termsBefore) {
		t.Errorf("groups changed leader or term:\nbefore %v\nafter  %v", termsBefore, after)
	}

	// Closing the streams gives their places back.
	cancel()
	wg.Wait()
	WaitFor(t, 30*time.Second, "every watch unsubscribed", func() bool { return h.hub.count() == 0 })
	ctx2 := ctxT(t, 30*time.Second)
	w, err := tc.Inventory(0).Watch(ctx2, &boxofficev1.WatchRequest{EventId: "ev"})
	if err != nil {
		t.Fatal(err)
	}
	WaitFor(t, 30*time.Second, "a new watch accepted", func() bool { return h.hub.count() == 1 })
	_ = w
}

// TestStreamCapIsPerIdentityAcrossConnections: the cap counts the streams
// of one client certificate (its CommonName) over all its connections and
// all streaming methods; another certificate has a cap of its own.
func TestStreamCapIsPerIdentityAcrossConnections(t *testing.T) {
	skipIfShort(t)
	certs := t.TempDir()
	if err := nodetls.DevCerts(certs, "server.boxoffice", []string{"n1"}, []nodetls.ClientCert{{Name: "app", Role: nodetls.RoleGateway}, {Name: "ops", Role: nodetls.RoleReader}}, time.Hour); err != nil {
		t.Fatal(err)
	}
	tc := NewTestCluster(t, 1, func(i int, c *Config) {
		c.Plaintext, c.GossipKeyFile = false, writeGossipKeys(t, filepath.Join(certs, "gossip.key"), gossipKey(1))
		c.TLS = &TLSConfig{CAFile: filepath.Join(certs, "ca.pem"), CertFile: filepath.Join(certs, "n1.pem"), KeyFile: filepath.Join(certs, "n1-key.pem")}
		c.StreamsPerIdentityMax = 2
	})
	h := tc.hosts[0]
	ctx := ctxT(t, 30*time.Second)
	dial := func(name string) boxofficev1.InventoryClient {
		conn, err := grpc.NewClient(tc.configs[0].GRPCAddr, grpc.WithTransportCredentials(credentials.NewTLS(loadClientTLS(t, certs, name))))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = conn.Close() })
		return boxofficev1.NewInventoryClient(conn)
	}
	appA, appB, ops := dial("app"), dial("app"), dial("ops")
	if _, err := appA.CreateEvent(ctx, &boxofficev1.CreateEventRequest{RequestId: "create-ev", EventId: "ev", Name: "ev",
		Venue: onSaleVenueForTest()}); err != nil {
		t.Fatal(err)
	}
	tc.eventRecord(0, "ev")

	// app: a Watch and a ReadSeatMaps on one connection take its two places.
	if _, err := appA.Watch(ctx, &boxofficev1.WatchRequest{EventId: "ev"}); err != nil {
		t.Fatal(err)
	}
	reads, err := appA.ReadSeatMaps(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := reads.Send(&boxofficev1.ReadSeatMapsRequest{Tag: 1, Read: &boxofficev1.GetSeatMapRequest{EventId: "ev", SummaryOnly: true}}); err != nil {
		t.Fatal(err)
	}
	if answer, err := reads.Recv(); err != nil || answer.GetError() != nil {
		t.Fatalf("ReadSeatMaps of app: %v %v", err, answer.GetError())
	}
	WaitFor(t, 10*time.Second, "app's watch accepted", func() bool { return h.hub.count() == 1 })

	// app's third stream, on another connection, is refused.
	w, err := appB.Watch(ctx, &boxofficev1.WatchRequest{EventId: "ev"})
	if err == nil {
		_, err = w.Recv()
	}
	if status.Code(err) != codes.ResourceExhausted || reasonOf(err) != ReasonStreamLimit {
		t.Fatalf("app's third stream: %v, want RESOURCE_EXHAUSTED STREAM_LIMIT", err)
	}

	// ops has places of its own.
	for range 2 {
		if _, err := ops.Watch(ctx, &boxofficev1.WatchRequest{EventId: "ev"}); err != nil {
			t.Fatal(err)
		}
	}
	WaitFor(t, 10*time.Second, "ops's watches accepted", func() bool { return h.hub.count() == 3 })
	if got := counterValue(h.metrics.streamsRefused.WithLabelValues(watchMethod)); got != 1 {
		t.Errorf("streams refused: %v, want 1", got)
	}
}
