package node

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/cluster"
	"github.com/boxoffice/boxoffice/node/crossshard"
)

const (
	stale        = boxofficev1.ReadConsistency_READ_CONSISTENCY_STALE
	linearizable = boxofficev1.ReadConsistency_READ_CONSISTENCY_LINEARIZABLE
	viewFull     = boxofficev1.SeatMapView_SEAT_MAP_VIEW_FULL
	viewCompact  = boxofficev1.SeatMapView_SEAT_MAP_VIEW_AVAILABILITY
	viewSummary  = boxofficev1.SeatMapView_SEAT_MAP_VIEW_SUMMARY
)

// compactAgrees fails unless the AVAILABILITY map says, seat by seat, what
// the FULL map says, with the same counts and positions, and no Seat
// messages.
func compactAgrees(t *testing.T, full, compact *boxofficev1.SeatMap) {
	t.Helper()
	if full.Available != compact.Available || full.Held != compact.Held || full.Sold != compact.Sold {
		t.Fatalf("totals: full %d/%d/%d, compact %d/%d/%d", full.Available, full.Held, full.Sold, compact.Available, compact.Held, compact.Sold)
	}
	if !proto.Equal(&boxofficev1.SeatMap{Positions: full.Positions}, &boxofficev1.SeatMap{Positions: compact.Positions}) {
		t.Fatalf("positions: full %v, compact %v", full.Positions, compact.Positions)
	}
	if len(full.Sections) != len(compact.Sections) {
		t.Fatalf("full has %d sections, compact %d", len(full.Sections), len(compact.Sections))
	}
	for i, fs := range full.Sections {
		cs := compact.Sections[i]
		if fs.Id != cs.Id || fs.Name != cs.Name || fs.Shard != cs.Shard || fs.Available != cs.Available || fs.Held != cs.Held || fs.Sold != cs.Sold {
			t.Fatalf("section %d: full %s %d/%d/%d, compact %s %d/%d/%d", i, fs.Id, fs.Available, fs.Held, fs.Sold, cs.Id, cs.Available, cs.Held, cs.Sold)
		}
		if len(fs.Rows) != len(cs.Rows) {
			t.Fatalf("section %s: full has %d rows, compact %d", fs.Id, len(fs.Rows), len(cs.Rows))
		}
		for k, fr := range fs.Rows {
			cr := cs.Rows[k]
			if len(cr.Seats) != 0 || cr.Label != fr.Label || len(cr.States) != len(fr.Seats) {
				t.Fatalf("section %s row %d: compact %q with %d states and %d Seat messages, full %q with %d seats",
					fs.Id, k, cr.Label, len(cr.States), len(cr.Seats), fr.Label, len(fr.Seats))
			}
			for j, seat := range fr.Seats {
				number := cr.FirstSeatNumber + uint32(j)
				id := cs.Id + "-" + cr.Label + "-" + strconv.FormatUint(uint64(number), 10)
				if boxofficev1.SeatState(cr.States[j]) != seat.State || id != seat.SeatId {
					t.Fatalf("seat %s (%v): compact says %s is %v", seat.SeatId, seat.State, id, boxofficev1.SeatState(cr.States[j]))
				}
			}
		}
	}
	if !proto.Equal(&boxofficev1.SeatMap{Pools: full.Pools}, &boxofficev1.SeatMap{Pools: compact.Pools}) {
		t.Fatalf("pools: full %v, compact %v", full.Pools, compact.Pools)
	}
}

// TestCompactSeatMapAgreesWithFull: on a map that clients are busy
// holding, selling and releasing seats of, every view read linearizably
// once the writers stop (and stale on every replica once replicas agree)
// says what the FULL view says; while writers run, reads succeed and their
// counts add up.
func TestCompactSeatMapAgreesWithFull(t *testing.T) {
	skipIfShort(t)
	tc := NewTestCluster(t, 3)
	tc.createOnSaleEvent("busy", 4, 5, 10)
	ctx := ctxT(t, 60*time.Second)

	var wg sync.WaitGroup
	stop := make(chan struct{})
	// Each writer keeps at most 2×12 seats (a third of its holds stay
	// held, a third are sold): 6 writers leave some of the 200 seats
	// available however the reads and writes interleave.
	for w := range 6 {
		wg.Go(func() {
			for n := 0; n < 18; n++ {
				select {
				case <-stop:
					return
				default:
				}
				id := fmt.Sprintf("w%d-%d", w, n)
				h, err := tc.Inventory(n%3).Hold(ctx, &boxofficev1.HoldRequest{RequestId: "h" + id, EventId: "busy", Holder: id,
					Selection: &boxofficev1.HoldRequest_Best{Best: &boxofficev1.BestAvailable{Quantity: 2, SectionId: fmt.Sprintf("S%d", (w+n)%4)}}})
				if err != nil {
					continue // sold out, or busy: either way keep going
				}
				switch n % 3 {
				case 0: // leave it held
				case 1:
					_, _ = tc.Inventory(w%3).Sell(ctx, &boxofficev1.SellRequest{RequestId: "s" + id, EventId: "busy", HoldId: h.HoldId, Holder: id, OrderId: id, Buyer: id})
				case 2:
					_, _ = tc.Inventory(w%3).Release(ctx, &boxofficev1.ReleaseRequest{RequestId: "r" + id, EventId: "busy", HoldId: h.HoldId, Holder: id})
				}
			}
		})
	}
	for i := range 60 {
		for _, view := range []boxofficev1.SeatMapView{viewCompact, viewSummary} {
			m, err := tc.Inventory(i%3).GetSeatMap(ctx, &boxofficev1.GetSeatMapRequest{EventId: "busy", Consistency: stale, View: view,
				SectionIds: []string{fmt.Sprintf("S%d", i%4)}})
			if err != nil {
				t.Fatalf("stale %v read during writes: %v", view, err)
			}
			if s := m.Sections[0]; s.Available+s.Held+s.Sold != 50 {
				t.Fatalf("stale %v read of %s: %d+%d+%d seats, want 50", view, s.Id, s.Available, s.Held, s.Sold)
			}
		}
	}
	close(stop)
	wg.Wait()

	full, err := tc.Inventory(0).GetSeatMap(ctx, &boxofficev1.GetSeatMapRequest{EventId: "busy"})
	if err != nil {
		t.Fatal(err)
	}
	if full.Held == 0 || full.Sold == 0 || full.Available == 0 {
		t.Fatalf("the map is not busy enough to test anything: %d available, %d held, %d sold", full.Available, full.Held, full.Sold)
	}
	for i := range 3 {
		compact, err := tc.Inventory(i).GetSeatMap(ctx, &boxofficev1.GetSeatMapRequest{EventId: "busy", Consistency: linearizable, View: viewCompact})
		if err != nil {
			t.Fatal(err)
		}
		compactAgrees(t, full, compact)
	}
	tc.replicasEqual()
	for i := range 3 {
		for _, sections := range [][]string{nil, {"S2"}, {"S3", "S0"}} {
			req := &boxofficev1.GetSeatMapRequest{EventId: "busy", Consistency: stale, SectionIds: sections}
			want, err := tc.Inventory(i).GetSeatMap(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			req.View = viewCompact
			got, err := tc.Inventory(i).GetSeatMap(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			compactAgrees(t, want, got)
			// SUMMARY is summary_only under its new name.
			req.View = viewSummary
			summary, err := tc.Inventory(i).GetSeatMap(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			old, err := tc.Inventory(i).GetSeatMap(ctx, &boxofficev1.GetSeatMapRequest{EventId: "busy", Consistency: stale, SectionIds: sections, SummaryOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			if !proto.Equal(summary, old) {
				t.Fatalf("node %d sections %v: view SUMMARY %v differs from summary_only %v", i+1, sections, summary, old)
			}
			for _, s := range summary.Sections {
				if len(s.Rows) != 0 {
					t.Fatalf("a summary carries the rows of %s", s.Id)
				}
			}
		}
	}
}

// TestSeatMapRefusesBadInput: an unknown view or consistency, a view that
// contradicts summary_only, and an unknown section or event are refused
// with the status a caller can act on, and nothing changes.
func TestSeatMapRefusesBadInput(t *testing.T) {
	skipIfShort(t)
	tc := NewTestCluster(t, 3)
	tc.createOnSaleEvent("ev", 2, 2, 4)
	ctx := ctxT(t, 30*time.Second)
	if _, err := tc.Inventory(0).Hold(ctx, &boxofficev1.HoldRequest{RequestId: "h1", EventId: "ev", Holder: "a",
		Selection: &boxofficev1.HoldRequest_Seats{Seats: &boxofficev1.SeatList{SeatIds: []string{"S0-R1-1"}}}}); err != nil {
		t.Fatal(err)
	}
	before, err := tc.Inventory(0).GetSeatMap(ctx, &boxofficev1.GetSeatMapRequest{EventId: "ev"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		req  *boxofficev1.GetSeatMapRequest
		code codes.Code
	}{
		{"unknown view", &boxofficev1.GetSeatMapRequest{EventId: "ev", View: 9}, codes.InvalidArgument},
		{"unknown view, one section", &boxofficev1.GetSeatMapRequest{EventId: "ev", View: 9, SectionIds: []string{"S0"}}, codes.InvalidArgument},
		{"summary_only with AVAILABILITY", &boxofficev1.GetSeatMapRequest{EventId: "ev", View: viewCompact, SummaryOnly: true}, codes.InvalidArgument},
		{"summary_only with FULL", &boxofficev1.GetSeatMapRequest{EventId: "ev", View: viewFull, SummaryOnly: true}, codes.InvalidArgument},
		{"unknown consistency", &boxofficev1.GetSeatMapRequest{EventId: "ev", View: viewCompact, Consistency: 7}, codes.InvalidArgument},
		{"unknown section", &boxofficev1.GetSeatMapRequest{EventId: "ev", View: viewCompact, SectionIds: []string{"S9"}}, codes.NotFound},
		{"unknown section among known", &boxofficev1.GetSeatMapRequest{EventId: "ev", View: viewCompact, SectionIds: []string{"S0", "S9"}}, codes.NotFound},
		{"unknown event", &boxofficev1.GetSeatMapRequest{EventId: "nope", View: viewCompact, Consistency: stale}, codes.NotFound},
		{"no event", &boxofficev1.GetSeatMapRequest{View: viewCompact}, codes.InvalidArgument},
	} {
		for i := range 3 {
			_, err := tc.Inventory(i).GetSeatMap(ctx, c.req)
			if status.Code(err) != c.code {
				t.Fatalf("%s on node %d: got %v, want %v", c.name, i+1, err, c.code)
			}
		}
	}
	if _, err := tc.Inventory(1).GetHold(ctx, &boxofficev1.GetHoldRequest{EventId: "ev", HoldId: "x", Consistency: 5}); status.Code(err) != codes.InvalidArgument {
		t.Fatalf("GetHold with an unknown consistency: got %v, want InvalidArgument", err)
	}
	after, err := tc.Inventory(0).GetSeatMap(ctx, &boxofficev1.GetSeatMapRequest{EventId: "ev"})
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(before, after) {
		t.Fatalf("refused reads changed the map:\nbefore %v\nafter  %v", before, after)
	}
}

// TestVerifyGateSharesRounds: reads waiting on the gate share leadership
// checks, a read never joins a check that started before it arrived, and
// every read gets its round's answer.
func TestVerifyGateSharesRounds(t *testing.T) {
	var gate verifyGate
	var mu sync.Mutex
	checks := 0
	release := make(chan struct{})
	check := func() error {
		mu.Lock()
		checks++
		n := checks
		mu.Unlock()
		if n == 1 {
			<-release // hold the first round open while more reads arrive
		}
		return nil
	}
	ctx := context.Background()
	first := make(chan error, 1)
	go func() { first <- gate.wait(ctx, check) }()
	WaitFor(t, 5*time.Second, "the first round to start", func() bool { mu.Lock(); defer mu.Unlock(); return checks == 1 })
	const readers = 50
	errs := make(chan error, readers)
	for range readers {
		go func() { errs <- gate.wait(ctx, check) }()
	}
	// The 50 reads arrived during round 1: they must wait for round 2.
	WaitFor(t, 5*time.Second, "the reads to queue", func() bool {
		gate.mu.Lock()
		defer gate.mu.Unlock()
		return gate.next != nil && gate.next.readers == readers
	})
	select {
	case err := <-errs:
		t.Fatalf("a read that arrived during a running check returned before the next one (%v)", err)
	default:
	}
	close(release)
	for range readers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	// Round 1 for the first read; the 50 others all joined round 2
	// before round 1 ended.
	if checks != 2 {
		t.Fatalf("%d checks for %d reads that arrived together: they were not shared", checks, readers+1)
	}
}

// BenchmarkSeatMapRead measures one GetSeatMap of a 1,000-seat section
// over real gRPC on loopback, in each view, STALE on any node and
// LINEARIZABLE on the shard leader, with parallel readers (3 nodes, the
// benchmark and its clients in one process):
//
//	go test -run '^$' -bench SeatMapRead -benchtime 20000x ./node/
func BenchmarkSeatMapRead(b *testing.B) {
	tc := newBenchCluster(b)
	if _, err := tc.Inventory(0).CreateEvent(context.Background(), &boxofficev1.CreateEventRequest{RequestId: "create-reads",
		EventId: "reads", Name: "reads", Venue: cluster.OnSaleVenue(4, 25, 40)}); err != nil {
		b.Fatal(err)
	}
	e := tc.eventRecord(0, "reads")
	leader := tc.Leader(crossshard.ShardOfSection(e, "S0").GroupId)
	for _, consistency := range []boxofficev1.ReadConsistency{stale, linearizable} {
		for _, view := range []boxofficev1.SeatMapView{viewFull, viewCompact, viewSummary} {
			b.Run(fmt.Sprintf("%s/%s", consistencyName(consistency), viewName(view)), func(b *testing.B) {
				b.SetParallelism(8)
				b.ReportAllocs()
				b.RunParallel(func(pb *testing.PB) {
					req := &boxofficev1.GetSeatMapRequest{EventId: "reads", Consistency: consistency, View: view, SectionIds: []string{"S0"}}
					for n := 0; pb.Next(); n++ {
						inv := tc.Inventory(n % 3)
						if consistency == linearizable {
							inv = tc.Inventory(leader)
						}
						if _, err := inv.GetSeatMap(context.Background(), req); err != nil {
							b.Error(err)
							return
						}
					}
				})
			})
		}
	}
}

func consistencyName(c boxofficev1.ReadConsistency) string {
	if c == stale {
		return "stale"
	}
	return "linearizable"
}

func viewName(v boxofficev1.SeatMapView) string {
	switch v {
	case viewCompact:
		return "availability"
	case viewSummary:
		return "summary"
	}
	return "full"
}
