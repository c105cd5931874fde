package node

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
)

// TestRequestIDReusedAcrossLeaderChange: a hold and a sell are applied,
// the shard's leader moves, and then the same request ids arrive with
// other content (another holder; another order; a multi-shard hold with
// one seat changed). Each is refused FAILED_PRECONDITION
// REQUEST_ID_REUSED, nothing changes, and a retry of the original
// requests still gets the identical answer. Before request fingerprints
// the new leader answered the reused hold OK with the first hold's id and
// seats (sold to alice) and holder "mallory", and the reused sell with
// order o2 over o1's tickets, and the reused CreateEvent id answered with
// the first event.
func TestRequestIDReusedAcrossLeaderChange(t *testing.T) {
	skipIfShort(t)
	tc := NewTestCluster(t, 3)
	tc.createOnSaleEvent("ev1", 2, 5, 10)
	e := tc.eventRecord(0, "ev1")
	groupID := e.Shards[0].GroupId
	ctx := ctxT(t, 60*time.Second)
	seats := func(ids ...string) *boxofficev1.HoldRequest_Seats {
		return &boxofficev1.HoldRequest_Seats{Seats: &boxofficev1.SeatList{SeatIds: ids}}
	}
	hold := &boxofficev1.HoldRequest{RequestId: "hold-1", EventId: "ev1", Holder: "alice", Selection: seats("S0-R1-1", "S0-R1-2")}
	held, err := tc.Inventory(0).Hold(ctx, hold)
	if err != nil {
		t.Fatal(err)
	}
	sell := &boxofficev1.SellRequest{RequestId: "sell-1", EventId: "ev1", HoldId: held.HoldId, Holder: "alice", OrderId: "o1", Buyer: "alice"}
	sold, err := tc.Inventory(0).Sell(ctx, sell)
	if err != nil {
		t.Fatal(err)
	}
	multi := &boxofficev1.HoldRequest{RequestId: "multi-1", EventId: "ev1", Holder: "carol", Selection: seats("S0-R2-1", "S1-R2-1")}
	multiHeld, err := tc.Inventory(0).Hold(ctx, multi)
	if err != nil {
		t.Fatal(err)
	}

	leader := tc.Leader(groupID)
	if err := tc.hosts[leader].group(groupID).raft.LeadershipTransfer().Error(); err != nil {
		t.Fatal(err)
	}
	newLeader := tc.leaderOtherThan(groupID, leader)
	before := seatStates(t, tc, newLeader, "ev1")

	reused := []struct {
		what string
		call func() error
	}{
		{"hold-1 for another holder", func() error {
			_, err := tc.Inventory(newLeader).Hold(ctx, &boxofficev1.HoldRequest{RequestId: "hold-1", EventId: "ev1", Holder: "mallory", Selection: seats("S0-R1-1", "S0-R1-2")})
			return err
		}},
		{"sell-1 for another order", func() error {
			_, err := tc.Inventory(newLeader).Sell(ctx, &boxofficev1.SellRequest{RequestId: "sell-1", EventId: "ev1", HoldId: held.HoldId, Holder: "alice", OrderId: "o2", Buyer: "alice"})
			return err
		}},
		{"create-ev1 for another event", func() error {
			_, err := tc.Inventory(newLeader).CreateEvent(ctx, &boxofficev1.CreateEventRequest{RequestId: "create-ev1", EventId: "ev2", Name: "ev2",
				Venue: onSaleVenueForTest()})
			return err
		}},
		{"multi-1 with one shard's part changed", func() error {
			_, err := tc.Inventory(newLeader).Hold(ctx, &boxofficev1.HoldRequest{RequestId: "multi-1", EventId: "ev1", Holder: "carol", Selection: seats("S0-R2-1", "S1-R2-2")})
			return err
		}},
	}
	for _, r := range reused {
		err := r.call()
		wantRefusal(t, r.what, err, codes.FailedPrecondition, ReasonRequestIDReused)
		if msg := status.Convert(err).Message(); !strings.Contains(msg, "different request") {
			t.Fatalf("%s: message %q does not say the id was used for a different request", r.what, msg)
		}
	}
	after := seatStates(t, tc, newLeader, "ev1")
	for id, s := range before {
		if !proto.Equal(s, after[id]) {
			t.Fatalf("seat %s changed by refused requests: %v, was %v", id, after[id], s)
		}
	}

	// Retries of the original requests, to another node: the first answers.
	other := (newLeader + 1) % 3
	if again, err := tc.Inventory(other).Hold(ctx, hold); err != nil || !proto.Equal(again, held) {
		t.Fatalf("retried hold answered %v %v, first %v", again, err, held)
	}
	if again, err := tc.Inventory(other).Sell(ctx, sell); err != nil || !proto.Equal(again, sold) {
		t.Fatalf("retried sell answered %v %v, first %v", again, err, sold)
	}
	if again, err := tc.Inventory(other).Hold(ctx, multi); err != nil || !proto.Equal(again, multiHeld) {
		t.Fatalf("retried multi-shard hold answered %v %v, first %v", again, err, multiHeld)
	}
	if _, err := tc.Inventory(other).GetSeatMap(ctx, &boxofficev1.GetSeatMapRequest{EventId: "ev2"}); status.Code(err) != codes.NotFound {
		t.Fatalf("a refused CreateEvent created ev2: %v", err)
	}
	tc.replicasEqual()
}
