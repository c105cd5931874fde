package node

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/cluster"
)

func wantRefusal(t *testing.T, what string, err error, code codes.Code, reason string) {
	t.Helper()
	if status.Code(err) != code || reasonOf(err) != reason {
		t.Fatalf("%s: %v, want %v %s", what, err, code, reason)
	}
}

// TestEventBudgetRefusesCreateEvent: CreateEvent past the cluster's budget
// of live events, or of their seats, is refused RESOURCE_EXHAUSTED
// EVENT_BUDGET_EXCEEDED and creates nothing; archiving an event gives its
// share back.
func TestEventBudgetRefusesCreateEvent(t *testing.T) {
	skipIfShort(t)
	tc := NewTestCluster(t, 1, func(i int, c *Config) { c.EventsMax, c.SeatsMax = 2, 40 })
	ctx := ctxT(t, 30*time.Second)
	create := func(requestID, id string, venue *boxofficev1.Venue) error {
		_, err := tc.Inventory(0).CreateEvent(ctx, &boxofficev1.CreateEventRequest{RequestId: requestID, EventId: id, Name: id, Venue: venue})
		return err
	}
	small := cluster.OnSaleVenue(2, 2, 4) // 16 seats
	for _, id := range []string{"ev1", "ev2"} {
		if err := create("c-"+id, id, small); err != nil {
			t.Fatal(err)
		}
	}
	wantRefusal(t, "a third event", create("c-ev3", "ev3", small), codes.ResourceExhausted, ReasonEventBudget)
	if _, err := tc.Inventory(0).GetEvent(ctx, &boxofficev1.GetEventRequest{EventId: "ev3"}); status.Code(err) != codes.NotFound {
		t.Fatalf("the refused event exists: %v", err)
	}
	if _, err := tc.Inventory(0).DeleteEvent(ctx, &boxofficev1.DeleteEventRequest{RequestId: "d-ev1", EventId: "ev1"}); err != nil {
		t.Fatal(err)
	}
	// ev1's share is back: 16 + 32 seats would pass 40, 16 + 16 do not.
	wantRefusal(t, "seats past the budget", create("c-ev3-large", "ev3", cluster.OnSaleVenue(2, 2, 8)), codes.ResourceExhausted, ReasonEventBudget)
	if err := create("c-ev3-small", "ev3", small); err != nil {
		t.Fatal(err)
	}
	if events, seats := tc.hosts[0].catalog.Live(); events != 2 || seats != 32 {
		t.Fatalf("live: %d events, %d seats; want 2, 32", events, seats)
	}

	// The fill gauges an operator alerts on.
	resp, err := http.Get("http://" + tc.hosts[0].HTTPAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, line := range []string{
		"boxoffice_catalog_events_live 2", "boxoffice_catalog_events_max 2",
		"boxoffice_catalog_seats_live 32", "boxoffice_catalog_seats_max 40",
		`boxoffice_store_fill{group="g000",table="shards"} 2`, // ev2 and ev3; ev1's is dropped
		`boxoffice_store_fill_max{group="g000",table="records"} 1e+06`,
		`boxoffice_store_fill{group="g000",table="dedup_entries"}`,
		`boxoffice_store_fill{group="g000",table="record_bytes"} 0`,
	} {
		if !strings.Contains(string(body), line) {
			t.Errorf("/metrics lacks %q", line)
		}
	}
}

// TestDeleteEventLifecycle: DeleteEvent is refused while the event has an
// active hold (nothing changes); once the hold is sold it archives the
// event: GetEvent shows it ARCHIVED, ListEvents hides it unless asked,
// every replica's state machine has dropped its shards, every later call
// on its seats is refused EVENT_ARCHIVED, a retry answers the same, and
// all of it survives snapshots and a restart of every node.
func TestDeleteEventLifecycle(t *testing.T) {
	skipIfShort(t)
	tc := NewTestCluster(t, 3)
	tc.createOnSaleEvent("ev", 2, 2, 10) // spread over every group
	ctx := ctxT(t, 60*time.Second)
	inv := tc.Inventory(1)
	held, err := inv.Hold(ctx, &boxofficev1.HoldRequest{RequestId: "h1", EventId: "ev", Holder: "fan",
		Selection: &boxofficev1.HoldRequest_Best{Best: &boxofficev1.BestAvailable{Quantity: 2, SectionId: "S1"}}})
	if err != nil {
		t.Fatal(err)
	}
	deleteEvent := func(requestID string) (*boxofficev1.DeleteEventResponse, error) {
		return inv.DeleteEvent(ctx, &boxofficev1.DeleteEventRequest{RequestId: requestID, EventId: "ev"})
	}
	_, err = deleteEvent("d1")
	wantRefusal(t, "DeleteEvent with an active hold", err, codes.FailedPrecondition, ReasonEventHasHolds)
	if e, err := inv.GetEvent(ctx, &boxofficev1.GetEventRequest{EventId: "ev"}); err != nil || e.Status != boxofficev1.EventStatus_EVENT_STATUS_READY {
		t.Fatalf("after the refusal: %v %v, want READY", e.GetStatus(), err)
	}
	sold, err := inv.Sell(ctx, &boxofficev1.SellRequest{RequestId: "s1", EventId: "ev", HoldId: held.HoldId, Holder: "fan", OrderId: "o1", Buyer: "fan"})
	if err != nil {
		t.Fatalf("the hold was not usable after the refused delete: %v", err)
	}

	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	watch, err := tc.Inventory(2).Watch(watchCtx, &boxofficev1.WatchRequest{EventId: "ev"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := watch.Header(); err != nil {
		t.Fatal(err)
	}

	resp, err := deleteEvent("d2")
	if err != nil {
		t.Fatal(err)
	}
	if resp.Event.Status != boxofficev1.EventStatus_EVENT_STATUS_ARCHIVED {
		t.Fatalf("DeleteEvent answered %v, want ARCHIVED", resp.Event.Status)
	}
	if again, err := deleteEvent("d2"); err != nil || again.Event.Status != boxofficev1.EventStatus_EVENT_STATUS_ARCHIVED {
		t.Fatalf("retry: %v %v", again, err)
	}

	checkArchived := func(when string) {
		t.Helper()
		for i := range tc.hosts {
			WaitFor(t, 10*time.Second, "node's catalog shows ev archived", func() bool {
				e := tc.hosts[i].catalog.Event("ev")
				return e != nil && e.Status == boxofficev1.EventStatus_EVENT_STATUS_ARCHIVED
			})
			WaitFor(t, 10*time.Second, "every replica dropped ev's shards", func() bool {
				for _, g := range tc.hosts[i].groupList() {
					if g.store == nil {
						continue
					}
					for _, sh := range g.store.Shards() {
						if sh.EventID == "ev" {
							return false
						}
					}
				}
				return true
			})
			if events, _ := tc.hosts[i].catalog.Live(); events != 0 {
				t.Fatalf("%s: node %d counts %d live events", when, i+1, events)
			}
		}
		e, err := tc.Inventory(0).GetEvent(ctx, &boxofficev1.GetEventRequest{EventId: "ev"})
		if err != nil || e.Status != boxofficev1.EventStatus_EVENT_STATUS_ARCHIVED || e.Venue != nil {
			t.Fatalf("%s: GetEvent = %v %v, want ARCHIVED without venue", when, e.GetStatus(), err)
		}
		list, err := tc.Inventory(0).ListEvents(ctx, &boxofficev1.ListEventsRequest{})
		if err != nil || len(list.Events) != 0 {
			t.Fatalf("%s: ListEvents lists %d events (%v), want none", when, len(list.GetEvents()), err)
		}
		list, err = tc.Inventory(0).ListEvents(ctx, &boxofficev1.ListEventsRequest{IncludeArchived: true})
		if err != nil || len(list.Events) != 1 {
			t.Fatalf("%s: ListEvents include_archived lists %d events (%v), want 1", when, len(list.GetEvents()), err)
		}
		calls := map[string]error{}
		_, calls["Hold"] = tc.Inventory(2).Hold(ctx, &boxofficev1.HoldRequest{RequestId: "h2", EventId: "ev", Holder: "fan",
			Selection: &boxofficev1.HoldRequest_Best{Best: &boxofficev1.BestAvailable{Quantity: 1}}})
		_, calls["Sell"] = tc.Inventory(2).Sell(ctx, &boxofficev1.SellRequest{RequestId: "s2", EventId: "ev", HoldId: held.HoldId, Holder: "fan", OrderId: "o2", Buyer: "fan"})
		_, calls["Release"] = tc.Inventory(2).Release(ctx, &boxofficev1.ReleaseRequest{RequestId: "r2", EventId: "ev", HoldId: held.HoldId, Holder: "fan"})
		_, calls["Refund"] = tc.Inventory(2).Refund(ctx, &boxofficev1.RefundRequest{RequestId: "f2", EventId: "ev", OrderId: sold.OrderId, TicketIds: soldTicketIDs(sold.Tickets)})
		_, calls["GetSeatMap"] = tc.Inventory(2).GetSeatMap(ctx, &boxofficev1.GetSeatMapRequest{EventId: "ev"})
		for name, err := range calls {
			wantRefusal(t, when+": "+name+" of an archived event", err, codes.FailedPrecondition, ReasonEventArchived)
		}
	}
	checkArchived("archived")
	for {
		if _, err = watch.Recv(); err != nil {
			break
		}
	}
	wantRefusal(t, "a Watch open when the event was archived", err, codes.FailedPrecondition, ReasonEventArchived)

	// Snapshot every group of every node, then restart them all: the
	// archive is in the snapshots and the log.
	for _, h := range tc.hosts {
		for _, g := range h.groupList() {
			if err := g.raft.Snapshot().Error(); err != nil && !errors.Is(err, raft.ErrNothingNewToSnapshot) {
				t.Fatalf("snapshot of %s on %s: %v", g.id, h.NodeID(), err)
			}
		}
	}
	tc.StopAll()
	for i := range tc.hosts {
		tc.Start(i)
	}
	tc.WaitReady()
	checkArchived("after snapshots and restart")
}

// TestDeleteEventFreesMemory: archiving a large event gives its memory
// back: the seat state of its shards, the seat-map views built for reads,
// and the venue in the catalog and in its remembered results.
func TestDeleteEventFreesMemory(t *testing.T) {
	skipIfShort(t)
	tc := NewTestCluster(t, 1)
	ctx := ctxT(t, 60*time.Second)
	h := tc.hosts[0]
	base := heapInUse()
	if _, err := tc.Inventory(0).CreateEvent(ctx, &boxofficev1.CreateEventRequest{RequestId: "c-big", EventId: "big", Name: "big",
		Venue: cluster.OnSaleVenue(20, 50, 500)}); err != nil { // 500,000 seats
		t.Fatal(err)
	}
	if _, err := tc.Inventory(0).GetSeatMap(ctx, &boxofficev1.GetSeatMapRequest{EventId: "big",
		View: boxofficev1.SeatMapView_SEAT_MAP_VIEW_AVAILABILITY, Consistency: boxofficev1.ReadConsistency_READ_CONSISTENCY_STALE}); err != nil {
		t.Fatal(err)
	}
	created := heapInUse()
	if _, err := tc.Inventory(0).DeleteEvent(ctx, &boxofficev1.DeleteEventRequest{RequestId: "d-big", EventId: "big"}); err != nil {
		t.Fatal(err)
	}
	WaitFor(t, 10*time.Second, "the seat-map views of the archived shards pruned", func() bool {
		n := 0
		for _, g := range h.groupList() {
			if g.store != nil {
				g.seatViews.entries.Range(func(any, any) bool { n++; return true })
			}
		}
		return n == 0
	})
	archived := heapInUse()
	mib := func(b uint64) float64 { return float64(b) / (1 << 20) }
	t.Logf("heap: %.1f MiB before, %.1f with the event, %.1f after DeleteEvent", mib(base), mib(created), mib(archived))
	if grown := int64(created) - int64(base); grown < 4<<20 {
		t.Fatalf("the event took only %d bytes: the test measures nothing", grown)
	}
	if kept := int64(archived) - int64(base); kept > (int64(created)-int64(base))/4 {
		t.Errorf("after DeleteEvent the heap keeps %.1f of the event's %.1f MiB", float64(kept)/(1<<20), mib(created-base))
	}
}
