package checkout

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// fakeViewInventory is one event of one shard with one row of three
// seats: GetSeatMap answers the seats' states at position, optionally
// waiting on gate first; each Watch is fed from the test's channel.
type fakeViewInventory struct {
	Inventory
	mu       sync.Mutex
	position uint64
	states   [3]boxofficev1.SeatState
	gate     chan struct{} // non-nil: GetSeatMap waits for it
	reads    int
	feed     chan watchItem
	requests chan *boxofficev1.WatchRequest
}

type watchItem struct {
	resp *boxofficev1.WatchResponse
	err  error
}

func newFakeViewInventory() *fakeViewInventory {
	return &fakeViewInventory{position: 10, states: [3]boxofficev1.SeatState{1, 1, 1},
		feed: make(chan watchItem), requests: make(chan *boxofficev1.WatchRequest, 10)}
}

func (f *fakeViewInventory) GetEvent(ctx context.Context, req *boxofficev1.GetEventRequest) (*boxofficev1.Event, error) {
	return &boxofficev1.Event{EventId: req.GetEventId(), Venue: &boxofficev1.Venue{PriceTiers: []*boxofficev1.PriceTier{{Id: "STD", PriceCents: 100, Currency: "EUR"}}}}, nil
}

func (f *fakeViewInventory) GetSeatMap(ctx context.Context, req *boxofficev1.GetSeatMapRequest) (*boxofficev1.SeatMap, error) {
	f.mu.Lock()
	gate := f.gate
	f.reads++
	f.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	sec := &boxofficev1.SectionState{Id: "A", Name: "Stalls", Shard: 0}
	row := &boxofficev1.RowState{Label: "A"}
	for i, st := range f.states {
		row.Seats = append(row.Seats, &boxofficev1.Seat{SeatId: "A-A-" + string(rune('1'+i)), Number: uint32(i + 1), PriceTier: "STD", State: st})
		switch st {
		case boxofficev1.SeatState_SEAT_STATE_AVAILABLE:
			sec.Available++
		case boxofficev1.SeatState_SEAT_STATE_HELD:
			sec.Held++
		case boxofficev1.SeatState_SEAT_STATE_SOLD:
			sec.Sold++
		}
	}
	if !req.GetSummaryOnly() {
		sec.Rows = []*boxofficev1.RowState{row}
	}
	return &boxofficev1.SeatMap{EventId: req.GetEventId(), Sections: []*boxofficev1.SectionState{sec},
		Positions: []*boxofficev1.ShardPosition{{Shard: 0, Sequence: f.position}},
		Available: sec.Available, Held: sec.Held, Sold: sec.Sold}, nil
}

func (f *fakeViewInventory) Watch(ctx context.Context, req *boxofficev1.WatchRequest) (boxofficev1.Inventory_WatchClient, error) {
	f.requests <- req
	return &fakeViewStream{ctx: ctx, feed: f.feed}, nil
}

type fakeViewStream struct {
	grpc.ClientStream
	ctx  context.Context
	feed chan watchItem
}

func (s *fakeViewStream) Recv() (*boxofficev1.WatchResponse, error) {
	select {
	case it := <-s.feed:
		return it.resp, it.err
	case <-s.ctx.Done():
		return nil, status.FromContextError(s.ctx.Err()).Err()
	}
}

func seatChange(seq uint64, seat string, state boxofficev1.SeatState) watchItem {
	return watchItem{resp: &boxofficev1.WatchResponse{Changes: []*boxofficev1.SeatChange{{Shard: 0, Sequence: seq, SeatId: seat, State: state}}}}
}

// waitView waits until the view's full body contains want.
func waitView(t *testing.T, v *seatMapCache, want string) *seatSnapshot {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		s := v.snap.Load()
		if bytes.Contains(s.full.bytes(), []byte(want)) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("the view never showed %s: %s", want, s.full.bytes())
		}
		time.Sleep(time.Millisecond) // poll interval
	}
}

// TestSeatMapViewResyncsOnOutOfRange: when the cluster's change log no
// longer holds the view's position, the view reads the map afresh (the
// changes in between are lost to the feed, not to the view), while it
// goes on answering its last body at once, saying its age; then it
// follows the Watch from the fresh map's position.
func TestSeatMapViewResyncsOnOutOfRange(t *testing.T) {
	inv := newFakeViewInventory()
	hub := newWatchHub(Config{Inventory: inv, WatchLinger: time.Hour}.withDefaults(), newMetrics(prometheus.NewRegistry()))
	ctx := context.Background()
	v, hit, err := hub.views.seatMap(ctx, "ev")
	if err != nil || hit {
		t.Fatalf("first view: %v hit %v", err, hit)
	}
	if req := <-inv.requests; req.GetAfter()[0].GetSequence() != 10 {
		t.Fatalf("watched from %v, want the map's position 10", req.GetAfter())
	}
	first := v.snap.Load()
	if !strings.Contains(string(first.full.bytes()), `"cursor":"0:10"`) || first.summary.etag == first.full.etag {
		t.Fatalf("first body: %s", first.full.bytes())
	}
	inv.feed <- seatChange(11, "A-A-1", boxofficev1.SeatState_SEAT_STATE_HELD)
	held := waitView(t, v, `"seat_id":"A-A-1","number":1,"state":"held"`)
	if held.full.etag == first.full.etag || !bytes.Contains(held.full.bytes(), []byte(`"available":2,"held":1,"sold":0`)) {
		t.Fatalf("after a hold: ETag %s (was %s): %s", held.full.etag, first.full.etag, held.full.bytes())
	}

	// Meanwhile the cluster sold seat 2 and compacted its log.
	gate := make(chan struct{})
	inv.mu.Lock()
	inv.position, inv.states, inv.gate = 500, [3]boxofficev1.SeatState{2, 3, 1}, gate
	inv.mu.Unlock()
	inv.feed <- watchItem{err: status.Error(codes.OutOfRange, "compacted")}
	deadline := time.Now().Add(5 * time.Second)
	for v.ageMs(time.Now().Add(time.Second).UnixNano()) < 1000 {
		if time.Now().After(deadline) {
			t.Fatal("the broken feed does not show in the view's age")
		}
		time.Sleep(time.Millisecond) // poll interval
	}
	// The fresh read is held up: views still answer, from memory.
	start := time.Now()
	got, hit, err := hub.views.seatMap(ctx, "ev")
	if err != nil || !hit || got != v || v.snap.Load() != held {
		t.Fatalf("view during the resync: %v hit %v", err, hit)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("a view waited %v on the resync", d)
	}
	close(gate)
	resynced := waitView(t, v, `"cursor":"0:500"`)
	if !bytes.Contains(resynced.full.bytes(), []byte(`"seat_id":"A-A-2","number":2,"state":"sold"`)) || !bytes.Contains(resynced.full.bytes(), []byte(`"available":1,"held":1,"sold":1`)) {
		t.Fatalf("after the resync: %s", resynced.full.bytes())
	}
	select {
	case req := <-inv.requests:
		if req.GetAfter()[0].GetSequence() != 500 {
			t.Fatalf("watched again from %v, want 500", req.GetAfter())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no Watch after the resync")
	}
	inv.feed <- seatChange(501, "A-A-3", boxofficev1.SeatState_SEAT_STATE_HELD)
	inv.feed <- seatChange(400, "A-A-3", boxofficev1.SeatState_SEAT_STATE_AVAILABLE) // before the map: skipped
	last := waitView(t, v, `"cursor":"0:501"`)
	if !bytes.Contains(last.full.bytes(), []byte(`"seat_id":"A-A-3","number":3,"state":"held"`)) {
		t.Fatalf("after the resync's first change: %s", last.full.bytes())
	}
	if age := v.ageMs(time.Now().UnixNano()); age != 0 {
		t.Fatalf("a caught-up view says age %d ms", age)
	}
}

// TestSeatMapViewNeverBlocksOnASlowFeed: a feed that delivers nothing
// (or a Watch that hangs) never holds up a view: views are answered from
// the last body while a thousand of them run, and the feed's one Watch
// is all the cluster sees.
func TestSeatMapViewNeverBlocksOnASlowFeed(t *testing.T) {
	inv := newFakeViewInventory()
	hub := newWatchHub(Config{Inventory: inv, WatchLinger: time.Hour}.withDefaults(), newMetrics(prometheus.NewRegistry()))
	ctx := context.Background()
	if _, _, err := hub.views.seatMap(ctx, "ev"); err != nil {
		t.Fatal(err)
	}
	<-inv.requests
	// Nobody sends on inv.feed: the Watch is stuck in Recv.
	start := time.Now()
	var wg sync.WaitGroup
	for range 1000 {
		wg.Go(func() {
			v, hit, err := hub.views.seatMap(ctx, "ev")
			if err != nil || !hit || v.snap.Load() == nil {
				t.Errorf("view: %v hit %v", err, hit)
			}
		})
	}
	wg.Wait()
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("1000 views took %v behind a stuck feed", d)
	}
	inv.mu.Lock()
	reads := inv.reads
	inv.mu.Unlock()
	if reads > 2 || len(inv.requests) != 0 {
		t.Fatalf("views read the cluster: %d seat-map reads, %d more Watches", reads, len(inv.requests))
	}
}

// TestSeatMapViewsAreBounded: past ViewEventsMax the least recently
// viewed map is dropped, its Watch closed since no stream uses it.
func TestSeatMapViewsAreBounded(t *testing.T) {
	inv := newFakeViewInventory()
	inv.requests = make(chan *boxofficev1.WatchRequest, 100)
	m := newMetrics(prometheus.NewRegistry())
	hub := newWatchHub(Config{Inventory: inv, WatchLinger: time.Hour, ViewEventsMax: 2}.withDefaults(), m)
	ctx := context.Background()
	for _, ev := range []string{"a", "b", "a", "c"} {
		if _, _, err := hub.views.seatMap(ctx, ev); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond) // distinct view times
		if v, ok := hub.views.seats.Load(ev); ok {
			v.(*seatMapCache).viewedAt.Store(time.Now().UnixNano())
		}
	}
	_, hasA := hub.views.seats.Load("a")
	_, hasB := hub.views.seats.Load("b")
	_, hasC := hub.views.seats.Load("c")
	if !hasA || hasB || !hasC || m.viewMapsKept.Load() != 2 {
		t.Fatalf("kept a %v b %v c %v (%d); want a and c", hasA, hasB, hasC, m.viewMapsKept.Load())
	}
	hub.mu.Lock()
	_, watched := hub.topics["b"]
	hub.mu.Unlock()
	if watched {
		t.Fatal("the evicted map's Watch is still open")
	}
}

// BenchmarkSeatMapViewHandler is the seat-map handler alone (no routing,
// no bearer token): what a view from memory costs beyond the conventions
// every route shares. BenchmarkSeatMapView measures the whole request.
func BenchmarkSeatMapViewHandler(b *testing.B) {
	inv := newFakeViewInventory()
	cfg := Config{Inventory: inv, WatchLinger: time.Hour}.withDefaults()
	g := &Gateway{cfg: cfg, metrics: newMetrics(prometheus.NewRegistry())}
	g.hub = newWatchHub(cfg, g.metrics)
	r := httptest.NewRequest("GET", "/v1/events/ev/seats", nil)
	r.SetPathValue("event", "ev")
	w := httptest.NewRecorder()
	c := &call{g: g, w: w, r: r, ctx: context.Background()}
	if _, _, err := g.seatMap(c); err != nil || w.Code != 200 {
		b.Fatalf("first view: %v %d", err, w.Code)
	}
	etag := w.Header().Get("ETag")
	for _, inm := range []string{"", etag} {
		name := "full"
		if inm != "" {
			name = "304"
		}
		b.Run(name, func(b *testing.B) {
			r := httptest.NewRequest("GET", "/v1/events/ev/seats", nil)
			r.SetPathValue("event", "ev")
			if inm != "" {
				r.Header.Set("If-None-Match", inm)
			}
			dw := &nullWriter{header: http.Header{}}
			c := &call{g: g, w: dw, r: r, ctx: context.Background()}
			b.ReportAllocs()
			for b.Loop() {
				clear(dw.header)
				if _, _, err := g.seatMap(c); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

type nullWriter struct{ header http.Header }

func (w *nullWriter) Header() http.Header         { return w.header }
func (w *nullWriter) WriteHeader(int)             {}
func (w *nullWriter) Write(b []byte) (int, error) { return len(b), nil }

// BenchmarkSeatMapEncode is one re-encoding of a stadium's seat map (20
// sections of 40 rows of 100 seats: 80,000 seats) after a change in one
// section: what the encoder spends per change batch.
func BenchmarkSeatMapEncode(b *testing.B) {
	sm := &boxofficev1.SeatMap{EventId: "stadium", Positions: []*boxofficev1.ShardPosition{{Shard: 0, Sequence: 1}}}
	for s := range 20 {
		sec := &boxofficev1.SectionState{Id: "S" + strconv.Itoa(s), Name: "Section " + strconv.Itoa(s), Available: 4000}
		for r := range 40 {
			row := &boxofficev1.RowState{Label: strconv.Itoa(r + 1)}
			for n := range 100 {
				row.Seats = append(row.Seats, &boxofficev1.Seat{SeatId: sec.Id + "-" + row.Label + "-" + strconv.Itoa(n+1), Number: uint32(n + 1),
					PriceTier: "STD", State: boxofficev1.SeatState_SEAT_STATE_AVAILABLE})
			}
			sec.Rows = append(sec.Rows, row)
		}
		sm.Sections = append(sm.Sections, sec)
	}
	ev := &boxofficev1.Event{EventId: "stadium", Venue: &boxofficev1.Venue{PriceTiers: []*boxofficev1.PriceTier{{Id: "STD", PriceCents: 9000, Currency: "USD"}}}}
	v, err := newSeatMapCache("stadium", ev, sm, time.Millisecond)
	if err != nil {
		b.Fatal(err)
	}
	v.encode()
	b.ReportMetric(float64(len(v.snap.Load().full.bytes())), "body-bytes")
	seq := uint64(1)
	b.ReportAllocs()
	for b.Loop() {
		seq++
		state := boxofficev1.SeatState_SEAT_STATE_HELD
		if seq%2 == 0 {
			state = boxofficev1.SeatState_SEAT_STATE_AVAILABLE
		}
		v.apply([]*boxofficev1.SeatChange{{Shard: 0, Sequence: seq, SeatId: "S7-3-42", State: state}})
		v.encode()
	}
}
