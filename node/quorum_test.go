package node

import (
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
)

// TestStreamCommandWithoutQuorumEnds: a command on the stream of a leader
// that lost both followers is answered with an error, not left waiting:
// DEADLINE_EXCEEDED at its timeout_ms, or UNAVAILABLE once the leader
// steps down (no quorum for LeaderLeaseTimeout), whichever comes first.
// Nothing is acknowledged.
func TestStreamCommandWithoutQuorumEnds(t *testing.T) {
	skipIfShort(t)
	tc := newTestCluster(t, 3)
	if _, err := tc.inv(0).CreateEvent(ctxT(t, 30*time.Second), &boxofficev1.CreateEventRequest{
		RequestId: "create-quorum", EventId: "quorum", Name: "quorum", Venue: onSaleVenueForTest()}); err != nil {
		t.Fatal(err)
	}
	leader := tc.leaderOf(tc.eventRecord(0, "quorum").Shards[0].GroupId)
	for i := range tc.hosts {
		if i != leader {
			tc.stop(i, true)
		}
	}
	stream, err := tc.inv(leader).Commands(ctxT(t, 30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := stream.Send(&boxofficev1.CommandsRequest{Tag: 1, TimeoutMs: 300, Command: &boxofficev1.CommandsRequest_Hold{
		Hold: &boxofficev1.HoldRequest{RequestId: "q1", EventId: "quorum", Holder: "fan",
			Selection: &boxofficev1.HoldRequest_Best{Best: &boxofficev1.BestAvailable{Quantity: 2}}}}}); err != nil {
		t.Fatal(err)
	}
	resp, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	code := codes.Code(resp.GetError().GetCode())
	if resp.GetError() == nil || (code != codes.DeadlineExceeded && code != codes.Unavailable) {
		t.Fatalf("a hold without a quorum was answered %v, want DEADLINE_EXCEEDED or UNAVAILABLE", resp)
	}
	if lease := tc.hosts[leader].cfg.Group.LeaderLeaseTimeout; elapsed > 300*time.Millisecond+lease+2*time.Second {
		t.Fatalf("answered after %v: longer than the deadline plus the lease (%v)", elapsed, lease)
	}
	t.Logf("answered %v after %v", code, elapsed)
}
