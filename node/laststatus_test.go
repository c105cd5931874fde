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

// TestStatusAnswersWithAMajorityDown: with three of five nodes killed (a
// lost region), Status still answers under the caller's deadline, marks
// each killed node unreachable in every group it is a replica of, the
// meta group included, and shows the meta group without a leader once it
// has lost its quorum; it never names a killed node a group's leader.
func TestStatusAnswersWithAMajorityDown(t *testing.T) {
	skipIfShort(t)
	tc := NewTestCluster(t, 5)
	killed := map[string]bool{}
	for _, i := range []int{2, 3, 4} {
		killed[tc.Host(i).NodeID()] = true
		tc.Kill(i)
	}
	status := func() *boxofficev1.StatusResponse {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		resp, err := tc.ClusterClient(0).Status(ctx, &boxofficev1.StatusRequest{})
		if err != nil {
			t.Fatalf("Status with a majority down: %v", err)
		}
		// Followers still name a killed leader until they elect another;
		// Status must not pass that on.
		for _, g := range resp.Groups {
			if killed[g.LeaderNodeId] {
				t.Errorf("group %s: Status names killed %s its leader", g.GroupId, g.LeaderNodeId)
			}
		}
		return resp
	}
	var resp *boxofficev1.StatusResponse
	WaitFor(t, time.Minute, "the meta group to show no leader", func() bool {
		resp = status()
		for _, g := range resp.Groups {
			if g.GroupId == "meta" {
				return g.LeaderNodeId == ""
			}
		}
		return false
	})
	catalog := tc.Host(0).catalog.Export()
	replicasOf := map[string][]string{"meta": {"n1", "n2", "n3", "n4", "n5"}}
	for _, g := range catalog.Groups {
		replicasOf[g.GroupId] = g.Replicas
	}
	for _, g := range resp.Groups {
		want, ok := replicasOf[g.GroupId]
		if !ok {
			t.Errorf("Status shows group %s, which the catalog does not list", g.GroupId)
			continue
		}
		delete(replicasOf, g.GroupId)
		states := map[string]string{}
		for _, r := range g.Replicas {
			states[r.NodeId] = r.RaftState
		}
		for _, id := range want {
			switch {
			case killed[id] && states[id] != "unreachable":
				t.Errorf("group %s: killed %s shows as %q, want unreachable", g.GroupId, id, states[id])
			case !killed[id] && (states[id] == "" || states[id] == "unreachable"):
				t.Errorf("group %s: running %s shows as %q", g.GroupId, id, states[id])
			}
		}
	}
	for id := range replicasOf {
		t.Errorf("Status does not show group %s", id)
	}
}
