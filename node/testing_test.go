package node

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
)

// TestPartitionAndHeal: a group leader cut off from its peers loses
// leadership and can no longer commit, not even through forwarding; the
// majority elects a leader and commits; after Heal the cut node catches up
// and applies what the majority committed.
func TestPartitionAndHeal(t *testing.T) {
	skipIfShort(t)
	tc := NewTestCluster(t, 3)
	// One shard in one group (the default placement).
	if _, err := tc.Inventory(0).CreateEvent(ctxT(t, 30*time.Second), &boxofficev1.CreateEventRequest{
		RequestId: "create-cut", EventId: "cut", Name: "cut", Venue: onSaleVenueForTest()}); err != nil {
		t.Fatal(err)
	}
	groupID := tc.eventRecord(0, "cut").Shards[0].GroupId
	cut := tc.Leader(groupID)
	hold := func(i int, requestID, seat string, timeout time.Duration) error {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		_, err := tc.Inventory(i).Hold(ctx, &boxofficev1.HoldRequest{RequestId: requestID, EventId: "cut", Holder: requestID,
			Selection: &boxofficev1.HoldRequest_Seats{Seats: &boxofficev1.SeatList{SeatIds: []string{seat}}}})
		return err
	}

	tc.Partition(cut)
	WaitFor(t, 10*time.Second, fmt.Sprintf("n%d to lose leadership of %s", cut+1, groupID), func() bool {
		return !tc.IsLeader(cut, groupID)
	})
	leader := tc.leaderOtherThan(groupID, cut)
	if err := hold(leader, "majority", "S0-R1-1", 10*time.Second); err != nil {
		t.Fatalf("a hold on the majority's leader n%d: %v", leader+1, err)
	}
	if err := hold(cut, "minority", "S0-R1-2", 2*time.Second); err == nil {
		t.Fatalf("a hold sent to the cut-off n%d was acknowledged", cut+1)
	}
	cutStore, leaderStore := tc.hosts[cut].group(groupID).store, tc.hosts[leader].group(groupID).store
	if cutStore.AppliedIndex() >= leaderStore.AppliedIndex() {
		t.Fatalf("the cut-off n%d applied up to %d, the majority's leader %d: it was not cut off",
			cut+1, cutStore.AppliedIndex(), leaderStore.AppliedIndex())
	}

	tc.Heal()
	tc.replicasEqual()
	WaitFor(t, 20*time.Second, fmt.Sprintf("n%d to follow the leader of %s again", cut+1, groupID), func() bool {
		_, id := tc.hosts[cut].group(groupID).leader()
		return id != "" && id != tc.configs[cut].NodeID
	})
	if err := hold(cut, "healed", "S0-R1-3", 10*time.Second); err != nil {
		t.Fatalf("a hold sent to n%d after Heal: %v", cut+1, err)
	}
}

// TestPartitionKeepsEachSideConnected: the partitioned nodes still reach
// each other, and so does the rest; connections across the cut are closed
// and new ones refused, and Heal admits them again.
func TestPartitionKeepsEachSideConnected(t *testing.T) {
	network := newTestNetwork(4)
	for i := range 4 {
		network.byAddr[fmt.Sprintf("n%d:1", i+1)] = i
	}
	across, acrossServer := net.Pipe()
	defer acrossServer.Close()
	across, err := network.admit(0)("n3:1", across)
	if err != nil {
		t.Fatal(err)
	}
	within, withinServer := net.Pipe()
	defer withinServer.Close()
	within, err = network.admit(0)("n2:1", within)
	if err != nil {
		t.Fatal(err)
	}
	defer within.Close()
	dial := func(from, to int) error {
		client, server := net.Pipe()
		defer server.Close()
		conn, err := network.admit(from)(fmt.Sprintf("n%d:1", to+1), client)
		if err == nil {
			_ = conn.Close()
		}
		return err
	}
	network.partition([]int{0, 1})
	if _, err := acrossServer.Write([]byte{1}); err == nil {
		t.Error("a connection across the cut stayed open")
	}
	go func() { _, _ = withinServer.Read(make([]byte, 1)) }()
	if _, err := within.Write([]byte{1}); err != nil {
		t.Errorf("a connection within one side was cut: %v", err)
	}
	for _, link := range []struct {
		from, to int
		open     bool
	}{{0, 1, true}, {1, 0, true}, {2, 3, true}, {0, 2, false}, {3, 1, false}} {
		if err := dial(link.from, link.to); (err == nil) != link.open {
			t.Errorf("n%d to n%d during the partition: %v, want open %v", link.from+1, link.to+1, err, link.open)
		}
	}
	// An address outside the cluster is never cut.
	client, server := net.Pipe()
	defer server.Close()
	if _, err := network.admit(0)("elsewhere:1", client); err != nil {
		t.Errorf("a dial outside the cluster: %v", err)
	}
	network.partition(nil)
	if err := dial(0, 2); err != nil {
		t.Errorf("n1 to n3 after Heal: %v", err)
	}
}
