package node

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"google.golang.org/protobuf/proto"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/cluster"
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

// TestReadCatalogEventShipsOneEvent: a node whose replica of the catalog
// lags checks one event on the meta leader and gets that event only, not
// the catalog with every venue (the first holds of a fresh event on a
// lagging node each did that, dozens at once: a 50-200 ms stall at the
// start of an on-sale); an event nobody created is NOT_FOUND.
func TestReadCatalogEventShipsOneEvent(t *testing.T) {
	skipIfShort(t)
	tc := NewTestCluster(t, 3)
	for _, id := range []string{"ev_a", "ev_b", "ev_c"} {
		tc.createOnSaleEvent(id, 4, 5, 10)
	}
	metaLeader := tc.Leader(cluster.MetaGroupID)
	follower := (metaLeader + 1) % 3
	h := tc.hosts[follower]
	ctx := ctxT(t, 20*time.Second)

	resp, err := (&peerService{host: tc.hosts[metaLeader]}).ReadCatalog(ctx, &nodepb.ReadCatalogRequest{EventId: "ev_b"})
	if err != nil {
		t.Fatal(err)
	}
	if evs := resp.GetCatalog().GetEvents(); len(evs) != 1 || evs[0].EventId != "ev_b" || len(resp.GetCatalog().GetGroups()) != 0 {
		t.Fatalf("ReadCatalog(ev_b) answered %d events, %d groups; want ev_b alone", len(evs), len(resp.GetCatalog().GetGroups()))
	}

	forwards := counterValue(h.metrics.forwards.WithLabelValues("catalog-read"))
	e, err := h.readCatalogEvent(ctx, "ev_c")
	if err != nil || e == nil || e.EventId != "ev_c" || e.Status != boxofficev1.EventStatus_EVENT_STATUS_READY {
		t.Fatalf("readCatalogEvent(ev_c) on a follower = %v, %v; want the ready event", e, err)
	}
	if got := counterValue(h.metrics.forwards.WithLabelValues("catalog-read")) - forwards; got != 1 {
		t.Errorf("the follower forwarded %v catalog reads, want 1 (to the meta leader)", got)
	}
	if e, err := h.readCatalogEvent(ctx, "no_such_event"); err != nil || e != nil {
		t.Errorf("readCatalogEvent of an unknown event = %v, %v; want nil, nil", e, err)
	}
	if _, err := h.event(ctx, "no_such_event"); !errors.Is(err, ErrNotFound) {
		t.Errorf("event(no_such_event) = %v, want ErrNotFound", err)
	}
}

// TestWaitEvent: a caller waiting for an event its replica does not show
// yet is woken by the apply that makes it ready, and one waiting for an
// event that never comes gets what it last saw when its time is up.
func TestWaitEvent(t *testing.T) {
	c := newCatalog()
	applyCatalog(t, c, 1, &nodepb.CatalogCommand{Type: nodepb.CatalogCommandType_CATALOG_COMMAND_TYPE_CREATE_GROUPS,
		Body: &nodepb.CatalogCommand_CreateGroups{CreateGroups: &nodepb.CreateGroups{Groups: []*nodepb.GroupRecord{{GroupId: "g000"}}}}})
	venue := &boxofficev1.Venue{Name: "arena", Sections: []*boxofficev1.Section{{Id: "A", Rows: []*boxofficev1.Row{{Label: "1", SeatCount: 10}}}}}
	ctx := context.Background()

	got := make(chan *nodepb.EventRecord, 1)
	go func() { got <- c.waitEvent(ctx, "ev", 10*time.Second, eventReady) }()
	applyCatalog(t, c, 2, &nodepb.CatalogCommand{Type: nodepb.CatalogCommandType_CATALOG_COMMAND_TYPE_CREATE_EVENT, RequestId: "create-1",
		Body: &nodepb.CatalogCommand_CreateEvent{CreateEvent: &nodepb.EventRecord{EventId: "ev", Name: "show", Venue: venue,
			Shards: []*nodepb.ShardRecord{{Shard: 0, GroupId: "g000", SectionIds: []string{"A"}}}, SeatCount: 10}}})
	select {
	case e := <-got:
		t.Fatalf("waitEvent returned %v before the event was ready", e)
	case <-time.After(20 * time.Millisecond):
	}
	applyCatalog(t, c, 3, &nodepb.CatalogCommand{Type: nodepb.CatalogCommandType_CATALOG_COMMAND_TYPE_SET_EVENT_STATUS, RequestId: "ready-1",
		Body: &nodepb.CatalogCommand_SetEventStatus{SetEventStatus: &nodepb.SetEventStatus{EventId: "ev", Status: boxofficev1.EventStatus_EVENT_STATUS_READY}}})
	select {
	case e := <-got:
		if !eventReady(e) {
			t.Fatalf("waitEvent returned %v, want the ready event", e)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("waitEvent was not woken by the apply that made the event ready")
	}

	began := time.Now()
	if e := c.waitEvent(ctx, "never", 30*time.Millisecond, eventReady); e != nil {
		t.Fatalf("waitEvent of an unknown event = %v", e)
	}
	if waited := time.Since(began); waited < 30*time.Millisecond {
		t.Fatalf("waitEvent of an unknown event returned after %v, before its time", waited)
	}
}
