package node

import (
	"fmt"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
)

// TestStreamCommandWithoutQuorumEnds: commands on the stream of a leader
// that lost both followers are answered with an error, not left waiting —
// the first, in an entry that cannot commit, and the second, queued
// behind it with a 50 ms timeout: UNAVAILABLE once the leader steps down
// (no quorum for LeaderLeaseTimeout), or DEADLINE_EXCEEDED, depending on
// which comes first. Nothing is acknowledged, and no answer comes later
// than its timeout plus the lease.
func TestStreamCommandWithoutQuorumEnds(t *testing.T) {
	skipIfShort(t)
	tc := NewTestCluster(t, 3)
	if _, err := tc.Inventory(0).CreateEvent(ctxT(t, 30*time.Second), &boxofficev1.CreateEventRequest{
		RequestId: "create-quorum", EventId: "quorum", Name: "quorum", Venue: onSaleVenueForTest()}); err != nil {
		t.Fatal(err)
	}
	groupID := tc.eventRecord(0, "quorum").Shards[0].GroupId
	leader := tc.Leader(groupID)
	for i := range tc.hosts {
		if i != leader {
			tc.Kill(i)
		}
	}
	stream, err := tc.Inventory(leader).Commands(ctxT(t, 30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	timeouts := map[uint64]uint32{1: 300, 2: 50}
	for tag := uint64(1); tag <= 2; tag++ {
		proposed, _ := entries(t, tc.hosts[leader])
		if err := stream.Send(&boxofficev1.CommandsRequest{Tag: tag, TimeoutMs: timeouts[tag], Command: &boxofficev1.CommandsRequest_Hold{
			Hold: &boxofficev1.HoldRequest{RequestId: fmt.Sprintf("q%d", tag), EventId: "quorum", Holder: "fan",
				Selection: &boxofficev1.HoldRequest_Best{Best: &boxofficev1.BestAvailable{Quantity: 2}}}}}); err != nil {
			t.Fatal(err)
		}
		if tag == 1 { // the first is proposed (or refused: no longer leader) before the second arrives
			WaitFor(t, 5*time.Second, "the first hold to be proposed or the leader to step down", func() bool {
				n, _ := entries(t, tc.hosts[leader])
				return n > proposed || !tc.IsLeader(leader, groupID)
			})
		}
	}
	lease := tc.hosts[leader].cfg.Group.LeaderLeaseTimeout
	for range 2 {
		resp, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		elapsed := time.Since(start)
		code := codes.Code(resp.GetError().GetCode())
		switch {
		case resp.GetError() == nil:
			t.Fatalf("a hold without a quorum was acknowledged: %v", resp)
		case code != codes.DeadlineExceeded && code != codes.Unavailable:
			t.Fatalf("hold %d was answered %v, want UNAVAILABLE or DEADLINE_EXCEEDED", resp.Tag, code)
		}
		if limit := time.Duration(timeouts[resp.Tag])*time.Millisecond + lease + 2*time.Second; elapsed > limit {
			t.Fatalf("hold %d answered after %v: longer than its timeout plus the lease (%v)", resp.Tag, elapsed, lease)
		}
		t.Logf("hold %d answered %v after %v", resp.Tag, code, elapsed)
	}
}
