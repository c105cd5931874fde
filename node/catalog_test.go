package node

import (
	"bytes"
	"io"
	"testing"

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
	c := newCatalog()
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
	restored := newCatalog()
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
