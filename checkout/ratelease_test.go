package checkout_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice/checkout"
	"github.com/boxoffice/boxoffice/checkout/clusterstore"
)

// frozenClock stands still until advanced, so token buckets refill only by
// what a test says.
type frozenClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFrozenClock() *frozenClock { return &frozenClock{t: time.Now()} }

func (c *frozenClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *frozenClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// countingStore counts every Store call.
type countingStore struct {
	checkout.Store
	n atomic.Int64
}

func (s *countingStore) Get(ctx context.Context, key string) ([]byte, uint64, error) {
	s.n.Add(1)
	return s.Store.Get(ctx, key)
}

func (s *countingStore) CompareAndSwap(ctx context.Context, key string, expected uint64, value []byte) (uint64, error) {
	s.n.Add(1)
	return s.Store.CompareAndSwap(ctx, key, expected, value)
}

func (s *countingStore) Delete(ctx context.Context, key string, expected uint64) error {
	s.n.Add(1)
	return s.Store.Delete(ctx, key, expected)
}

func (s *countingStore) Add(ctx context.Context, key string, delta, lo, hi int64) (int64, error) {
	s.n.Add(1)
	return s.Store.Add(ctx, key, delta, lo, hi)
}

func (s *countingStore) Scan(ctx context.Context, prefix, after string, limit int) ([]checkout.KeyValue, error) {
	s.n.Add(1)
	return s.Store.Scan(ctx, prefix, after, limit)
}

func renew(t *testing.T, g *gw, want int) {
	t.Helper()
	got, err := g.g.RenewRateLease(context.Background())
	if err != nil {
		t.Fatalf("renew: %v", err)
	}
	if got != want {
		t.Fatalf("renewal counted %d gateways, want %d", got, want)
	}
}

// accepted sends n GET /v1/events as token to g and counts the 200s; every
// other answer must be a 429 with Retry-After.
func accepted(t *testing.T, g *gw, token string, n int) int {
	t.Helper()
	ok := 0
	for range n {
		r := g.do("GET", "/v1/events", token, nil)
		switch {
		case r.status == 200:
			ok++
		case r.status != 429 || r.header.Get("Retry-After") == "":
			t.Fatalf("GET /v1/events: %d %v %s", r.status, r.header, r.body)
		}
	}
	return ok
}

// TestRateLimitCostsNoStoreCalls: the shared limits are local buckets; a
// renewal costs one CompareAndSwap and one Scan, and requests, served or
// refused, cost no store call for rate limiting: a gateway with every
// limit on makes exactly the store calls of one with them off, and
// requests refused by a limit make none.
func TestRateLimitCostsNoStoreCalls(t *testing.T) {
	e := newEnv(t)
	onStore, offStore := &countingStore{Store: e.store}, &countingStore{Store: e.store}
	on := e.gateway(func(c *checkout.Config) {
		c.Store, c.RatePerFan, c.RatePerIP, c.RatePerEvent = onStore, 1e6, 1e6, 0.001 // events: a burst of one
	})
	off := e.gateway(func(c *checkout.Config) { c.Store, c.RatePerEvent = offStore, -1 })

	onStore.n.Store(0)
	renew(t, on, 1)
	if n := onStore.n.Load(); n != 2 {
		t.Fatalf("a renewal made %d store calls, want 2 (one CompareAndSwap, one Scan)", n)
	}

	const requests = 100
	calls := func(g *gw, s *countingStore) int64 {
		tok := g.login("fan-calls", "fan")
		g.must(200, "GET", "/v1/orders", tok, nil) // the fan is known from here on
		s.n.Store(0)
		for range requests {
			g.must(200, "GET", "/v1/orders", tok, nil)
			g.must(200, "GET", "/healthz", "", nil)
		}
		return s.n.Load()
	}
	if withLimits, without := calls(on, onStore), calls(off, offStore); withLimits != without {
		t.Fatalf("%d requests made %d store calls with the limits on, %d with them off", 2*requests, withLimits, without)
	}

	tok := on.login("fan-holds", "fan")
	hold := map[string]any{"best": map[string]any{"quantity": 1, "section_id": "A"}}
	on.do("POST", "/v1/events/rl-none/holds", tok, hold) // the event's one token (the event does not exist)
	onStore.n.Store(0)
	for range requests {
		if r := on.do("POST", "/v1/events/rl-none/holds", tok, hold); r.status != 429 || r.header.Get("Retry-After") == "" {
			t.Fatalf("hold past the event's rate: %d %v %s", r.status, r.header, r.body)
		}
	}
	if n := onStore.n.Load(); n != 0 {
		t.Fatalf("%d holds refused by the event limit made %d store calls, want 0", requests, n)
	}
	metrics := string(on.do("GET", "/metrics", "", nil).body)
	for _, want := range []string{`boxoffice_gateway_rate_limited_total{limit="event"} 100`, "boxoffice_gateway_rate_lease_gateways 1"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

// TestRateLimitSharedByGateways: two gateways sharing one store split a
// fan's rate R: a fan alternating between them for W = 10 s (frozen
// clock, 100 requests a second to each) gets between 0.9 R×W and R×W + B
// accepted in all (ratelease.go's tolerance: R × 1.1), where per-gateway
// buckets would give it twice that.
func TestRateLimitSharedByGateways(t *testing.T) {
	e := newEnv(t)
	clock := newFrozenClock()
	const rate = 10.0 // per second, burst 10
	limited := func(c *checkout.Config) { c.RatePerFan, c.Now = rate, clock.now }
	a, b := e.gateway(limited), e.gateway(limited)
	renew(t, a, 1)
	renew(t, b, 2)
	renew(t, a, 2)
	fan := a.login("fan-shared", "fan")

	const window = 10 * time.Second
	const step = 10 * time.Millisecond
	got := 0
	for at := time.Duration(0); at < window; at += step {
		got += accepted(t, a, fan, 1) + accepted(t, b, fan, 1)
		clock.advance(step)
	}
	lo, hi := int(0.9*rate*window.Seconds()), int(rate*window.Seconds()+rate)
	t.Logf("accepted %d of %d over %v (R×W = %d, R×W + B = %d)", got, 2*int(window/step), window, int(rate*window.Seconds()), hi)
	if got < lo || got > hi {
		t.Fatalf("accepted %d over %v at %v/s shared by two gateways, want %d..%d", got, window, rate, lo, hi)
	}
}

// TestRateLimitToleranceWhenAGatewayJoins: a second gateway joins half-way
// through a 10 s window and the first counts it only at its next renewal,
// one interval (2 s) later. The fan, hammering every gateway there is,
// gets no more than ratelease.go's bound for a window with one join:
// R×W + B + R×I/N + B/N (125 for R = 10/s, N = 2).
func TestRateLimitToleranceWhenAGatewayJoins(t *testing.T) {
	e := newEnv(t)
	clock := newFrozenClock()
	const rate = 10.0
	limited := func(c *checkout.Config) { c.RatePerFan, c.Now = rate, clock.now }
	a, b := e.gateway(limited), e.gateway(limited)
	renew(t, a, 1)
	fan := a.login("fan-join", "fan")

	const window = 10 * time.Second
	const step = 10 * time.Millisecond
	interval := checkout.RateLeaseIntervalDefault
	joined := false
	got := 0
	for at := time.Duration(0); at < window; at += step {
		switch at {
		case window / 2:
			renew(t, b, 2)
			joined = true
		case window/2 + interval:
			renew(t, a, 2)
		}
		got += accepted(t, a, fan, 1)
		if joined {
			got += accepted(t, b, fan, 1)
		}
		clock.advance(step)
	}
	n := 2.0
	bound := int(rate*window.Seconds() + rate + rate*interval.Seconds()/n + rate/n)
	t.Logf("accepted %d over %v with a join half-way (bound %d; R×W = %d)", got, window, bound, int(rate*window.Seconds()))
	if got > bound || got < int(rate*window.Seconds()) {
		t.Fatalf("accepted %d over %v with one join, want %d..%d", got, window, int(rate*window.Seconds()), bound)
	}
}

// TestRateLeaseShareReturns: when a gateway stops renewing, the other
// keeps half the rate until the lease expires (3 intervals), then takes
// all of it; the expired lease is deleted one lifetime later. A gateway
// whose Run ends deletes its lease, and the other takes the whole rate at
// its next renewal; one whose lease was deleted while it stalled writes it
// anew.
func TestRateLeaseShareReturns(t *testing.T) {
	e := newEnv(t)
	clock := newFrozenClock()
	const rate = 10.0
	limited := func(c *checkout.Config) { c.RatePerFan, c.Now = rate, clock.now }
	a, b := e.gateway(limited), e.gateway(limited)
	renew(t, a, 1)
	renew(t, b, 2)
	renew(t, a, 2)
	fan := a.login("fan-return", "fan")
	if got := accepted(t, a, fan, 20); got != rate/2 {
		t.Fatalf("with two gateways: %d accepted at once, want a burst of %v", got, rate/2)
	}

	ttl := 3 * checkout.RateLeaseIntervalDefault
	clock.advance(ttl - time.Second) // b's lease is still live
	renew(t, a, 2)
	clock.advance(2 * time.Second) // b's lease has expired
	renew(t, a, 1)
	clock.advance(2 * time.Second) // refill to the new burst
	if got := accepted(t, a, fan, 20); got != rate {
		t.Fatalf("after b's lease expired: %d accepted at once, want a burst of %v", got, rate)
	}

	leases := func() int {
		kvs, err := e.store.Scan(context.Background(), "gateways/", "", checkout.ScanLimitMax)
		if err != nil {
			t.Fatal(err)
		}
		return len(kvs)
	}
	if n := leases(); n != 2 {
		t.Fatalf("%d leases before b's is a lifetime past its expiry, want 2", n)
	}
	clock.advance(ttl)
	renew(t, a, 1)
	if n := leases(); n != 1 {
		t.Fatalf("%d leases after a's renewal, want b's deleted", n)
	}

	c := e.gateway(limited)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); c.g.Run(ctx) }()
	for deadline := time.Now().Add(10 * time.Second); leases() != 2; time.Sleep(5 * time.Millisecond) { // poll until c's first renewal lands
		if time.Now().After(deadline) {
			cancel()
			t.Fatal("c's Run wrote no lease")
		}
	}
	renew(t, a, 2)
	cancel()
	<-done
	renew(t, a, 1)

	// b, stalled past its lease and deleted, comes back: it writes its
	// lease anew and counts again.
	renew(t, b, 2)
	renew(t, a, 2)
}

// TestRateLeaseOverClusterStore: leases work on the cluster's Records
// service as on memstore: three gateways count each other, and one that
// stops hands its share back.
func TestRateLeaseOverClusterStore(t *testing.T) {
	e := newEnv(t)
	records := clusterstore.New(e.cluster)
	onCluster := func(c *checkout.Config) { c.Store = records }
	a, b, c := e.gateway(onCluster), e.gateway(onCluster), e.gateway(onCluster)
	renew(t, a, 1)
	renew(t, b, 2)
	renew(t, c, 3)
	renew(t, a, 3)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); b.g.Run(ctx) }()
	cancel()
	<-done
	renew(t, a, 2)
}
