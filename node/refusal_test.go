package node

import (
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
)

// After a section sells out, best-available holds there are refused by the
// leader without a log entry — the same status as a replicated refusal, on
// any node — and a seat released is seen by the next hold at once
// (read-your-writes across the shortcut).
func TestSoldOutHoldsRefusedWithoutEntries(t *testing.T) {
	skipIfShort(t)
	tc := NewTestCluster(t, 3)
	tc.createOnSaleEvent("ev1", 1, 1, 4) // one section S0: one row of 4 seats
	ctx := ctxT(t, 60*time.Second)
	hold := func(node int, id string) (*boxofficev1.HoldResponse, error) {
		return tc.Inventory(node).Hold(ctx, &boxofficev1.HoldRequest{RequestId: id, EventId: "ev1", Holder: "fan-" + id,
			Selection: &boxofficev1.HoldRequest_Best{Best: &boxofficev1.BestAvailable{Quantity: 2, SectionId: "S0"}}})
	}
	var held []*boxofficev1.HoldResponse
	for i := range 2 {
		h, err := hold(i, fmt.Sprintf("h%d", i))
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, h)
	}
	groupID := tc.eventRecord(0, "ev1").Shards[0].GroupId
	leader := tc.Leader(groupID)
	leaderGroup := tc.hosts[leader].group(groupID)
	applied := leaderGroup.store.AppliedIndex()
	refusedBefore := counterValue(tc.hosts[leader].metrics.holdsRefusedLocally)

	for i := range 6 {
		_, err := hold(i%3, fmt.Sprintf("late%d", i))
		if status.Code(err) != codes.ResourceExhausted {
			t.Fatalf("hold in a sold-out section on node %d: %v, want RESOURCE_EXHAUSTED", i%3+1, err)
		}
	}
	if got := counterValue(tc.hosts[leader].metrics.holdsRefusedLocally) - refusedBefore; got != 6 {
		t.Errorf("%v holds refused locally, want 6", got)
	}
	if now := leaderGroup.store.AppliedIndex(); now != applied {
		t.Errorf("refusals appended entries: applied index %d -> %d", applied, now)
	}

	// Release one pair: the very next hold, on any node, gets it.
	if _, err := tc.Inventory(2).Release(ctx, &boxofficev1.ReleaseRequest{RequestId: "r0", EventId: "ev1",
		HoldId: held[0].HoldId, Holder: "fan-h0"}); err != nil {
		t.Fatal(err)
	}
	again, err := hold(1, "after-release")
	if err != nil {
		t.Fatalf("hold after a release was refused: %v", err)
	}
	if fmt.Sprint(again.SeatIds) != fmt.Sprint(held[0].SeatIds) {
		t.Errorf("got %v, want the released %v", again.SeatIds, held[0].SeatIds)
	}
	tc.replicasEqual()
}

func counterValue(c prometheus.Counter) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		panic(err)
	}
	return m.GetCounter().GetValue()
}
