package checkout_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/checkout"
	"github.com/boxoffice/boxoffice/cluster/client"
	"github.com/boxoffice/boxoffice/node"
)

// createViewEvent creates an event with two sections of rows x seats and
// a general-admission pool of 50, on two shards.
func createViewEvent(t *testing.T, c *client.Client, eventID string, rows, seats int) *boxofficev1.Event {
	t.Helper()
	var rowsA, rowsB []*boxofficev1.Row
	for i := range rows {
		rowsA = append(rowsA, &boxofficev1.Row{Label: string(rune('A' + i)), SeatCount: uint32(seats)})
		rowsB = append(rowsB, &boxofficev1.Row{Label: string(rune('A' + i)), SeatCount: uint32(seats)})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	resp, err := c.CreateEvent(ctx, &boxofficev1.CreateEventRequest{
		RequestId: "create-" + eventID, EventId: eventID, Name: "View <&> " + eventID, ShardCount: 2,
		Venue: &boxofficev1.Venue{
			Name:       "Hall",
			PriceTiers: []*boxofficev1.PriceTier{{Id: "STD", PriceCents: 5000, Currency: "USD"}, {Id: "GA", PriceCents: 3000, Currency: "USD"}},
			Sections: []*boxofficev1.Section{
				{Id: "A", Name: "Stalls", PriceTier: "STD", Rows: rowsA},
				{Id: "B", Name: "Balcony \"high\"", PriceTier: "STD", Rows: rowsB},
			},
			Pools: []*boxofficev1.GeneralAdmissionPool{{Id: "floor", Name: "Floor", Capacity: 50, PriceTier: "GA"}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ev := resp.Event
	node.WaitFor(t, 20*time.Second, "event "+eventID+" to be ready", func() bool {
		if ev.GetStatus() == boxofficev1.EventStatus_EVENT_STATUS_READY {
			return true
		}
		if ev, err = c.GetEvent(ctx, &boxofficev1.GetEventRequest{EventId: eventID}); err != nil {
			t.Fatal(err)
		}
		return false
	})
	return ev
}

// getView GETs path with token and, when etag is set, If-None-Match.
func getView(t *testing.T, g *gw, path, token, etag string) resp {
	t.Helper()
	if etag == "" {
		return g.do("GET", path, token, nil)
	}
	return g.do("GET", path, token, nil, "If-None-Match", etag)
}

// TestSeatMapViewStaleness: seats held through the Inventory (not the
// gateway) show in the gateway's seat map from memory; it measures, for
// each hold, the time from the cluster's answer to the first view that
// shows it, and reports p50 and p99 (no bound is asserted: staleness is
// shown, not timed). Once the holds stop, the view equals, byte for byte,
// the body the gateway would encode from a fresh GetSeatMap, for the full
// map, the summary and a section; each view says its age.
func TestSeatMapViewStaleness(t *testing.T) {
	e := newEnv(t)
	ev := createViewEvent(t, e.cluster, "stale", 6, 20)
	g := e.gateway()
	fan := g.login("viewer", "fan")
	first := g.must(200, "GET", "/v1/events/stale/seats", fan, nil)
	if first["available"].(float64) != 240 {
		t.Fatalf("first view: %v", first)
	}
	ctx := context.Background()
	const holds = 120
	lags := make([]time.Duration, 0, holds)
	etag := ""
	for i := range holds {
		section, seat := "A", i
		if i >= holds/2 {
			section, seat = "B", i-holds/2
		}
		id := fmt.Sprintf("%s-%c-%d", section, 'A'+seat/20, seat%20+1)
		req := &boxofficev1.HoldRequest{RequestId: fmt.Sprintf("stale-%d", i), EventId: "stale", Holder: "h"}
		if i%10 == 9 {
			req.Selection = &boxofficev1.HoldRequest_GeneralAdmission{GeneralAdmission: &boxofficev1.GeneralAdmission{PoolId: "floor", Quantity: 1}}
		} else {
			req.Selection = &boxofficev1.HoldRequest_Seats{Seats: &boxofficev1.SeatList{SeatIds: []string{id}}}
		}
		if _, err := e.cluster.Hold(ctx, req); err != nil {
			t.Fatal(err)
		}
		held := time.Now()
		want := `"seat_id":"` + id + `","number":` + strconv.Itoa(seat%20+1) + `,"state":"held"`
		if i%10 == 9 {
			want = `"id":"floor","name":"Floor","capacity":50,"available":` + strconv.Itoa(50-(i+1)/10)
		}
		for {
			r := getView(t, g, "/v1/events/stale/seats", fan, etag)
			if r.header.Get("X-Boxoffice-View-Age-Ms") == "" || r.header.Get("Cache-Control") != "no-cache" {
				t.Fatalf("view headers: %v", r.header)
			}
			if r.status == 200 {
				etag = r.header.Get("ETag")
				if bytes.Contains(r.body, []byte(want)) {
					break
				}
			} else if r.status != 304 {
				t.Fatalf("view: %d %s", r.status, r.body)
			}
			if time.Since(held) > 30*time.Second {
				t.Fatalf("hold %d (%s) not in the view after 30s", i, id)
			}
		}
		lags = append(lags, time.Since(held))
	}
	slices.Sort(lags)
	t.Logf("staleness of the seat map view after a hold (%d holds, poll over HTTP): p50 %v, p90 %v, p99 %v, max %v",
		len(lags), lags[len(lags)/2], lags[len(lags)*9/10], lags[len(lags)*99/100], lags[len(lags)-1])

	// Quiet now: the view must catch up with the cluster exactly.
	for _, v := range []struct {
		path string
		req  *boxofficev1.GetSeatMapRequest
	}{
		{"/v1/events/stale/seats", &boxofficev1.GetSeatMapRequest{EventId: "stale"}},
		{"/v1/events/stale/seats?summary=true", &boxofficev1.GetSeatMapRequest{EventId: "stale", SummaryOnly: true}},
		{"/v1/events/stale/seats?section=B", &boxofficev1.GetSeatMapRequest{EventId: "stale", SectionIds: []string{"B"}}},
		{"/v1/events/stale/seats?section=floor&section=A", &boxofficev1.GetSeatMapRequest{EventId: "stale", SectionIds: []string{"floor", "A"}}},
	} {
		sm, err := e.cluster.GetSeatMap(ctx, v.req)
		if err != nil {
			t.Fatal(err)
		}
		want := checkout.SeatMapJSON("stale", ev, sm)
		var got resp
		// A caught-up view says so: age 0.
		for deadline := time.Now().Add(10 * time.Second); ; {
			got = g.do("GET", v.path, fan, nil)
			if bytes.Equal(got.body, want) && got.header.Get("X-Boxoffice-View-Age-Ms") == "0" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s from memory (age %s ms):\n%s\nfrom the cluster:\n%s", v.path, got.header.Get("X-Boxoffice-View-Age-Ms"), got.body, want)
			}
		}
	}
	if r := g.do("GET", "/v1/events/stale/seats?section=Z", fan, nil); r.status != 404 {
		t.Fatalf("unknown section: %d %s", r.status, r.body)
	}
}

// TestSeatMapViewETag: an unchanged seat map answers If-None-Match with
// 304 and no body; a changed one answers 200 with a new ETag, which two
// gateways at the same feed positions agree on. Event detail and the
// catalogue answer 304 too.
func TestSeatMapViewETag(t *testing.T) {
	e := newEnv(t)
	e.event("etag")
	a, b := e.gateway(), e.gateway()
	fan := a.login("etags", "fan")
	r := a.do("GET", "/v1/events/etag/seats", fan, nil)
	etag := r.header.Get("ETag")
	if r.status != 200 || !strings.HasPrefix(etag, `"`) || r.header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("seat map: %d ETag %q Cache-Control %q", r.status, etag, r.header.Get("Cache-Control"))
	}
	for _, inm := range []string{etag, `"other", ` + etag, "W/" + etag, "*"} {
		if r := a.do("GET", "/v1/events/etag/seats", fan, nil, "If-None-Match", inm); r.status != 304 || len(r.body) != 0 || r.header.Get("ETag") != etag {
			t.Fatalf("If-None-Match %s on an unchanged map: %d %q ETag %q", inm, r.status, r.body, r.header.Get("ETag"))
		}
	}
	if r := b.do("GET", "/v1/events/etag/seats", fan, nil, "If-None-Match", etag); r.status != 304 {
		t.Fatalf("another gateway at the same positions: %d, ETag %q want %q", r.status, r.header.Get("ETag"), etag)
	}
	a.must(201, "POST", "/v1/events/etag/holds", fan, map[string]any{"seats": []string{"A-A-3"}})
	var changed resp
	node.WaitFor(t, 10*time.Second, "the held seat in the view", func() bool {
		changed = a.do("GET", "/v1/events/etag/seats", fan, nil, "If-None-Match", etag)
		return changed.status == 200
	})
	if changed.header.Get("ETag") == etag || !bytes.Contains(changed.body, []byte(`"seat_id":"A-A-3","number":3,"state":"held"`)) {
		t.Fatalf("changed map: ETag %q (was %q): %s", changed.header.Get("ETag"), etag, changed.body)
	}
	if r := a.do("GET", "/v1/events/etag/seats", fan, nil, "If-None-Match", changed.header.Get("ETag")); r.status != 304 {
		t.Fatalf("the new ETag: %d", r.status)
	}
	for _, path := range []string{"/v1/events/etag", "/v1/events", "/v1/events?limit=5"} {
		r := a.do("GET", path, fan, nil)
		if r.status != 200 || r.header.Get("ETag") == "" || r.header.Get("X-Boxoffice-View-Age-Ms") == "" {
			t.Fatalf("%s: %d headers %v", path, r.status, r.header)
		}
		if again := a.do("GET", path, fan, nil, "If-None-Match", r.header.Get("ETag")); again.status != 304 || len(again.body) != 0 {
			t.Fatalf("%s with its ETag: %d %s", path, again.status, again.body)
		}
	}
	metrics := string(a.do("GET", "/metrics", "", nil).body)
	for _, want := range []string{`boxoffice_gateway_view_requests_total{result="not_modified",view="seats"}`, `boxoffice_gateway_view_requests_total{result="miss",view="seats"} 1`,
		`boxoffice_gateway_view_requests_total{result="not_modified",view="event"} 1`, "boxoffice_gateway_view_seat_maps 1"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// TestSeatMapViewsShareTheWatch: a thousand concurrent first views of an
// event cost one cluster Watch, shared with the seat streams, and the
// cluster reads of one start; the views keep the Watch while viewed and
// it closes after the linger once nobody views the map.
func TestSeatMapViewsShareTheWatch(t *testing.T) {
	e := newEnv(t)
	e.event("sharedview")
	inv := &watchCountingClient{Client: e.cluster}
	reads := &seatMapCountingClient{watchCountingClient: inv}
	g := e.gateway(func(c *checkout.Config) { c.Inventory = reads; c.WatchLinger = 300 * time.Millisecond })
	fan := g.login("crowd", "fan")
	var wg sync.WaitGroup
	var failed atomic.Int64
	for range 200 {
		wg.Go(func() {
			if r := g.do("GET", "/v1/events/sharedview/seats", fan, nil); r.status != 200 {
				failed.Add(1)
			}
		})
	}
	wg.Wait()
	if failed.Load() > 0 || inv.calls.Load() != 1 || reads.seatMaps.Load() > 3 {
		t.Fatalf("200 first views: %d failed, %d Watches, %d seat-map reads", failed.Load(), inv.calls.Load(), reads.seatMaps.Load())
	}
	s, r := openStream(t, g, "/v1/events/sharedview/seats/stream", fan)
	if s == nil {
		t.Fatalf("stream: %d %s", r.status, r.body)
	}
	s.close()
	if inv.calls.Load() != 1 {
		t.Fatalf("the stream opened a Watch of its own: %d", inv.calls.Load())
	}
	node.WaitFor(t, 10*time.Second, "the Watch to close after the linger", func() bool { return inv.open.Load() == 0 })
	g.must(200, "GET", "/v1/events/sharedview/seats", fan, nil)
	if inv.calls.Load() != 2 {
		t.Fatalf("a view after the linger: %d Watches, want a second one", inv.calls.Load())
	}
}

type seatMapCountingClient struct {
	*watchCountingClient
	seatMaps atomic.Int64
}

func (c *seatMapCountingClient) GetSeatMap(ctx context.Context, req *boxofficev1.GetSeatMapRequest) (*boxofficev1.SeatMap, error) {
	c.seatMaps.Add(1)
	return c.watchCountingClient.GetSeatMap(ctx, req)
}

// holdsOnlyClient fails every read the views make, so a hold that
// consulted them would fail.
type holdsOnlyClient struct {
	*client.Client
	reads atomic.Int64
}

func (c *holdsOnlyClient) GetSeatMap(ctx context.Context, req *boxofficev1.GetSeatMapRequest) (*boxofficev1.SeatMap, error) {
	c.reads.Add(1)
	return nil, fmt.Errorf("no seat-map reads in this test")
}

func (c *holdsOnlyClient) Watch(ctx context.Context, req *boxofficev1.WatchRequest) (boxofficev1.Inventory_WatchClient, error) {
	c.reads.Add(1)
	return nil, fmt.Errorf("no watches in this test")
}

// TestHoldNeverConsultsTheView: a hold goes to the cluster alone; it
// reads no seat map and opens no Watch, even for seats a view shows as
// available.
func TestHoldNeverConsultsTheView(t *testing.T) {
	e := newEnv(t)
	e.event("trustless")
	inv := &holdsOnlyClient{Client: e.cluster}
	g := e.gateway(func(c *checkout.Config) { c.Inventory = inv })
	fan := g.login("holder", "fan")
	g.must(201, "POST", "/v1/events/trustless/holds", fan, map[string]any{"seats": []string{"A-A-1"}})
	r := g.do("POST", "/v1/events/trustless/holds", g.login("second", "fan"), map[string]any{"seats": []string{"A-A-1"}})
	if r.status != http.StatusConflict {
		t.Fatalf("a held seat held again: %d %s", r.status, r.body)
	}
	if n := inv.reads.Load(); n != 0 {
		t.Fatalf("holds made %d seat-map reads or Watches", n)
	}
}

// TestSeatMapViewSurvivesBrokenWatch: when the cluster Watch breaks (a
// node restart), the gateway watches again from the view's last
// positions, and the view goes on with the next change, missing nothing.
func TestSeatMapViewSurvivesBrokenWatch(t *testing.T) {
	e := newEnv(t)
	e.event("viewbreaks")
	inv := &watchCountingClient{Client: e.cluster}
	g := e.gateway(func(c *checkout.Config) { c.Inventory = inv })
	fan := g.login("steadyview", "fan")
	g.must(200, "GET", "/v1/events/viewbreaks/seats", fan, nil)
	g.must(201, "POST", "/v1/events/viewbreaks/holds", fan, map[string]any{"seats": []string{"A-A-1"}})
	var cursor string
	node.WaitFor(t, 10*time.Second, "the first hold in the view", func() bool {
		r := g.do("GET", "/v1/events/viewbreaks/seats", fan, nil)
		cursor = r.json(t)["cursor"].(string)
		return bytes.Contains(r.body, []byte(`"seat_id":"A-A-1","number":1,"state":"held"`))
	})
	inv.breakAll()
	node.WaitFor(t, 10*time.Second, "the gateway to watch again", func() bool { return inv.calls.Load() >= 2 && inv.open.Load() == 1 })
	var resumedFrom []string
	after := slices.Clone(inv.lastRequest().GetAfter())
	slices.SortFunc(after, func(x, y *boxofficev1.ShardPosition) int { return int(x.GetShard()) - int(y.GetShard()) })
	for _, p := range after {
		resumedFrom = append(resumedFrom, fmt.Sprintf("%d:%d", p.GetShard(), p.GetSequence()))
	}
	if got := strings.Join(resumedFrom, ","); got != cursor {
		t.Fatalf("watched again from %q, want the view's position %q", got, cursor)
	}
	g.must(201, "POST", "/v1/events/viewbreaks/holds", fan, map[string]any{"seats": []string{"A-A-2"}})
	node.WaitFor(t, 10*time.Second, "the second hold in the view", func() bool {
		r := g.do("GET", "/v1/events/viewbreaks/seats", fan, nil)
		return bytes.Contains(r.body, []byte(`"seat_id":"A-A-2","number":2,"state":"held"`)) && bytes.Contains(r.body, []byte(`"seat_id":"A-A-1","number":1,"state":"held"`))
	})
}

// eventReadsClient counts the catalogue and event reads; while gate is
// open (non-nil and not closed) each read waits for it.
type eventReadsClient struct {
	*client.Client
	gets, lists atomic.Int64
	gate        chan struct{}
}

func (c *eventReadsClient) GetEvent(ctx context.Context, req *boxofficev1.GetEventRequest) (*boxofficev1.Event, error) {
	c.gets.Add(1)
	if c.gate != nil {
		<-c.gate
	}
	return c.Client.GetEvent(ctx, req)
}

func (c *eventReadsClient) ListEvents(ctx context.Context, req *boxofficev1.ListEventsRequest) (*boxofficev1.ListEventsResponse, error) {
	c.lists.Add(1)
	if c.gate != nil {
		<-c.gate
	}
	return c.Client.ListEvents(ctx, req)
}

// TestEventViewsShareOneReadPerRefresh: 200 concurrent misses of event
// detail and of a catalogue page, all sent while the first reads are held
// up, cost one cluster read each; the detail is read again once
// ViewRefresh has passed, and then shows what changed (the waiting room
// an organizer configured meanwhile), with a new ETag.
func TestEventViewsShareOneReadPerRefresh(t *testing.T) {
	e := newEnv(t)
	e.event("detail")
	inv := &eventReadsClient{Client: e.cluster, gate: make(chan struct{})}
	g := e.gateway(func(c *checkout.Config) { c.Inventory = inv; c.ViewRefresh = time.Hour })
	fan := g.login("reader", "fan")
	var wg sync.WaitGroup
	var started, failed atomic.Int64
	for i := range 200 {
		wg.Go(func() {
			path := "/v1/events/detail"
			if i%2 == 1 {
				path = "/v1/events"
			}
			started.Add(1)
			if r := g.do("GET", path, fan, nil); r.status != 200 {
				failed.Add(1)
			}
		})
	}
	node.WaitFor(t, 10*time.Second, "every view sent and both reads started", func() bool {
		return started.Load() == 200 && inv.gets.Load() >= 1 && inv.lists.Load() >= 1
	})
	close(inv.gate)
	wg.Wait()
	if failed.Load() != 0 || inv.gets.Load() != 1 || inv.lists.Load() != 1 {
		t.Fatalf("200 concurrent views: %d failed, %d GetEvent, %d ListEvents; want one read each", failed.Load(), inv.gets.Load(), inv.lists.Load())
	}

	const refresh = 300 * time.Millisecond
	r := e.gateway(func(c *checkout.Config) { c.ViewRefresh = refresh })
	before := r.do("GET", "/v1/events/detail", fan, nil)
	org := str(r.must(200, "POST", "/v1/dev/login", "", map[string]any{"subject": "org-detail", "role": "organizer", "events": []string{"detail"}}), "token")
	r.must(200, "PUT", "/v1/events/detail/waiting-room", org, map[string]any{"on_sale_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339), "admit_per_second": 10})
	var after resp
	node.WaitFor(t, 10*time.Second, "the detail to show the waiting room", func() bool {
		after = r.do("GET", "/v1/events/detail", fan, nil, "If-None-Match", before.header.Get("ETag"))
		return after.status == 200 && bytes.Contains(after.body, []byte(`"waiting_room"`))
	})
	if after.header.Get("ETag") == before.header.Get("ETag") {
		t.Fatal("a changed detail kept its ETag")
	}
}

// TestSeatMapViewOfArchivedEvent: archiving an event ends its Watch for
// good, so its seat map is no longer served from memory: views are
// refused 409 as the cluster refuses the archived event's map.
func TestSeatMapViewOfArchivedEvent(t *testing.T) {
	e := newEnv(t)
	e.event("gone")
	g := e.gateway()
	fan := g.login("late", "fan")
	g.must(200, "GET", "/v1/events/gone/seats", fan, nil)
	org := str(g.must(200, "POST", "/v1/dev/login", "", map[string]any{"subject": "org-gone", "role": "organizer", "events": []string{"gone"}}), "token")
	g.must(200, "POST", "/v1/events/gone/archive", org, nil)
	node.WaitFor(t, 10*time.Second, "the archived event's seat map to be refused", func() bool {
		return g.do("GET", "/v1/events/gone/seats", fan, nil).status == http.StatusConflict
	})
	if ev := g.must(200, "GET", "/v1/events/gone", fan, nil); ev["status"] != "archived" {
		t.Fatalf("detail after the archive on this gateway: %v", ev)
	}
}
