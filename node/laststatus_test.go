package node

import (
	"context"
	"testing"
	"time"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
)

// TestStatusRemembersADownReplicasRole: a node that answered Status before
// it went down shows, in the next Status, as unreachable with the role,
// term and time it last reported, so an operator sees what it was.
func TestStatusRemembersADownReplicasRole(t *testing.T) {
	skipIfShort(t)
	tc := NewTestCluster(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := tc.ClusterClient(0).Status(ctx, &boxofficev1.StatusRequest{}); err != nil {
		t.Fatal(err)
	}
	stopped := tc.hosts[2].NodeID()
	tc.Kill(2)
	resp, err := tc.ClusterClient(0).Status(ctx, &boxofficev1.StatusRequest{})
	if err != nil {
		t.Fatal(err)
	}
	down := 0
	for _, g := range resp.Groups {
		for _, r := range g.Replicas {
			if r.NodeId != stopped || r.RaftState != "unreachable" {
				continue
			}
			down++
			if r.LastKnownRaftState == "" || r.LastKnownTerm == 0 || r.LastSeenUnixMs == 0 {
				t.Errorf("group %s: down replica %s without its last known role: %+v", g.GroupId, r.NodeId, r)
			}
		}
	}
	if down == 0 {
		t.Fatalf("no replica of the stopped node shows as unreachable: %v", resp.Groups)
	}
}
