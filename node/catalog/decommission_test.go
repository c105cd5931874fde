package catalog

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/raft"
	"google.golang.org/protobuf/proto"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/node/nodepb"
)

// catalogWith returns a catalog with the nodes (id, region) and one group
// per replica list, and a function that applies a command at the next
// index.
func catalogWith(t *testing.T, nodes [][2]string, groups ...[]string) (*Catalog, func(*nodepb.CatalogCommand) *nodepb.CatalogResult) {
	t.Helper()
	c := New(nil)
	index := uint64(0)
	apply := func(cmd *nodepb.CatalogCommand) *nodepb.CatalogResult {
		index++
		return applyCatalog(t, c, index, cmd)
	}
	for _, n := range nodes {
		rec := &nodepb.NodeRecord{NodeId: n[0]}
		if n[1] != "" {
			rec.Locality = []*boxofficev1.LocalityTier{{Key: "region", Value: n[1]}}
		}
		apply(&nodepb.CatalogCommand{Type: nodepb.CatalogCommandType_CATALOG_COMMAND_TYPE_REGISTER_NODE,
			Body: &nodepb.CatalogCommand_RegisterNode{RegisterNode: rec}})
	}
	var recs []*nodepb.GroupRecord
	for i, r := range groups {
		recs = append(recs, &nodepb.GroupRecord{GroupId: "g00" + string(rune('0'+i)), Replicas: r, InitialReplicas: r})
	}
	apply(&nodepb.CatalogCommand{Type: nodepb.CatalogCommandType_CATALOG_COMMAND_TYPE_CREATE_GROUPS,
		Body: &nodepb.CatalogCommand_CreateGroups{CreateGroups: &nodepb.CreateGroups{Groups: recs}}})
	return c, apply
}

func decommission(id string, on bool, rf uint32) *nodepb.CatalogCommand {
	return &nodepb.CatalogCommand{Type: nodepb.CatalogCommandType_CATALOG_COMMAND_TYPE_SET_NODE_DECOMMISSIONING,
		Body: &nodepb.CatalogCommand_SetNodeDecommissioning{SetNodeDecommissioning: &nodepb.SetNodeDecommissioning{
			NodeId: id, Decommissioning: on, ReplicationFactor: rf}}}
}

func move(phase nodepb.MovePhase, group, remove, add string) *nodepb.CatalogCommand {
	return &nodepb.CatalogCommand{Type: nodepb.CatalogCommandType_CATALOG_COMMAND_TYPE_MOVE_REPLICA, NowUnixMs: 42,
		Body: &nodepb.CatalogCommand_MoveReplica{MoveReplica: &nodepb.MoveReplica{Phase: phase,
			Move: &nodepb.ReplicaMove{GroupId: group, AddNodeId: add, RemoveNodeId: remove, Reason: "test"}}}}
}

// A decommission mark drains the node, survives a new registration, and
// comes off with recommission; a decommission that would leave too few
// nodes or regions for the groups is refused and changes nothing.
func TestCatalogDecommission(t *testing.T) {
	c, apply := catalogWith(t, [][2]string{{"n1", ""}, {"n2", ""}, {"n3", ""}, {"n4", ""}},
		[]string{"n1", "n2", "n3"}, []string{"n2", "n3", "n4"})
	for range 2 {
		if r := apply(decommission("n4", true, 3)); r.Code != nodepb.CatalogCode_CATALOG_CODE_OK {
			t.Fatalf("decommission n4: %v", r)
		}
	}
	if n := c.Node("n4"); !n.Decommissioning || !n.Draining {
		t.Fatalf("n4 = %v, want decommissioning and draining", n)
	}
	apply(&nodepb.CatalogCommand{Type: nodepb.CatalogCommandType_CATALOG_COMMAND_TYPE_REGISTER_NODE,
		Body: &nodepb.CatalogCommand_RegisterNode{RegisterNode: &nodepb.NodeRecord{NodeId: "n4", PeerAddr: "new"}}})
	if n := c.Node("n4"); !n.Decommissioning {
		t.Fatalf("n4 registered again lost its mark: %v", n)
	}
	before := c.Export()
	r := apply(decommission("n3", true, 3))
	if r.Code != nodepb.CatalogCode_CATALOG_CODE_DECOMMISSION_WOULD_LOSE_REPLICAS ||
		!strings.Contains(r.Message, `would leave 2 nodes able to hold replicas, fewer than the replication factor 3`) {
		t.Fatalf("decommission of a third of four nodes at RF 3: %v", r)
	}
	if after := c.Export(); !proto.Equal(after.Nodes[2], before.Nodes[2]) {
		t.Fatalf("refusal changed n3: %v", after.Nodes[2])
	}
	if r := apply(decommission("n9", true, 3)); r.Code != nodepb.CatalogCode_CATALOG_CODE_NOT_FOUND {
		t.Fatalf("unknown node: %v", r)
	}
	if r := apply(decommission("n4", false, 3)); r.Code != nodepb.CatalogCode_CATALOG_CODE_OK {
		t.Fatalf("recommission: %v", r)
	}
	if n := c.Node("n4"); n.Decommissioning || n.Draining {
		t.Fatalf("recommissioned n4 = %v", n)
	}

	// RF=3 over three regions, a fourth node in region a: the only node of
	// region c cannot go, the second node of region a can.
	_, apply = catalogWith(t, [][2]string{{"a1", "a"}, {"a2", "a"}, {"b1", "b"}, {"c1", "c"}},
		[]string{"a1", "b1", "c1"})
	r = apply(decommission("c1", true, 3))
	if r.Code != nodepb.CatalogCode_CATALOG_CODE_DECOMMISSION_WOULD_LOSE_REPLICAS ||
		!strings.Contains(r.Message, `spanning 2 distinct localities at tier 1, and group "g000" spans 3`) {
		t.Fatalf("decommission of the only node of a region: %v", r)
	}
	if r := apply(decommission("a1", true, 3)); r.Code != nodepb.CatalogCode_CATALOG_CODE_OK {
		t.Fatalf("decommission of a node of a region with two: %v", r)
	}
}

// A move appends the new replica, then puts it in the old one's place;
// a cancel takes it out; a snapshot carries the moves in flight.
func TestCatalogMoveReplica(t *testing.T) {
	c, apply := catalogWith(t, [][2]string{{"n1", ""}, {"n2", ""}, {"n3", ""}, {"n4", ""}, {"n5", ""}},
		[]string{"n1", "n2", "n3"})
	start := func(remove, add string) *nodepb.CatalogResult {
		return apply(move(nodepb.MovePhase_MOVE_PHASE_START, "g000", remove, add))
	}
	if r := start("n1", "n4"); r.Code != nodepb.CatalogCode_CATALOG_CODE_OK {
		t.Fatalf("start: %v", r)
	}
	if got := c.Group("g000").Replicas; !slices.Equal(got, []string{"n1", "n2", "n3", "n4"}) {
		t.Fatalf("replicas during the move: %v", got)
	}
	for _, bad := range []struct{ remove, add string }{{"n2", "n5"}} {
		if r := start(bad.remove, bad.add); r.Code != nodepb.CatalogCode_CATALOG_CODE_MOVE_CONFLICT {
			t.Fatalf("second move of the group: %v", r)
		}
	}
	// The moves survive a snapshot and restore.
	snap, _ := c.Snapshot()
	var buf bytes.Buffer
	if err := snap.Persist(&memorySink{Buffer: &buf}); err != nil {
		t.Fatal(err)
	}
	restored := New(nil)
	if err := restored.Restore(nopCloser{&buf}); err != nil {
		t.Fatal(err)
	}
	if m := restored.Moves(); len(m) != 1 || m[0].AddNodeId != "n4" || m[0].StartedAtUnixMs != 42 {
		t.Fatalf("moves after restore: %v", m)
	}
	if r := apply(move(nodepb.MovePhase_MOVE_PHASE_FINISH, "g000", "n1", "n5")); r.Code != nodepb.CatalogCode_CATALOG_CODE_NOT_FOUND {
		t.Fatalf("finish of another move: %v", r)
	}
	if r := apply(move(nodepb.MovePhase_MOVE_PHASE_FINISH, "g000", "n1", "n4")); r.Code != nodepb.CatalogCode_CATALOG_CODE_OK {
		t.Fatalf("finish: %v", r)
	}
	if got := c.Group("g000").Replicas; !slices.Equal(got, []string{"n4", "n2", "n3"}) || len(c.Moves()) != 0 {
		t.Fatalf("after the move: %v, moves %v", got, c.Moves())
	}

	for _, bad := range []struct{ remove, add string }{{"n1", "n5"}, {"n2", "n3"}, {"n2", "n9"}} {
		if r := start(bad.remove, bad.add); r.Code != nodepb.CatalogCode_CATALOG_CODE_MOVE_CONFLICT {
			t.Fatalf("move %s -> %s: %v", bad.remove, bad.add, r)
		}
	}
	start("n2", "n5")
	if r := apply(move(nodepb.MovePhase_MOVE_PHASE_CANCEL, "g000", "n2", "n5")); r.Code != nodepb.CatalogCode_CATALOG_CODE_OK {
		t.Fatalf("cancel: %v", r)
	}
	if got := c.Group("g000").Replicas; !slices.Equal(got, []string{"n4", "n2", "n3"}) || len(c.Moves()) != 0 {
		t.Fatalf("after the cancel: %v, moves %v", got, c.Moves())
	}

	// Removing a node ends the moves that name it.
	start("n2", "n5")
	apply(&nodepb.CatalogCommand{Type: nodepb.CatalogCommandType_CATALOG_COMMAND_TYPE_REMOVE_NODE,
		Body: &nodepb.CatalogCommand_RemoveNode{RemoveNode: &nodepb.RemoveNode{NodeId: "n5"}}})
	if got := c.Group("g000").Replicas; !slices.Equal(got, []string{"n4", "n2", "n3"}) || len(c.Moves()) != 0 {
		t.Fatalf("after removing the new replica's node: %v, moves %v", got, c.Moves())
	}
}

type memorySink struct{ *bytes.Buffer }

func (memorySink) ID() string    { return "test" }
func (memorySink) Cancel() error { return nil }
func (memorySink) Close() error  { return nil }

var _ raft.SnapshotSink = memorySink{}

type nopCloser struct{ *bytes.Buffer }

func (nopCloser) Close() error { return nil }
