package node

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/cluster"
	"github.com/boxoffice/boxoffice/node/nodepb"
)

// TestCheckFeatureLevel: a level is open when every node announces at
// least it; a node that announces none (v0.1.0) is level 1; a refusal
// names every older node, sorted, with its level.
func TestCheckFeatureLevel(t *testing.T) {
	rec := func(id string, level uint32, version string) *nodepb.NodeRecord {
		return &nodepb.NodeRecord{NodeId: id, FeatureLevel: level, ReleaseVersion: version}
	}
	for _, tc := range []struct {
		name       string
		nodes      []*nodepb.NodeRecord
		level      int
		wantOlder  string // comma-separated, "" for open
		wantLevel  int
		wantMixed  bool
		wantInText string
	}{
		{name: "no nodes yet", level: 2, wantLevel: featureLevelCurrent},
		{name: "all current", nodes: []*nodepb.NodeRecord{rec("n1", 2, "v2"), rec("n2", 2, "v2")}, level: 2, wantLevel: 2},
		{name: "level 1 is open to an old node", nodes: []*nodepb.NodeRecord{rec("n1", 2, "v2"), rec("n2", 0, "")}, level: 1,
			wantLevel: 1, wantMixed: true},
		{name: "an unannounced level is 1", nodes: []*nodepb.NodeRecord{rec("n3", 0, ""), rec("n1", 2, "v2"), rec("n2", 0, "")}, level: 2,
			wantOlder: "n2,n3", wantLevel: 1, wantMixed: true, wantInText: "n2 (level 1), n3 (level 1)"},
		{name: "same level, other release", nodes: []*nodepb.NodeRecord{rec("n1", 2, "v2.0"), rec("n2", 2, "v2.1")}, level: 2,
			wantLevel: 2, wantMixed: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := checkFeatureLevel(tc.nodes, tc.level)
			var up *clusterUpgradingError
			switch {
			case tc.wantOlder == "" && err != nil:
				t.Fatalf("level %d refused: %v", tc.level, err)
			case tc.wantOlder != "" && !errors.As(err, &up):
				t.Fatalf("level %d: got %v, want a refusal naming %s", tc.level, err, tc.wantOlder)
			case tc.wantOlder != "":
				if got := strings.Join(up.nodeIDs, ","); got != tc.wantOlder {
					t.Errorf("older nodes %s, want %s", got, tc.wantOlder)
				}
				if !errors.Is(err, ErrClusterUpgrading) || !strings.Contains(err.Error(), tc.wantInText) {
					t.Errorf("refusal %q: want ErrClusterUpgrading naming %q", err, tc.wantInText)
				}
			}
			level, mixed := clusterFeatureLevel(tc.nodes)
			if level != tc.wantLevel || mixed != tc.wantMixed {
				t.Errorf("cluster level %d mixed %v, want %d %v", level, mixed, tc.wantLevel, tc.wantMixed)
			}
		})
	}
}

// TestFeatureLevelGate: every node of a cluster of this build announces
// its release and level (gossip, catalog, Status, metrics) and the gate of
// the current level is open; a registered node of an older build (here
// registered the way a v0.1.0 meta leader does: no version fields) closes
// it on every node, Status says so and CheckFeatureLevel refuses with
// CLUSTER_UPGRADING naming it; removing that node opens the gate again. A
// node whose record says level 2 but whose gossip says level 1 (rolled
// back) closes the gate at once.
func TestFeatureLevelGate(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a 3-node cluster; skipped with -short")
	}
	tc := NewTestCluster(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	WaitFor(t, 10*time.Second, "every node registered with its release and level", func() bool {
		nodes := tc.Host(0).catalog.Export().Nodes
		for _, n := range nodes {
			if n.ReleaseVersion != ReleaseVersion() || n.FeatureLevel != featureLevelCurrent {
				return false
			}
		}
		return len(nodes) == 3
	})
	st, err := tc.ClusterClient(1).Status(ctx, &boxofficev1.StatusRequest{LocalOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if st.ClusterFeatureLevel != featureLevelCurrent || st.MixedVersions {
		t.Fatalf("status: cluster feature level %d mixed %v, want %d and not mixed", st.ClusterFeatureLevel, st.MixedVersions, featureLevelCurrent)
	}
	for _, n := range st.Nodes {
		if n.ReleaseVersion != ReleaseVersion() || n.FeatureLevel != featureLevelCurrent || n.OlderBuild {
			t.Errorf("status of %s: release %q level %d older %v", n.NodeId, n.ReleaseVersion, n.FeatureLevel, n.OlderBuild)
		}
	}
	for i := range tc.Len() {
		if err := tc.Host(i).requireFeatureLevel(featureLevelCurrent); err != nil {
			t.Errorf("node %d: gate of level %d closed on a cluster of one build: %v", i+1, featureLevelCurrent, err)
		}
		families, err := tc.Host(i).metrics.registry.Gather()
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, f := range families {
			if f.GetName() == "boxoffice_node_build_info" && len(f.GetMetric()) == 1 {
				labels := map[string]string{}
				for _, l := range f.GetMetric()[0].GetLabel() {
					labels[l.GetName()] = l.GetValue()
				}
				found = labels["version"] == ReleaseVersion() && labels["feature_level"] == strconv.Itoa(featureLevelCurrent) && f.GetMetric()[0].GetGauge().GetValue() == 1
			}
		}
		if !found {
			t.Errorf("node %d: no boxoffice_node_build_info{version=%q,feature_level=\"%d\"} 1", i+1, ReleaseVersion(), featureLevelCurrent)
		}
	}
	if r, err := tc.ClusterClient(2).CheckFeatureLevel(ctx, &boxofficev1.CheckFeatureLevelRequest{}); err != nil || r.FeatureLevel != featureLevelCurrent || r.ClusterFeatureLevel != featureLevelCurrent {
		t.Fatalf("CheckFeatureLevel on an upgraded cluster: %v %v", r, err)
	}
	if _, err := tc.ClusterClient(2).CheckFeatureLevel(ctx, &boxofficev1.CheckFeatureLevelRequest{FeatureLevel: featureLevelCurrent + 1}); status.Code(err) != codes.InvalidArgument ||
		!strings.Contains(err.Error(), fmt.Sprint("feature_level ", featureLevelCurrent+1)) {
		t.Fatalf("CheckFeatureLevel of a level above the build: %v, want INVALID_ARGUMENT naming feature_level %d", err, featureLevelCurrent+1)
	}

	// An older node registers, as a v0.1.0 meta leader would register it.
	meta := tc.Leader("meta")
	res, err := tc.Host(meta).applyCatalog(&nodepb.CatalogCommand{
		Type: nodepb.CatalogCommandType_CATALOG_COMMAND_TYPE_REGISTER_NODE,
		Body: &nodepb.CatalogCommand_RegisterNode{RegisterNode: &nodepb.NodeRecord{NodeId: "n9", PeerAddr: "127.0.0.1:9",
			GrpcAddr: "127.0.0.1:9", Incarnation: "old"}},
	})
	if err != nil || res.Code != nodepb.CatalogCode_CATALOG_CODE_OK {
		t.Fatalf("register n9: %v %v", res, err)
	}
	WaitFor(t, 10*time.Second, "every node's catalog to hold n9", func() bool {
		for i := range tc.Len() {
			if tc.Host(i).catalog.Node("n9") == nil {
				return false
			}
		}
		return true
	})
	for i := range tc.Len() {
		err := tc.Host(i).requireFeatureLevel(featureLevelCurrent)
		if !errors.Is(err, ErrClusterUpgrading) || !strings.Contains(err.Error(), "n9 (level 1)") {
			t.Errorf("node %d: gate with n9 on level 1: %v", i+1, err)
		}
		if err := tc.Host(i).requireFeatureLevel(1); err != nil {
			t.Errorf("node %d: gate of level 1 closed: %v", i+1, err)
		}
	}
	_, err = tc.ClusterClient(0).CheckFeatureLevel(ctx, &boxofficev1.CheckFeatureLevelRequest{FeatureLevel: 2})
	if status.Code(err) != codes.FailedPrecondition || boxofficev1.ReasonOf(err) != boxofficev1.ReasonClusterUpgrading ||
		boxofficev1.ErrorInfoOf(err).GetMetadata()[boxofficev1.MetadataNodeIDs] != "n9" || !strings.Contains(status.Convert(err).Message(), "n9") {
		t.Fatalf("CheckFeatureLevel with n9 on level 1: %v (metadata %v), want FAILED_PRECONDITION CLUSTER_UPGRADING naming n9",
			err, boxofficev1.ErrorInfoOf(err).GetMetadata())
	}
	st, err = tc.ClusterClient(0).Status(ctx, &boxofficev1.StatusRequest{LocalOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if st.ClusterFeatureLevel != 1 || !st.MixedVersions {
		t.Errorf("status with n9 on level 1: cluster feature level %d mixed %v, want 1 and mixed", st.ClusterFeatureLevel, st.MixedVersions)
	}
	for _, n := range st.Nodes {
		if want := n.NodeId == "n9"; n.OlderBuild != want || (want && n.FeatureLevel != 1) {
			t.Errorf("status of %s: older build %v level %d", n.NodeId, n.OlderBuild, n.FeatureLevel)
		}
	}

	// A removed node no longer holds features back.
	if _, err := tc.ClusterClient(0).RemoveNode(ctx, &boxofficev1.RemoveNodeRequest{NodeId: "n9"}); err != nil {
		t.Fatal(err)
	}
	WaitFor(t, 10*time.Second, "the gate to open on every node once n9 is removed", func() bool {
		for i := range tc.Len() {
			if tc.Host(i).requireFeatureLevel(featureLevelCurrent) != nil {
				return false
			}
		}
		return true
	})
	if _, err := tc.ClusterClient(0).CheckFeatureLevel(ctx, &boxofficev1.CheckFeatureLevelRequest{}); err != nil {
		t.Fatalf("CheckFeatureLevel after n9 was removed: %v", err)
	}

	// A node rolled back to an older build counts at the level it gossips
	// at once, before the meta leader registers it again: here n8's
	// record says level 2 and its gossip says nothing (level 1).
	res, err = tc.Host(tc.Leader("meta")).applyCatalog(&nodepb.CatalogCommand{
		Type: nodepb.CatalogCommandType_CATALOG_COMMAND_TYPE_REGISTER_NODE,
		Body: &nodepb.CatalogCommand_RegisterNode{RegisterNode: &nodepb.NodeRecord{NodeId: "n8", PeerAddr: "127.0.0.1:8",
			GrpcAddr: "127.0.0.1:8", Incarnation: "rolled-back", ReleaseVersion: ReleaseVersion(), FeatureLevel: featureLevelCurrent}},
	})
	if err != nil || res.Code != nodepb.CatalogCode_CATALOG_CODE_OK {
		t.Fatalf("register n8: %v %v", res, err)
	}
	WaitFor(t, 10*time.Second, "every node's catalog to hold n8", func() bool {
		for i := range tc.Len() {
			if tc.Host(i).catalog.Node("n8") == nil {
				return false
			}
		}
		return true
	})
	if err := tc.Host(0).requireFeatureLevel(featureLevelCurrent); err != nil {
		t.Fatalf("gate with n8 registered at level %d: %v", featureLevelCurrent, err)
	}
	older := rogueMember(t, "n8", cluster.NodeMeta{NodeID: "n8", PeerAddr: "127.0.0.1:8", GRPCAddr: "127.0.0.1:8", Incarnation: "rolled-back"})
	if _, err := older.Join([]string{tc.Config(0).GossipAddr}); err != nil {
		t.Fatal(err)
	}
	WaitFor(t, 10*time.Second, "the gate to close on every node once n8 gossips level 1", func() bool {
		for i := range tc.Len() {
			if err := tc.Host(i).requireFeatureLevel(featureLevelCurrent); err == nil || !strings.Contains(err.Error(), "n8 (level 1)") {
				return false
			}
		}
		return true
	})
}
