package checkout_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/checkout"
)

// roundTripDelay is added to every store and cluster call in
// TestPurchaseRoundTrips, so that all calls last about as long and a
// request's critical path in round trips is the time some call was in
// flight divided by the mean call (robust to a loaded machine oversleeping).
const roundTripDelay = 20 * time.Millisecond

// slowCounter counts calls, delays each by roundTripDelay and records when
// each was in flight.
type slowCounter struct {
	mu        sync.Mutex
	store     int
	cluster   int
	intervals [][2]time.Time
}

func (s *slowCounter) call(count *int) func() {
	start := time.Now()
	time.Sleep(roundTripDelay) // the simulated network round trip
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		*count++
		s.intervals = append(s.intervals, [2]time.Time{start, time.Now()})
	}
}

// storeCall and clusterCall count a request's calls; the gateway's own
// background work (room loops, leases, shared watches) is not counted.
func (s *slowCounter) storeCall(ctx context.Context) func() {
	if checkout.IsBackground(ctx) {
		return func() {}
	}
	return s.call(&s.store)
}

func (s *slowCounter) clusterCall(ctx context.Context) func() {
	if checkout.IsBackground(ctx) {
		return func() {}
	}
	return s.call(&s.cluster)
}

// take returns the counts since the last take and the critical path: the
// time some call was in flight over the mean length of a call.
func (s *slowCounter) take() (store, cluster int, criticalPath float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	iv := s.intervals
	slices.SortFunc(iv, func(a, b [2]time.Time) int { return a[0].Compare(b[0]) })
	var busy, total time.Duration
	var end time.Time
	for _, x := range iv {
		total += x[1].Sub(x[0])
		switch {
		case x[0].After(end):
			busy += x[1].Sub(x[0])
			end = x[1]
		case x[1].After(end):
			busy += x[1].Sub(end)
			end = x[1]
		}
	}
	if len(iv) > 0 {
		criticalPath = float64(busy) / (float64(total) / float64(len(iv)))
	}
	store, cluster = s.store, s.cluster
	s.store, s.cluster, s.intervals = 0, 0, nil
	return store, cluster, criticalPath
}

type slowStore struct {
	checkout.Store
	n *slowCounter
}

func (s slowStore) Get(ctx context.Context, key string) ([]byte, uint64, error) {
	defer s.n.storeCall(ctx)()
	return s.Store.Get(ctx, key)
}

func (s slowStore) CompareAndSwap(ctx context.Context, key string, expected uint64, value []byte) (uint64, error) {
	defer s.n.storeCall(ctx)()
	return s.Store.CompareAndSwap(ctx, key, expected, value)
}

func (s slowStore) Delete(ctx context.Context, key string, expected uint64) error {
	defer s.n.storeCall(ctx)()
	return s.Store.Delete(ctx, key, expected)
}

func (s slowStore) Add(ctx context.Context, key string, delta, lo, hi int64) (int64, error) {
	defer s.n.storeCall(ctx)()
	return s.Store.Add(ctx, key, delta, lo, hi)
}

func (s slowStore) Scan(ctx context.Context, prefix, after string, limit int) ([]checkout.KeyValue, error) {
	defer s.n.storeCall(ctx)()
	return s.Store.Scan(ctx, prefix, after, limit)
}

func (s slowStore) Batch(ctx context.Context, requestID string, ops []checkout.Op) ([]checkout.OpResult, error) {
	defer s.n.storeCall(ctx)()
	return s.Store.Batch(ctx, requestID, ops)
}

type slowInventory struct {
	checkout.Inventory
	n *slowCounter
}

func (s slowInventory) GetEvent(ctx context.Context, req *boxofficev1.GetEventRequest) (*boxofficev1.Event, error) {
	defer s.n.clusterCall(ctx)()
	return s.Inventory.GetEvent(ctx, req)
}

func (s slowInventory) GetHold(ctx context.Context, req *boxofficev1.GetHoldRequest) (*boxofficev1.HoldResponse, error) {
	defer s.n.clusterCall(ctx)()
	return s.Inventory.GetHold(ctx, req)
}

func (s slowInventory) Hold(ctx context.Context, req *boxofficev1.HoldRequest) (*boxofficev1.HoldResponse, error) {
	defer s.n.clusterCall(ctx)()
	return s.Inventory.Hold(ctx, req)
}

func (s slowInventory) ExtendHold(ctx context.Context, req *boxofficev1.ExtendHoldRequest) (*boxofficev1.HoldResponse, error) {
	defer s.n.clusterCall(ctx)()
	return s.Inventory.ExtendHold(ctx, req)
}

func (s slowInventory) Release(ctx context.Context, req *boxofficev1.ReleaseRequest) (*boxofficev1.ReleaseResponse, error) {
	defer s.n.clusterCall(ctx)()
	return s.Inventory.Release(ctx, req)
}

func (s slowInventory) Sell(ctx context.Context, req *boxofficev1.SellRequest) (*boxofficev1.SellResponse, error) {
	defer s.n.clusterCall(ctx)()
	return s.Inventory.Sell(ctx, req)
}

// TestPurchaseRoundTrips is a profile of one purchase as `boxoffice bench
// gateway` makes it (login, queue, hold, order, fake-pay, tickets): for
// each request it counts the store and cluster calls (a Batch is one), and
// measures the length of its critical path in round trips by slowing every
// call down by the same delay. It logs the table (-v) and holds every step
// to its budget of calls; the numbers are what the
// gateway's latency is made of, since each call to the cluster is a Raft
// commit or a leader read.
func TestPurchaseRoundTrips(t *testing.T) {
	if testing.Short() {
		t.Skip("profile; skipped with -short")
	}
	e := newEnv(t)
	e.event("rt")
	n := &slowCounter{}
	g := e.gateway(func(c *checkout.Config) {
		c.Store = slowStore{Store: c.Store, n: n}
		c.Inventory = slowInventory{Inventory: c.Inventory, n: n}
	})
	org := g.login("org-rt", "organizer")
	g.must(200, "PUT", "/v1/events/rt/waiting-room", org, map[string]any{
		"on_sale_at": time.Now().Add(-2 * time.Second).UTC().Format(time.RFC3339Nano), "admit_per_second": 1000})

	var table strings.Builder
	fmt.Fprintf(&table, "%-8s %6s %8s %14s\n", "step", "store", "cluster", "critical path")
	totalCalls, totalPath := 0, 0.0
	calls := map[string]int{}
	step := func(name string, f func() map[string]any) map[string]any {
		t.Helper()
		n.take()
		m := f()
		store, cluster, path := n.take()
		totalCalls += store + cluster
		totalPath += path
		calls[name] = store + cluster
		fmt.Fprintf(&table, "%-8s %6d %8d %14.1f\n", name, store, cluster, path)
		return m
	}
	flow := func(subject string) {
		t.Helper()
		var fan string
		step("login", func() map[string]any {
			fan = g.login(subject, "fan")
			return nil
		})
		admission := ""
		step("queue", func() map[string]any {
			st := g.must(200, "POST", "/v1/events/rt/waiting-room/join", fan, nil)
			for str(st, "admission_token") == "" {
				st = g.must(200, "GET", "/v1/events/rt/waiting-room/me", fan, nil)
			}
			admission = str(st, "admission_token")
			return st
		})
		hold := step("hold", func() map[string]any {
			return g.must(201, "POST", "/v1/events/rt/holds", fan, map[string]any{"best": map[string]any{"quantity": 2, "section_id": "A"}},
				"X-Admission-Token", admission)
		})
		order := step("order", func() map[string]any {
			return g.must(201, "POST", "/v1/orders", fan, map[string]any{"hold_id": str(hold, "hold_id")})
		})
		paid := step("pay", func() map[string]any {
			return g.must(200, "POST", "/v1/orders/"+str(order, "order_id")+"/fake-pay", fan, map[string]any{})
		})
		if str(paid, "state") != "paid" {
			t.Fatalf("fake-pay: %v", paid)
		}
		tickets := step("tickets", func() map[string]any { return g.must(200, "GET", "/v1/tickets", fan, nil) })
		if got := len(tickets["tickets"].([]any)); got != 2 {
			t.Fatalf("%d tickets for 2 seats", got)
		}
	}
	flow("fan-warmup") // the first fan also seals the waiting room
	table.Reset()
	fmt.Fprintf(&table, "%-8s %6s %8s %14s\n", "step", "store", "cluster", "critical path")
	totalCalls, totalPath = 0, 0
	flow("fan-measured")
	fmt.Fprintf(&table, "%-8s %15d %14.1f\n", "total", totalCalls, totalPath)
	t.Logf("calls per request and critical path in round trips:\n%s", table.String())

	// The calls each step may make (ARCHITECTURE.md, "The purchase
	// path"), so that a regression shows where.
	budget := []struct {
		step  string
		calls int
		what  string
	}{
		{"login", 2, "the Idempotency-Key claim beside the fan record"},
		{"queue", 2, "the join's Batch (seq +1, join mark), then at the first admission one Batch (the fan's entry with admitted_at, the queue.admitted notice)"},
		{"hold", 4, "the waiting room's config, one Batch (claim, quota, hold record, counts), Hold, one Batch (hold record completed, expiry notice)"},
		{"order", 2, "ExtendHold, one Batch (claim, quota, order, marker, hold ordered)"},
		{"pay", 4, "the claim, Sell, one Batch of ticket records, one Batch for the fan (order paid, marker, owned seats, ticket index, notice)"},
		{"tickets", 3, "a scan of the fan's ticket index, then its 2 ticket records at once"},
	}
	sum, want := 0, 0
	for _, b := range budget {
		sum += calls[b.step]
		want += b.calls
		if calls[b.step] > b.calls {
			t.Errorf("%s: %d cluster calls, at most %d: %s", b.step, calls[b.step], b.calls, b.what)
		}
	}
	if sum > want {
		t.Errorf("the purchase: %d cluster calls, at most %d", sum, want)
	}
}
