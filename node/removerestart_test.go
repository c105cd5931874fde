package node

import (
	"context"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
)

// TestRemovedNodeRestartedTwiceRejoins: remove a node, wipe it, start it
// empty and restart it at once (as a fault schedule may): it must still be
// registered again and become ready.
func TestRemovedNodeRestartedTwiceRejoins(t *testing.T) {
	skipIfShort(t)
	tc := NewTestCluster(t, 3)
	tc.createOnSaleEvent("ev1", 3, 5, 10)
	ctx := ctxT(t, 90*time.Second)
	for round := 0; round < 2; round++ {
		if _, err := tc.ClusterClient(0).RemoveNode(ctx, &boxofficev1.RemoveNodeRequest{NodeId: "n2"}); err != nil {
			t.Fatal(err)
		}
		tc.Kill(1)
		if err := os.RemoveAll(tc.configs[1].DataDir); err != nil {
			t.Fatal(err)
		}
		tc.configs[1].BootstrapExpect = 0
		tc.Start(1)
		tc.Kill(1)
		tc.Start(1)
		// Ready alone can come first: a wiped node serves once it has the
		// catalog and its groups, while its new incarnation is registered by
		// the meta leader a moment later (and RemoveNode needs it registered).
		WaitFor(t, 40*time.Second, "n2 registered and ready again", func() bool {
			return tc.hosts[1].ready() == nil && tc.hosts[0].catalog.Node("n2") != nil
		})
		tc.replicasEqual()
	}
}

// TestRemoveNodeWhileAnotherIsDownKeepsGroupsWritable: removing n1 while n2
// is down must not take the groups' quorum away. Taking n1 out of a group
// of n1, n2, n3 leaves n2 and n3, which need n2: every group (the catalog
// too) would stay without a leader until n2 is back, although n1 and n3 are
// up (jepsen seed 4242). The leaders defer the removal instead: RemoveNode
// answers UNAVAILABLE (do not wipe n1), the groups keep taking writes on n1
// and n3, and once n2 is back the removal completes and RemoveNode succeeds.
func TestRemoveNodeWhileAnotherIsDownKeepsGroupsWritable(t *testing.T) {
	skipIfShort(t)
	tc := NewTestCluster(t, 3)
	tc.createOnSaleEvent("ev1", 3, 5, 10)
	ctx := ctxT(t, 120*time.Second)
	sections := []string{"S0", "S1", "S2"} // one per data group
	holds := 0
	holdEverywhere := func(within time.Duration) error {
		for _, section := range sections {
			var err error
			for deadline := time.Now().Add(within); ; {
				holds++
				hctx, cancel := context.WithTimeout(ctx, 2*time.Second)
				_, err = tc.Inventory(2).Hold(hctx, &boxofficev1.HoldRequest{RequestId: fmt.Sprintf("h%d", holds), EventId: "ev1",
					Holder:    fmt.Sprintf("a%d", holds),
					Selection: &boxofficev1.HoldRequest_Best{Best: &boxofficev1.BestAvailable{Quantity: 1, SectionId: section}}})
				cancel()
				if err == nil || time.Now().After(deadline) {
					break
				}
				time.Sleep(100 * time.Millisecond) // the client's back-off between retries of its hold
			}
			if err != nil {
				return fmt.Errorf("hold in %s: %w", section, err)
			}
		}
		return nil
	}

	tc.Kill(1) // n2 down
	if err := holdEverywhere(20 * time.Second); err != nil {
		t.Fatalf("n1 and n3 take no writes with n2 down: %v", err)
	}
	rctx, cancel := context.WithTimeout(ctx, 8*time.Second) // longer than the node's RequestTimeout
	_, err := tc.ClusterClient(2).RemoveNode(rctx, &boxofficev1.RemoveNodeRequest{NodeId: "n1"})
	cancel()
	if status.Code(err) != codes.Unavailable {
		t.Fatalf("RemoveNode(n1) with n2 down: %v, want UNAVAILABLE (n1 cannot leave the groups yet)", err)
	}
	t.Logf("RemoveNode(n1) with n2 down: %v", err)
	for _, g := range tc.hosts[2].groupList() {
		if f := g.raft.GetConfiguration(); f.Error() == nil && g.raft.State() == raft.Leader &&
			!slices.ContainsFunc(f.Configuration().Servers, func(s raft.Server) bool { return s.ID == "n1" }) {
			t.Errorf("group %s left n1 out while n2 is down: %v", g.id, f.Configuration().Servers)
		}
	}
	// The groups still have a quorum (n1 and n3) and take writes.
	if err := holdEverywhere(5 * time.Second); err != nil {
		t.Fatalf("removing n1 while n2 is down stopped writes: %v", err)
	}

	tc.Start(1) // n2 back: the removal completes
	back := time.Now()
	WaitFor(t, 60*time.Second, "RemoveNode(n1) to succeed once n2 is back", func() bool {
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		_, err := tc.ClusterClient(2).RemoveNode(rctx, &boxofficev1.RemoveNodeRequest{NodeId: "n1"})
		c := status.Code(err)
		if c != codes.OK && c != codes.NotFound {
			t.Logf("RemoveNode(n1): %v", err)
			return false
		}
		return true
	})
	t.Logf("RemoveNode(n1) succeeded %v after n2 came back", time.Since(back).Round(time.Millisecond))
	st, err := tc.ClusterClient(2).Status(ctx, &boxofficev1.StatusRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range st.Groups {
		if len(g.Configuration) == 0 || slices.Contains(g.Configuration, "n1") {
			t.Fatalf("after RemoveNode, group %s has configuration %v", g.GroupId, g.Configuration)
		}
	}
	if err := holdEverywhere(10 * time.Second); err != nil {
		t.Fatalf("no writes on n2 and n3 after the removal: %v", err)
	}
}

// TestNodeRejoinsThroughRestartedFirstNode (jepsen seed 2024, bug 3): n1,
// the node every other node joins through, crashes and stays down until the
// others have long seen it dead, then restarts; its join list names no
// other node. Every node must see every other alive again. n2 is then
// removed, wiped and restarted empty, joining through n1: it must be
// registered again and become ready, which needs every node's failure
// detector to see n2 (the meta leader registers only members it sees
// alive, a group leader adds only replicas it sees alive), so the
// restarted n1 must not be left in a gossip cluster of its own.
func TestNodeRejoinsThroughRestartedFirstNode(t *testing.T) {
	skipIfShort(t)
	tc := NewTestCluster(t, 3)
	tc.createOnSaleEvent("ev1", 3, 5, 10)
	ctx := ctxT(t, 150*time.Second)

	tc.Kill(0)
	WaitFor(t, 20*time.Second, "n2 and n3 to see n1 dead", func() bool {
		return !tc.hosts[1].membership.Alive("n1") && !tc.hosts[2].membership.Alive("n1")
	})
	// memberlist gossips to a dead node for 15s (its local config), which
	// could carry n1 back by chance; let that time pass (no state of the
	// cluster says when it has), so that only the rejoin under test can.
	time.Sleep(16 * time.Second)
	tc.Start(0)
	tc.WaitReady()
	WaitFor(t, 15*time.Second, "every node's failure detector to see every node alive", func() bool {
		for _, h := range tc.hosts {
			for _, id := range []string{"n1", "n2", "n3"} {
				if !h.membership.Alive(id) {
					return false
				}
			}
		}
		return true
	})

	WaitFor(t, 60*time.Second, "RemoveNode(n2)", func() bool {
		rctx, cancel := context.WithTimeout(ctx, 8*time.Second) // longer than the node's RequestTimeout
		defer cancel()
		_, err := tc.ClusterClient(2).RemoveNode(rctx, &boxofficev1.RemoveNodeRequest{NodeId: "n2"})
		if c := status.Code(err); c != codes.OK && c != codes.NotFound {
			t.Logf("RemoveNode(n2): %v", err)
			return false
		}
		return true
	})
	tc.Kill(1)
	if err := os.RemoveAll(tc.configs[1].DataDir); err != nil {
		t.Fatal(err)
	}
	tc.configs[1].BootstrapExpect = 0
	tc.Start(1)
	WaitFor(t, 30*time.Second, "n2 registered and ready again", func() bool {
		return tc.hosts[1].ready() == nil && tc.hosts[2].catalog.Node("n2") != nil && tc.hosts[0].catalog.Node("n2") != nil
	})
	tc.replicasEqual()
}
