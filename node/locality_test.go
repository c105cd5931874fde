package node

import (
	"slices"
	"strings"
	"testing"
	"time"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/cluster"
)

// withLocalities gives node i the locality texts[i].
func withLocalities(t *testing.T, texts ...string) TestOption {
	return func(i int, c *Config) {
		l, err := cluster.ParseLocality(texts[i])
		if err != nil {
			t.Fatal(err)
		}
		c.Locality = l
	}
}

// TestPlacementSpreadsRegions: six nodes in three regions, two each, with
// the regions in id order (n1 and n2 in eu, ...), so that the layout
// without locality would put n1, n2 and n3 in one group. Every group gets
// one replica per region; Status shows each node's locality; a node
// restarted with another locality has its record updated; and after a
// node is removed, the groups it was in take the other node of its region
// and still span the three regions.
func TestPlacementSpreadsRegions(t *testing.T) {
	skipIfShort(t)
	texts := []string{"region=eu,zone=eu-1", "region=eu,zone=eu-2", "region=us,zone=us-1", "region=us,zone=us-2",
		"region=ap,zone=ap-1", "region=ap,zone=ap-2"}
	tc := NewTestCluster(t, 6, withLocalities(t, texts...), func(i int, c *Config) { c.ReplicationFactor = 3 })
	ctx := ctxT(t, 120*time.Second)
	regionOf := func(id string) string {
		rec := tc.Host(0).catalog.Node(id)
		if rec == nil || len(rec.Locality) == 0 {
			return "?"
		}
		return rec.Locality[0].Value
	}
	spread := func(replicas []string) bool {
		regions := map[string]bool{}
		for _, id := range replicas {
			regions[regionOf(id)] = true
		}
		return len(replicas) == 3 && len(regions) == 3 && !regions["?"]
	}
	groups := tc.Host(0).catalog.Export().Groups
	if len(groups) != 6 {
		t.Fatalf("%d data groups, want 6", len(groups))
	}
	for _, g := range groups {
		if !spread(g.Replicas) {
			t.Errorf("group %s on %v: want one replica in each of eu, us and ap", g.GroupId, g.Replicas)
		}
	}

	st, err := tc.ClusterClient(3).Status(ctx, &boxofficev1.StatusRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range st.Nodes {
		i := slices.IndexFunc(tc.configs, func(c Config) bool { return c.NodeID == n.NodeId })
		if got := cluster.LocalityFromProto(n.Locality).String(); i < 0 || got != texts[i] {
			t.Errorf("Status: %s has locality %q, want %q", n.NodeId, got, texts[i])
		}
	}

	// n4 moves to another zone of its region.
	tc.configs[3].Locality = cluster.Locality{{Key: "region", Value: "us"}, {Key: "zone", Value: "us-3"}}
	tc.Restart(3)
	WaitFor(t, 20*time.Second, "n4's record to say zone us-3", func() bool {
		rec := tc.Host(0).catalog.Node("n4")
		return cluster.LocalityFromProto(rec.GetLocality()).String() == "region=us,zone=us-3"
	})

	// n2 goes: the groups it was in take n1, eu's other node.
	if _, err := tc.ClusterClient(0).RemoveNode(ctx, &boxofficev1.RemoveNodeRequest{NodeId: "n2"}); err != nil {
		t.Fatal(err)
	}
	tc.Stop(1)
	WaitFor(t, 40*time.Second, "every group back to three replicas", func() bool {
		for _, g := range tc.Host(0).catalog.Export().Groups {
			if len(g.Replicas) != 3 {
				return false
			}
		}
		return true
	})
	for _, g := range tc.Host(0).catalog.Export().Groups {
		if !spread(g.Replicas) || !slices.Contains(g.Replicas, "n1") {
			t.Errorf("after removing n2, group %s on %v: want one replica per region, n1 for eu", g.GroupId, strings.Join(g.Replicas, ","))
		}
	}
}
