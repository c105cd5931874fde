package catalog

import (
	"slices"
	"testing"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/node/nodepb"
)

// catalogWithNodes registers nodes "id@region" and creates group g000
// on the first three.
func catalogWithNodes(t *testing.T, nodes ...[2]string) (*Catalog, uint64) {
	t.Helper()
	c := New(nil)
	index := uint64(0)
	for _, n := range nodes {
		index++
		applyCatalog(t, c, index, &nodepb.CatalogCommand{Type: nodepb.CatalogCommandType_CATALOG_COMMAND_TYPE_REGISTER_NODE,
			Body: &nodepb.CatalogCommand_RegisterNode{RegisterNode: &nodepb.NodeRecord{NodeId: n[0],
				Locality: []*boxofficev1.LocalityTier{{Key: "region", Value: n[1]}}}}})
	}
	index++
	replicas := []string{nodes[0][0], nodes[1][0], nodes[2][0]}
	applyCatalog(t, c, index, &nodepb.CatalogCommand{Type: nodepb.CatalogCommandType_CATALOG_COMMAND_TYPE_CREATE_GROUPS,
		Body: &nodepb.CatalogCommand_CreateGroups{CreateGroups: &nodepb.CreateGroups{Groups: []*nodepb.GroupRecord{
			{GroupId: "g000", Replicas: replicas, InitialReplicas: replicas}}}}})
	return c, index
}

func addGroups(requestID string, groups ...*nodepb.GroupRecord) *nodepb.CatalogCommand {
	return &nodepb.CatalogCommand{Type: nodepb.CatalogCommandType_CATALOG_COMMAND_TYPE_ADD_GROUPS, RequestId: requestID,
		Body: &nodepb.CatalogCommand_AddGroups{AddGroups: &nodepb.AddGroups{Groups: groups}}}
}

func TestAddGroups(t *testing.T) {
	c, index := catalogWithNodes(t, [2]string{"n1", "eu"}, [2]string{"n2", "us"}, [2]string{"n3", "ap"})
	group := func(id string, replicas ...string) *nodepb.GroupRecord {
		return &nodepb.GroupRecord{GroupId: id, Replicas: replicas, InitialReplicas: replicas}
	}
	tests := []struct {
		name string
		cmd  *nodepb.CatalogCommand
		want nodepb.CatalogCode
	}{
		{"no groups", addGroups("r0"), nodepb.CatalogCode_CATALOG_CODE_INVALID},
		{"unregistered replica", addGroups("r1", group("g001", "n1", "n9")), nodepb.CatalogCode_CATALOG_CODE_INVALID},
		{"replicas differ from initial", addGroups("r2", &nodepb.GroupRecord{GroupId: "g001", Replicas: []string{"n1"}}),
			nodepb.CatalogCode_CATALOG_CODE_INVALID},
		{"an existing id", addGroups("r3", group("g001", "n1"), group("g000", "n2")), nodepb.CatalogCode_CATALOG_CODE_GROUPS_CHANGED},
		{"two new groups", addGroups("r4", group("g001", "n1", "n2", "n3"), group("g002", "n2", "n3", "n1")), nodepb.CatalogCode_CATALOG_CODE_OK},
		{"the same request again", addGroups("r4", group("g003", "n1")), nodepb.CatalogCode_CATALOG_CODE_OK},
		{"laid out from an older catalog", addGroups("r5", group("g002", "n1")), nodepb.CatalogCode_CATALOG_CODE_GROUPS_CHANGED},
	}
	for _, tt := range tests {
		index++
		if got := applyCatalog(t, c, index, tt.cmd); got.Code != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
	if got := c.GroupIDs(); !slices.Equal(got, []string{"g000", "g001", "g002"}) {
		t.Fatalf("groups %v, want g000..g002 (refused commands create nothing)", got)
	}
	if g := c.Group("g002"); g.AddRequestId != "r4" {
		t.Errorf("g002 add_request_id %q, want r4", g.AddRequestId)
	}
}

func TestSetGroupHome(t *testing.T) {
	c, index := catalogWithNodes(t, [2]string{"n1", "eu"}, [2]string{"n2", "us"}, [2]string{"n3", "ap"})
	home := func(region, node string) *nodepb.CatalogCommand {
		return &nodepb.CatalogCommand{Type: nodepb.CatalogCommandType_CATALOG_COMMAND_TYPE_SET_GROUP_HOME,
			Body: &nodepb.CatalogCommand_SetGroupHome{SetGroupHome: &nodepb.SetGroupHome{GroupId: "g000", Region: region, NodeId: node}}}
	}
	apply := func(cmd *nodepb.CatalogCommand) *nodepb.CatalogResult {
		index++
		return applyCatalog(t, c, index, cmd)
	}
	if got := apply(home("eu", "n2")); got.Code != nodepb.CatalogCode_CATALOG_CODE_INVALID {
		t.Fatalf("n2 is in us: %v", got)
	}
	if got := apply(home("us", "n2")); got.Code != nodepb.CatalogCode_CATALOG_CODE_OK {
		t.Fatal(got)
	}
	if g := c.Group("g000"); g.HomeRegion != "us" || !slices.Equal(g.Replicas, []string{"n2", "n1", "n3"}) {
		t.Fatalf("group %v, want home us led by n2", g)
	}
	// An event homed in us on g000 keeps the group there.
	apply(&nodepb.CatalogCommand{Type: nodepb.CatalogCommandType_CATALOG_COMMAND_TYPE_CREATE_EVENT, RequestId: "create",
		Body: &nodepb.CatalogCommand_CreateEvent{CreateEvent: &nodepb.EventRecord{EventId: "ev", HomeRegion: "us",
			Shards: []*nodepb.ShardRecord{{GroupId: "g000"}}}}})
	if got := apply(home("eu", "n1")); got.Code != nodepb.CatalogCode_CATALOG_CODE_HOME_CONFLICT {
		t.Fatalf("homing g000 in eu while ev needs us: %v", got)
	}
	if g := c.Group("g000"); g.HomeRegion != "us" || g.Replicas[0] != "n2" {
		t.Fatalf("a refused SET_GROUP_HOME changed the group: %v", g)
	}
	// Archived, the event no longer holds the group.
	apply(&nodepb.CatalogCommand{Type: nodepb.CatalogCommandType_CATALOG_COMMAND_TYPE_SET_EVENT_STATUS,
		Body: &nodepb.CatalogCommand_SetEventStatus{SetEventStatus: &nodepb.SetEventStatus{EventId: "ev",
			Status: boxofficev1.EventStatus_EVENT_STATUS_ARCHIVED}}})
	if got := apply(home("eu", "n1")); got.Code != nodepb.CatalogCode_CATALOG_CODE_OK {
		t.Fatalf("homing g000 in eu once ev is archived: %v", got)
	}
}
