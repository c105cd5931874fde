package checkout_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice/checkout"
)

// TestShedWhenStoreUnavailable: while the store answers UNAVAILABLE, the
// gateway soon stops calling it for new joins and answers 503 overloaded
// with Retry-After instead, without a store call; a poll answered from
// memory is still served, and an order underway still reaches the store.
// When the store recovers, joins succeed again.
func TestShedWhenStoreUnavailable(t *testing.T) {
	q := newQueueEnv(t, "shed")
	a := q.gateway()
	openRoom(a, "shed", q.clock.now().Add(-2*time.Second), 0.001)
	waiting := a.login("shed-waiting", "fan")
	a.must(200, "POST", "/v1/events/shed/waiting-room/join", waiting, nil)
	var fans []string
	for i := range 40 {
		fans = append(fans, a.login("shed-"+string(rune('a'+i%26))+string(rune('a'+i/26)), "fan"))
	}

	q.store.fail(func(string) bool { return true })
	var shed resp
	for i := 0; ; i++ {
		if i == len(fans) {
			t.Fatalf("%d joins against an unavailable store, none shed", i)
		}
		before := q.store.calls.Load()
		r := a.do("POST", "/v1/events/shed/waiting-room/join", fans[i], nil)
		if r.status != 503 {
			t.Fatalf("join against an unavailable store: %d %s", r.status, r.body)
		}
		if problemType(t, r) == "overloaded" {
			if n := q.store.calls.Load() - before; n != 0 {
				t.Fatalf("a shed join made %d store calls", n)
			}
			shed = r
			break
		}
	}
	if shed.header.Get("Retry-After") == "" {
		t.Fatalf("shed without Retry-After: %v", shed.header)
	}
	// Reads from memory are not shed.
	if st := a.must(200, "GET", "/v1/events/shed/waiting-room/me", waiting, nil); st["state"] != "waiting" {
		t.Fatalf("poll while shedding: %v", st)
	}
	// An order underway is not shed for pressure: it reaches the store
	// (which fails it).
	before := q.store.calls.Load()
	if r := a.do("POST", "/v1/orders", waiting, map[string]any{"hold_id": "hold_x"}); problemType(t, r) == "overloaded" {
		t.Fatalf("an order was shed for pressure: %d %s", r.status, r.body)
	}
	if q.store.calls.Load() == before {
		t.Fatal("the order made no store call")
	}

	q.store.fail(nil)
	waitFor(t, "joins to succeed again", func() bool {
		return a.do("POST", "/v1/events/shed/waiting-room/join", fans[len(fans)-1], nil).status == 200
	})
}

// TestShedWhenStoreSlow: when the store's calls become a hundred times
// slower than the gateway has seen them, a join is soon refused 503
// overloaded with Retry-After without a store call; when the store is
// fast again, joins succeed again.
func TestShedWhenStoreSlow(t *testing.T) {
	q := newQueueEnv(t, "slowstore")
	slow := &slowingStore{Store: q.store}
	a := q.env.gateway(func(c *checkout.Config) { c.Store = slow })
	openRoom(a, "slowstore", q.clock.now().Add(-2*time.Second), 0.001)
	var fans []string
	for i := range 20 {
		fan := a.login(fmt.Sprintf("slowstore-%d", i), "fan")
		a.must(200, "GET", "/v1/orders", fan, nil) // remembered, and the baseline: fast calls
		fans = append(fans, fan)
	}
	slow.delay.Store(int64(400 * time.Millisecond))
	for i := 0; ; i++ {
		if i == len(fans) {
			t.Fatalf("%d joins against a slow store, none shed", i)
		}
		before := q.store.calls.Load()
		r := a.do("POST", "/v1/events/slowstore/waiting-room/join", fans[i], nil)
		if r.status == 200 {
			continue
		}
		if r.status != 503 || problemType(t, r) != "overloaded" || r.header.Get("Retry-After") == "" {
			t.Fatalf("join against a slow store: %d %v %s", r.status, r.header, r.body)
		}
		if n := q.store.calls.Load() - before; n != 0 {
			t.Fatalf("a shed join made %d store calls", n)
		}
		break
	}
	slow.delay.Store(0)
	waitFor(t, "joins to succeed again", func() bool {
		return a.do("POST", "/v1/events/slowstore/waiting-room/join", fans[len(fans)-1], nil).status == 200
	})
}

// slowingStore delays every call by delay.
type slowingStore struct {
	checkout.Store
	delay atomic.Int64 // nanoseconds
}

func (s *slowingStore) wait() { time.Sleep(time.Duration(s.delay.Load())) } // the simulated slow store

func (s *slowingStore) Get(ctx context.Context, key string) ([]byte, uint64, error) {
	s.wait()
	return s.Store.Get(ctx, key)
}

func (s *slowingStore) CompareAndSwap(ctx context.Context, key string, expected uint64, value []byte) (uint64, error) {
	s.wait()
	return s.Store.CompareAndSwap(ctx, key, expected, value)
}

func (s *slowingStore) Delete(ctx context.Context, key string, expected uint64) error {
	s.wait()
	return s.Store.Delete(ctx, key, expected)
}

func (s *slowingStore) Add(ctx context.Context, key string, delta, lo, hi int64) (int64, error) {
	s.wait()
	return s.Store.Add(ctx, key, delta, lo, hi)
}

func (s *slowingStore) Batch(ctx context.Context, requestID string, ops []checkout.Op) ([]checkout.OpResult, error) {
	s.wait()
	return s.Store.Batch(ctx, requestID, ops)
}

func (s *slowingStore) Scan(ctx context.Context, prefix, after string, limit int) ([]checkout.KeyValue, error) {
	s.wait()
	return s.Store.Scan(ctx, prefix, after, limit)
}

// TestShedInFlightBounds: with InFlightMax 2 and two joins stuck in the
// store, a third join is refused 503 overloaded at once without a store
// call, while an order (a purchase underway) still gets in; with
// InFlightPerCaller 1, a fan's second request while the first is stuck
// is refused 429 too-many-in-flight.
func TestShedInFlightBounds(t *testing.T) {
	q := newQueueEnv(t, "bound")
	stuck := make(chan struct{})
	entered := make(chan string, 8)
	blocking := &blockingStore{Store: q.store, block: "queue/{q:bound}/seq", stuck: stuck, entered: entered}
	a := q.env.gateway(func(c *checkout.Config) {
		c.Store = blocking
		c.InFlightMax = 2
		c.InFlightPerCaller = 1
	})
	openRoom(a, "bound", q.clock.now().Add(-2*time.Second), 0.001)
	f1, f2, f3 := a.login("bound-1", "fan"), a.login("bound-2", "fan"), a.login("bound-3", "fan")
	// Every fan's first request, so that none is refused below for a
	// record its first request writes.
	for _, f := range []string{f1, f2, f3} {
		a.must(200, "GET", "/v1/orders", f, nil)
	}
	var wg sync.WaitGroup
	wg.Go(func() { a.must(200, "POST", "/v1/events/bound/waiting-room/join", f1, nil) })
	<-entered
	r := a.do("GET", "/v1/orders", f1, nil)
	if r.status != 429 || problemType(t, r) != "too-many-in-flight" || r.header.Get("Retry-After") == "" {
		t.Fatalf("a fan's second request in flight: %d %v %s", r.status, r.header, r.body)
	}
	wg.Go(func() { a.must(200, "POST", "/v1/events/bound/waiting-room/join", f2, nil) })
	<-entered

	before := q.store.calls.Load()
	r = a.do("POST", "/v1/events/bound/waiting-room/join", f3, nil)
	if r.status != 503 || problemType(t, r) != "overloaded" || r.header.Get("Retry-After") == "" {
		t.Fatalf("a third join past InFlightMax: %d %v %s", r.status, r.header, r.body)
	}
	if n := q.store.calls.Load() - before; n != 0 {
		t.Fatalf("the shed join made %d store calls", n)
	}
	if r := a.do("POST", "/v1/orders", f3, map[string]any{"hold_id": "hold_x"}); problemType(t, r) == "overloaded" {
		t.Fatalf("an order past InFlightMax (inside its reserve) was shed: %d %s", r.status, r.body)
	}
	close(stuck)
	wg.Wait()
	a.must(200, "POST", "/v1/events/bound/waiting-room/join", f3, nil)
}

// blockingStore holds every call on key until stuck is closed, telling
// entered when one arrives.
type blockingStore struct {
	checkout.Store
	block   string
	stuck   chan struct{}
	entered chan string
}

func (s *blockingStore) Add(ctx context.Context, key string, delta, lo, hi int64) (int64, error) {
	if key == s.block {
		s.entered <- key
		<-s.stuck
	}
	return s.Store.Add(ctx, key, delta, lo, hi)
}

func (s *blockingStore) Batch(ctx context.Context, requestID string, ops []checkout.Op) ([]checkout.OpResult, error) {
	if slices.ContainsFunc(ops, func(op checkout.Op) bool { return op.Key == s.block }) {
		s.entered <- s.block
		<-s.stuck
	}
	return s.Store.Batch(ctx, requestID, ops)
}
