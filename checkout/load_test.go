package checkout_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/checkout"
	"github.com/boxoffice/boxoffice/checkout/internal/clustertest"
)

// TestLoadFullFlow drives fans through queue → admission → hold → order →
// pay on two gateways and reports throughput and latency, then checks the
// invariant: seats sold in the cluster = seats of paid orders = tickets of
// succeeded payments, and no seat is sold to two orders.
// BOXOFFICE_LOAD_FANS scales it (default 120).
func TestLoadFullFlow(t *testing.T) {
	if testing.Short() {
		t.Skip("load test; skipped with -short")
	}
	fans := 120
	if v := envInt("BOXOFFICE_LOAD_FANS"); v > 0 {
		fans = v
	}
	e := newEnv(t)
	clustertest.CreateEvent(t, e.cluster, "load", 20, 20) // 800 seats
	gws := []*gw{e.gateway(), e.gateway()}
	org := gws[0].login("org", "organizer")
	gws[0].must(200, "PUT", "/v1/events/load/waiting-room", org, map[string]any{
		"on_sale_at": e.clock.now().Add(-2 * time.Second).Format(time.RFC3339Nano), "admit_per_second": 100000})

	var mu sync.Mutex
	latencies := map[string][]time.Duration{}
	timed := func(step string, f func()) {
		start := time.Now()
		f()
		mu.Lock()
		latencies[step] = append(latencies[step], time.Since(start))
		mu.Unlock()
	}
	var completed, soldOut atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 32)
	for i := range fans {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			g := gws[i%2]
			tok := g.login(fmt.Sprintf("loadfan%d", i), "fan")
			var admission string
			timed("queue", func() {
				g.must(200, "POST", "/v1/events/load/waiting-room/join", tok, nil)
				for admission == "" {
					st := g.must(200, "GET", "/v1/events/load/waiting-room/me", tok, nil)
					admission = str(st, "admission_token")
				}
			})
			var hold resp
			timed("hold", func() {
				hold = g.do("POST", "/v1/events/load/holds", tok, map[string]any{"best": map[string]any{"quantity": 2}}, "X-Admission-Token", admission)
			})
			if hold.status == 409 {
				soldOut.Add(1)
				return
			}
			if hold.status != 201 {
				t.Errorf("hold: %d %s", hold.status, hold.body)
				return
			}
			var order map[string]any
			timed("order", func() {
				order = g.must(201, "POST", "/v1/orders", tok, map[string]any{"hold_id": hold.json(t)["hold_id"]})
			})
			timed("pay", func() { g.must(200, "POST", "/v1/orders/"+str(order, "order_id")+"/fake-pay", tok, nil) })
			completed.Add(1)
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	t.Logf("%d fans, %d completed, %d sold out, in %v: %.1f purchases/s", fans, completed.Load(), soldOut.Load(), elapsed.Round(time.Millisecond),
		float64(completed.Load())/elapsed.Seconds())
	for _, step := range []string{"queue", "hold", "order", "pay"} {
		d := latencies[step]
		slices.Sort(d)
		if len(d) == 0 {
			continue
		}
		t.Logf("%-5s n=%4d p50=%v p99=%v max=%v", step, len(d), d[len(d)/2].Round(time.Microsecond), d[len(d)*99/100].Round(time.Microsecond), d[len(d)-1].Round(time.Microsecond))
	}
	checkInvariant(t, e, "load")
}

// checkInvariant: every sold seat belongs to exactly one paid order whose
// payment succeeded, and every paid order's seats are sold to it.
func checkInvariant(t *testing.T, e *env, event string) {
	t.Helper()
	sm, err := e.cluster.GetSeatMap(context.Background(), &boxofficev1.GetSeatMapRequest{EventId: event})
	if err != nil {
		t.Fatal(err)
	}
	soldTo := map[string]string{}
	for _, s := range sm.GetSections() {
		for _, r := range s.GetRows() {
			for _, seat := range r.GetSeats() {
				if seat.GetState() == boxofficev1.SeatState_SEAT_STATE_SOLD {
					soldTo[seat.GetSeatId()] = seat.GetOrderId()
				}
			}
		}
	}
	kvs, err := e.store.Scan(context.Background(), "order/", "", checkout.ScanLimitMax)
	if err != nil {
		t.Fatal(err)
	}
	paidSeats := 0
	succeeded := e.fake().Succeeded()
	seen := map[string]string{}
	for _, kv := range kvs {
		var o struct {
			OrderID  string   `json:"order_id"`
			State    string   `json:"state"`
			Seats    []string `json:"seats"`
			IntentID string   `json:"intent_id"`
		}
		if err := decodeJSON(sealedBody(kv.Value), &o); err != nil {
			t.Fatal(err)
		}
		if o.State != "paid" {
			continue
		}
		if _, ok := succeeded[o.IntentID]; !ok {
			t.Errorf("order %s is paid but its payment did not succeed", o.OrderID)
		}
		for _, s := range o.Seats {
			paidSeats++
			if other, dup := seen[s]; dup {
				t.Errorf("seat %s in paid orders %s and %s", s, other, o.OrderID)
			}
			seen[s] = o.OrderID
			if soldTo[s] != o.OrderID {
				t.Errorf("seat %s of paid order %s is sold to %q in the cluster", s, o.OrderID, soldTo[s])
			}
		}
	}
	if paidSeats != len(soldTo) {
		t.Errorf("cluster sold %d seats, paid orders have %d", len(soldTo), paidSeats)
	}
	t.Logf("invariant holds: %d seats sold = %d seats in paid orders, no seat in two orders", len(soldTo), paidSeats)
}

// TestNotificationsDeliveredAtLeastOnce: the outbox retries a failing
// receiver and delivers each notification with a stable id.
func TestNotificationsDeliveredAtLeastOnce(t *testing.T) {
	var mu sync.Mutex
	got := map[string]int{}
	var fail atomic.Bool
	fail.Store(true)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if fail.Load() {
			http.Error(w, "down", 503)
			return
		}
		mu.Lock()
		got[r.Header.Get("Idempotency-Key")]++
		mu.Unlock()
	}))
	defer receiver.Close()
	e := newEnv(t)
	e.event("ntf")
	a := e.gateway(func(c *checkout.Config) { c.NotifyURL = receiver.URL })
	tok := a.login("notified", "fan")
	order, _ := pendingOrder(t, a, tok, "ntf")
	a.must(200, "POST", "/v1/orders/"+str(order, "order_id")+"/fake-pay", tok, nil)
	if n, err := a.g.DeliverNotifications(context.Background()); err != nil || n != 0 {
		t.Fatalf("delivered %d while the receiver is down (%v)", n, err)
	}
	fail.Store(false)
	e.clock.advance(time.Hour) // past the backoff (and the hold-expiry warning time)
	defer e.clock.advance(-time.Hour)
	if _, err := a.g.DeliverNotifications(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 {
		t.Fatalf("deliveries: %v (want the order confirmation once; the expiry warning is dropped as the hold was ordered)", got)
	}
}
