package node

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/cluster"
)

// groupsLedBy lists the groups (meta included) that node i leads.
func (tc *TestCluster) groupsLedBy(i int) []string {
	var led []string
	for _, id := range append([]string{cluster.MetaGroupID}, tc.hosts[i].catalog.GroupIDs()...) {
		if tc.IsLeader(i, id) {
			led = append(led, id)
		}
	}
	return led
}

// TestTransferLeaderAndDrain: an operator moves one group's leader, drains
// a node (it ends up leading nothing, meta included, while holds and
// sells go on) and undrains it (the rebalancer gives leaders back).
func TestTransferLeaderAndDrain(t *testing.T) {
	skipIfShort(t)
	tc := NewTestCluster(t, 3, func(i int, c *Config) {
		c.RebalanceInterval = 200 * time.Millisecond
		c.DataGroups = 6
	})
	tc.createOnSaleEvent("ev", 4, 5, 10)
	ctx := ctxT(t, 90*time.Second)
	ops := tc.ClusterClient(1)

	t.Run("transfer-leader moves a group's leader and keeps it there", func(t *testing.T) {
		group := tc.hosts[0].catalog.GroupIDs()[0]
		from := tc.Leader(group)
		to := (from + 1) % 3
		target := tc.configs[to].NodeID
		if _, err := ops.TransferLeader(ctx, &boxofficev1.TransferLeaderRequest{GroupId: group, NodeId: target}); err != nil {
			t.Fatalf("TransferLeader %s to %s: %v", group, target, err)
		}
		WaitFor(t, 10*time.Second, target+" leading "+group, func() bool { return tc.IsLeader(to, group) })
		// Every replica of the catalog learns the new preferred leader.
		WaitFor(t, 10*time.Second, target+" preferred to lead "+group+" on every node", func() bool {
			for _, h := range tc.hosts {
				if h.catalog.Group(group).Replicas[0] != target {
					return false
				}
			}
			return true
		})
		// The meta group has no preferred leader: the transfer alone.
		metaTo := (tc.Leader(cluster.MetaGroupID) + 1) % 3
		if _, err := ops.TransferLeader(ctx, &boxofficev1.TransferLeaderRequest{GroupId: cluster.MetaGroupID, NodeId: tc.configs[metaTo].NodeID}); err != nil {
			t.Fatalf("TransferLeader meta: %v", err)
		}
		WaitFor(t, 10*time.Second, "the new meta leader", func() bool { return tc.IsLeader(metaTo, cluster.MetaGroupID) })
	})

	t.Run("bad input is refused and changes nothing", func(t *testing.T) {
		before := tc.hosts[0].catalog.Export()
		group := before.Groups[0].GroupId
		for _, c := range []struct {
			name   string
			call   func() error
			code   codes.Code
			reason string
			names  string
		}{
			{"transfer: no group", func() error {
				_, err := ops.TransferLeader(ctx, &boxofficev1.TransferLeaderRequest{NodeId: "n1"})
				return err
			}, codes.InvalidArgument, ReasonInvalidRequest, "group_id"},
			{"transfer: no node", func() error {
				_, err := ops.TransferLeader(ctx, &boxofficev1.TransferLeaderRequest{GroupId: group})
				return err
			}, codes.InvalidArgument, ReasonInvalidRequest, "node_id"},
			{"transfer: unknown group", func() error {
				_, err := ops.TransferLeader(ctx, &boxofficev1.TransferLeaderRequest{GroupId: "g999", NodeId: "n1"})
				return err
			}, codes.NotFound, ReasonNotFound, `"g999"`},
			{"transfer: unknown node", func() error {
				_, err := ops.TransferLeader(ctx, &boxofficev1.TransferLeaderRequest{GroupId: group, NodeId: "n9"})
				return err
			}, codes.NotFound, ReasonNotFound, `"n9"`},
			{"drain: no node", func() error {
				_, err := ops.Drain(ctx, &boxofficev1.DrainRequest{Drained: true})
				return err
			}, codes.InvalidArgument, ReasonInvalidRequest, "node_id"},
			{"drain: unknown node", func() error {
				_, err := ops.Drain(ctx, &boxofficev1.DrainRequest{NodeId: "n9", Drained: true})
				return err
			}, codes.NotFound, ReasonNotFound, `"n9"`},
		} {
			err := c.call()
			if status.Code(err) != c.code || reasonOf(err) != c.reason || !strings.Contains(status.Convert(err).Message(), c.names) {
				t.Errorf("%s: %v (reason %q), want %v %s naming %s", c.name, err, reasonOf(err), c.code, c.reason, c.names)
			}
		}
		after := tc.hosts[0].catalog.Export()
		for i, g := range after.Groups {
			if !slices.Equal(g.Replicas, before.Groups[i].Replicas) {
				t.Errorf("group %s replicas %v after refused calls, were %v", g.GroupId, g.Replicas, before.Groups[i].Replicas)
			}
		}
		for _, n := range after.Nodes {
			if n.Draining {
				t.Errorf("node %s draining after refused calls", n.NodeId)
			}
		}
	})

	t.Run("drain moves every leadership away while sales go on; undrain gives them back", func(t *testing.T) {
		// Traffic through n2 for the whole drain: every hold and sell must
		// succeed (forwarding follows the moving leaders).
		stop := make(chan struct{})
		var wg sync.WaitGroup
		var mu sync.Mutex
		var failures []string
		sold := 0
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				id := fmt.Sprintf("drain-%d", i)
				hold, err := tc.Inventory(1).Hold(ctx, &boxofficev1.HoldRequest{RequestId: "h-" + id, EventId: "ev", Holder: id,
					Selection: &boxofficev1.HoldRequest_Best{Best: &boxofficev1.BestAvailable{Quantity: 1}}})
				if err == nil {
					_, err = tc.Inventory(1).Sell(ctx, &boxofficev1.SellRequest{RequestId: "s-" + id, EventId: "ev", HoldId: hold.HoldId,
						Holder: id, OrderId: "o-" + id, Buyer: id})
				}
				mu.Lock()
				if err != nil {
					failures = append(failures, err.Error())
				} else {
					sold++
				}
				mu.Unlock()
			}
		}()

		if _, err := ops.Drain(ctx, &boxofficev1.DrainRequest{NodeId: "n1", Drained: true}); err != nil {
			t.Fatalf("Drain n1: %v", err)
		}
		WaitFor(t, 20*time.Second, "n1 leading no group", func() bool { return len(tc.groupsLedBy(0)) == 0 })
		close(stop)
		wg.Wait()
		if len(failures) > 0 || sold == 0 {
			t.Fatalf("during the drain %d sales succeeded and %d failed: %v", sold, len(failures), failures)
		}

		st, err := ops.Status(ctx, &boxofficev1.StatusRequest{})
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range st.Nodes {
			if n.Draining != (n.NodeId == "n1") {
				t.Errorf("status shows node %s draining=%v", n.NodeId, n.Draining)
			}
		}
		for _, g := range st.Groups {
			if g.PreferredLeaderNodeId == "n1" {
				t.Errorf("status prefers draining n1 to lead %s", g.GroupId)
			}
		}
		// A drained node is given nothing, by the rebalancer or an operator.
		group := tc.hosts[0].catalog.GroupIDs()[1]
		_, err = ops.TransferLeader(ctx, &boxofficev1.TransferLeaderRequest{GroupId: group, NodeId: "n1"})
		if status.Code(err) != codes.FailedPrecondition || reasonOf(err) != ReasonNodeDraining {
			t.Fatalf("TransferLeader to draining n1: %v, want FAILED_PRECONDITION %s", err, ReasonNodeDraining)
		}
		// Leaders need somewhere to go: the last node not draining stays.
		if _, err := ops.Drain(ctx, &boxofficev1.DrainRequest{NodeId: "n2", Drained: true}); err != nil {
			t.Fatalf("Drain n2: %v", err)
		}
		_, err = ops.Drain(ctx, &boxofficev1.DrainRequest{NodeId: "n3", Drained: true})
		if status.Code(err) != codes.FailedPrecondition || reasonOf(err) != ReasonNodeDraining || !strings.Contains(err.Error(), `"n3"`) {
			t.Fatalf("Drain of the last node not draining: %v, want FAILED_PRECONDITION %s naming n3", err, ReasonNodeDraining)
		}
		for _, id := range []string{"n2", "n1"} {
			if _, err := ops.Drain(ctx, &boxofficev1.DrainRequest{NodeId: id, Drained: false}); err != nil {
				t.Fatalf("undrain %s: %v", id, err)
			}
		}
		WaitFor(t, 20*time.Second, "n1 leading data groups again", func() bool { return len(tc.groupsLedBy(0)) > 0 })
	})
}
