package node

import (
	"context"
	"net"
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

// TestStatusAnswersBeforeASilentNode: a node that accepts connections but
// never answers (a lost region that drops packets, a hung process) costs
// Status only that node's mark: under a caller's deadline shorter than
// the per-node wait, Status still answers in time, with the node marked
// unreachable.
func TestStatusAnswersBeforeASilentNode(t *testing.T) {
	skipIfShort(t)
	tc := NewTestCluster(t, 3)
	silent := tc.Host(2).NodeID()
	peerAddr := tc.Config(2).PeerAddr
	tc.Kill(2)
	var ln net.Listener
	WaitFor(t, 10*time.Second, "the killed node's peer port to be free", func() bool {
		var err error
		ln, err = net.Listen("tcp", peerAddr)
		return err == nil
	})
	defer ln.Close()
	go func() {
		var held []net.Conn // accepted, never read or answered
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()

	ctx, cancel := context.WithTimeout(context.Background(), statusPeerTimeout*3/4)
	defer cancel()
	resp, err := tc.ClusterClient(0).Status(ctx, &boxofficev1.StatusRequest{})
	if err != nil {
		t.Fatalf("Status under a %v deadline with %s silent: %v", statusPeerTimeout*3/4, silent, err)
	}
	marked := 0
	for _, g := range resp.Groups {
		for _, r := range g.Replicas {
			if r.NodeId == silent && r.RaftState == "unreachable" {
				marked++
			}
		}
	}
	if marked == 0 {
		t.Errorf("no replica of silent %s is marked unreachable: %v", silent, resp.Groups)
	}
}
