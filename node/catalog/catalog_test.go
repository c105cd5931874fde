package catalog

import (
	"bytes"
	"context"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"google.golang.org/protobuf/proto"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/node/nodepb"
)

func applyCatalog(t *testing.T, c *Catalog, index uint64, cmd *nodepb.CatalogCommand) *nodepb.CatalogResult {
	t.Helper()
	data, err := proto.Marshal(cmd)
	if err != nil {
		t.Fatal(err)
	}
	return c.Apply(&raft.Log{Index: index, Type: raft.LogCommand, Data: data}).(*nodepb.CatalogResult)
}

// A node keeps one decoded copy of each venue, however many results,
// remembered answers and status changes refer to the event — a million-seat
// venue is megabytes of messages — and a retried CreateEvent still answers
// with the venue, also after a snapshot restore.
func TestCatalogSharesOneVenuePerEvent(t *testing.T) {
	c := New(nil)
	applyCatalog(t, c, 1, &nodepb.CatalogCommand{Type: nodepb.CatalogCommandType_CATALOG_COMMAND_TYPE_CREATE_GROUPS,
		Body: &nodepb.CatalogCommand_CreateGroups{CreateGroups: &nodepb.CreateGroups{Groups: []*nodepb.GroupRecord{{GroupId: "g000"}}}}})
	venue := &boxofficev1.Venue{Name: "arena", Sections: []*boxofficev1.Section{{Id: "A", Rows: []*boxofficev1.Row{{Label: "1", SeatCount: 10}}}}}
	create := &nodepb.CatalogCommand{Type: nodepb.CatalogCommandType_CATALOG_COMMAND_TYPE_CREATE_EVENT, RequestId: "create-1",
		Body: &nodepb.CatalogCommand_CreateEvent{CreateEvent: &nodepb.EventRecord{EventId: "ev", Name: "show", Venue: venue,
			Shards: []*nodepb.ShardRecord{{Shard: 0, GroupId: "g000", SectionIds: []string{"A"}}}, SeatCount: 10}}}
	created := applyCatalog(t, c, 2, create)
	if created.Code != nodepb.CatalogCode_CATALOG_CODE_OK {
		t.Fatalf("create: %v", created)
	}
	ready := applyCatalog(t, c, 3, &nodepb.CatalogCommand{Type: nodepb.CatalogCommandType_CATALOG_COMMAND_TYPE_SET_EVENT_STATUS, RequestId: "ready-1",
		Body: &nodepb.CatalogCommand_SetEventStatus{SetEventStatus: &nodepb.SetEventStatus{EventId: "ev", Status: boxofficev1.EventStatus_EVENT_STATUS_READY}}})
	retried := applyCatalog(t, c, 4, create)

	check := func(c *Catalog, when string) {
		t.Helper()
		ev := c.Event("ev")
		if ev.Status != boxofficev1.EventStatus_EVENT_STATUS_READY || !proto.Equal(ev.Venue, venue) || ev.CreatedAtUnixMs != 0 || ev.CreateRequestId != "create-1" {
			t.Fatalf("%s: event %v", when, ev)
		}
		for id, d := range c.dedup {
			if got := d.GetResult().GetEvent(); got != nil && got.Venue != ev.Venue {
				t.Errorf("%s: remembered result of %s holds its own copy of the venue", when, id)
			}
		}
	}
	check(c, "applied")
	for name, r := range map[string]*nodepb.CatalogResult{"create": created, "ready": ready, "retried create": retried} {
		if r.Event.Venue != c.Event("ev").Venue {
			t.Errorf("%s: result holds its own copy of the venue", name)
		}
		if !proto.Equal(r.Event.Venue, venue) || r.Event.EventId != "ev" || len(r.Event.Shards) != 1 {
			t.Errorf("%s: result event %v", name, r.Event)
		}
	}
	if retried.Code != nodepb.CatalogCode_CATALOG_CODE_OK || retried.Event.Status != boxofficev1.EventStatus_EVENT_STATUS_CREATING {
		t.Errorf("retried create answered %v, want the first answer", retried)
	}
	// A caller's result is its own message: changing it changes nothing stored.
	retried.Code = nodepb.CatalogCode_CATALOG_CODE_INVALID
	if again := applyCatalog(t, c, 5, create); again.Code != nodepb.CatalogCode_CATALOG_CODE_OK {
		t.Errorf("a caller's change to its result reached the remembered answer: %v", again)
	}

	snap, err := c.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	sink := &bufferSink{}
	if err := snap.Persist(sink); err != nil {
		t.Fatal(err)
	}
	restored := New(nil)
	if err := restored.Restore(io.NopCloser(bytes.NewReader(sink.Bytes()))); err != nil {
		t.Fatal(err)
	}
	check(restored, "restored")
	if r := applyCatalog(t, restored, 6, create); r.Code != nodepb.CatalogCode_CATALOG_CODE_OK || !proto.Equal(r.Event.Venue, venue) {
		t.Errorf("retried create after restore answered %v", r)
	}
}

type bufferSink struct{ bytes.Buffer }

func (s *bufferSink) ID() string    { return "test" }
func (s *bufferSink) Cancel() error { return nil }
func (s *bufferSink) Close() error  { return nil }

// TestWaitEvent: a caller waiting for an event its replica does not show
// yet is woken by the apply that makes it ready, and one waiting for an
// event that never comes gets what it last saw when its time is up.
func TestWaitEvent(t *testing.T) {
	eventReady := func(e *nodepb.EventRecord) bool { return e.GetStatus() == boxofficev1.EventStatus_EVENT_STATUS_READY }
	c := New(nil)
	applyCatalog(t, c, 1, &nodepb.CatalogCommand{Type: nodepb.CatalogCommandType_CATALOG_COMMAND_TYPE_CREATE_GROUPS,
		Body: &nodepb.CatalogCommand_CreateGroups{CreateGroups: &nodepb.CreateGroups{Groups: []*nodepb.GroupRecord{{GroupId: "g000"}}}}})
	venue := &boxofficev1.Venue{Name: "arena", Sections: []*boxofficev1.Section{{Id: "A", Rows: []*boxofficev1.Row{{Label: "1", SeatCount: 10}}}}}
	ctx := context.Background()

	got := make(chan *nodepb.EventRecord, 1)
	go func() { got <- c.WaitEvent(ctx, "ev", 10*time.Second, eventReady) }()
	applyCatalog(t, c, 2, &nodepb.CatalogCommand{Type: nodepb.CatalogCommandType_CATALOG_COMMAND_TYPE_CREATE_EVENT, RequestId: "create-1",
		Body: &nodepb.CatalogCommand_CreateEvent{CreateEvent: &nodepb.EventRecord{EventId: "ev", Name: "show", Venue: venue,
			Shards: []*nodepb.ShardRecord{{Shard: 0, GroupId: "g000", SectionIds: []string{"A"}}}, SeatCount: 10}}})
	select {
	case e := <-got:
		t.Fatalf("WaitEvent returned %v before the event was ready", e)
	case <-time.After(20 * time.Millisecond):
	}
	applyCatalog(t, c, 3, &nodepb.CatalogCommand{Type: nodepb.CatalogCommandType_CATALOG_COMMAND_TYPE_SET_EVENT_STATUS, RequestId: "ready-1",
		Body: &nodepb.CatalogCommand_SetEventStatus{SetEventStatus: &nodepb.SetEventStatus{EventId: "ev", Status: boxofficev1.EventStatus_EVENT_STATUS_READY}}})
	select {
	case e := <-got:
		if !eventReady(e) {
			t.Fatalf("WaitEvent returned %v, want the ready event", e)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("WaitEvent was not woken by the apply that made the event ready")
	}

	began := time.Now()
	if e := c.WaitEvent(ctx, "never", 30*time.Millisecond, eventReady); e != nil {
		t.Fatalf("WaitEvent of an unknown event = %v", e)
	}
	if waited := time.Since(began); waited < 30*time.Millisecond {
		t.Fatalf("WaitEvent of an unknown event returned after %v, before its time", waited)
	}
}

// Draining is a mark on a node record: idempotent, kept when the node
// registers again, refused for the last node not draining; and a group's
// preferred leader moves to the front of its replicas, keeping the rest.
func TestCatalogDrainAndPreferredLeader(t *testing.T) {
	c := New(nil)
	index := uint64(0)
	apply := func(cmd *nodepb.CatalogCommand) *nodepb.CatalogResult {
		index++
		return applyCatalog(t, c, index, cmd)
	}
	register := func(id, addr string) {
		if r := apply(&nodepb.CatalogCommand{Type: nodepb.CatalogCommandType_CATALOG_COMMAND_TYPE_REGISTER_NODE,
			Body: &nodepb.CatalogCommand_RegisterNode{RegisterNode: &nodepb.NodeRecord{NodeId: id, PeerAddr: addr}}}); r.Code != nodepb.CatalogCode_CATALOG_CODE_OK {
			t.Fatalf("register %s: %v", id, r)
		}
	}
	drain := func(id string, draining bool) *nodepb.CatalogResult {
		return apply(&nodepb.CatalogCommand{Type: nodepb.CatalogCommandType_CATALOG_COMMAND_TYPE_SET_NODE_DRAINING,
			Body: &nodepb.CatalogCommand_SetNodeDraining{SetNodeDraining: &nodepb.SetNodeDraining{NodeId: id, Draining: draining}}})
	}
	prefer := func(group, id string) *nodepb.CatalogResult {
		return apply(&nodepb.CatalogCommand{Type: nodepb.CatalogCommandType_CATALOG_COMMAND_TYPE_SET_PREFERRED_LEADER,
			Body: &nodepb.CatalogCommand_SetPreferredLeader{SetPreferredLeader: &nodepb.SetPreferredLeader{GroupId: group, NodeId: id}}})
	}
	register("n1", "a1")
	register("n2", "a2")
	apply(&nodepb.CatalogCommand{Type: nodepb.CatalogCommandType_CATALOG_COMMAND_TYPE_CREATE_GROUPS,
		Body: &nodepb.CatalogCommand_CreateGroups{CreateGroups: &nodepb.CreateGroups{Groups: []*nodepb.GroupRecord{
			{GroupId: "g000", Replicas: []string{"n1", "n2", "n3"}}}}}})

	for range 2 { // twice: the same answer, the same state
		if r := drain("n1", true); r.Code != nodepb.CatalogCode_CATALOG_CODE_OK || !c.Node("n1").Draining {
			t.Fatalf("drain n1: %v, record %v", r, c.Node("n1"))
		}
	}
	register("n1", "a1-new")
	if n := c.Node("n1"); !n.Draining || n.PeerAddr != "a1-new" {
		t.Fatalf("n1 registered again: %v, want draining with the new address", n)
	}
	if r := drain("n2", true); r.Code != nodepb.CatalogCode_CATALOG_CODE_DRAINING || c.Node("n2").Draining {
		t.Fatalf("drain of the last node not draining: %v, n2 %v", r, c.Node("n2"))
	}
	if r := drain("n9", true); r.Code != nodepb.CatalogCode_CATALOG_CODE_NOT_FOUND || c.Node("n9") != nil {
		t.Fatalf("drain of an unknown node: %v", r)
	}
	if r := drain("n1", false); r.Code != nodepb.CatalogCode_CATALOG_CODE_OK || c.Node("n1").Draining {
		t.Fatalf("undrain n1: %v, record %v", r, c.Node("n1"))
	}

	if r := prefer("g000", "n3"); r.Code != nodepb.CatalogCode_CATALOG_CODE_OK {
		t.Fatalf("prefer n3: %v", r)
	}
	if got := c.Group("g000").Replicas; !slices.Equal(got, []string{"n3", "n1", "n2"}) {
		t.Fatalf("replicas after preferring n3: %v", got)
	}
	for _, bad := range []struct {
		group, node string
		code        nodepb.CatalogCode
	}{{"g000", "n9", nodepb.CatalogCode_CATALOG_CODE_INVALID}, {"g999", "n1", nodepb.CatalogCode_CATALOG_CODE_NOT_FOUND}} {
		if r := prefer(bad.group, bad.node); r.Code != bad.code {
			t.Fatalf("prefer %s in %s: %v, want %v", bad.node, bad.group, r, bad.code)
		}
	}
	if got := c.Group("g000").Replicas; !slices.Equal(got, []string{"n3", "n1", "n2"}) {
		t.Fatalf("replicas after refused changes: %v", got)
	}
}
