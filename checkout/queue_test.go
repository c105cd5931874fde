package checkout_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/boxoffice/boxoffice/checkout"
)

// requestStore counts the store calls made on behalf of an HTTP request
// (their context carries the server), apart from the waiting room's
// background loop, and can be told to fail calls with UNAVAILABLE.
type requestStore struct {
	checkout.Store
	calls      atomic.Int64 // request calls
	queueCalls atomic.Int64 // request calls on queue/ keys
	keys       sync.Map     // key -> struct{}: keys of request calls
	// failing: every call whose key passes fail answers UNAVAILABLE.
	failing atomic.Pointer[func(key string) bool]
}

// enter counts one call on keys (a Batch's are all in one placement).
func (s *requestStore) enter(ctx context.Context, keys ...string) error {
	if ctx.Value(http.ServerContextKey) != nil {
		s.calls.Add(1)
		if strings.HasPrefix(keys[0], "queue/") {
			s.queueCalls.Add(1)
		}
		for _, key := range keys {
			s.keys.Store(key, struct{}{})
		}
	}
	if f := s.failing.Load(); f != nil && slices.ContainsFunc(keys, *f) {
		return status.Error(codes.Unavailable, "the store is unavailable (test)")
	}
	return nil
}

func (s *requestStore) fail(f func(key string) bool) {
	if f == nil {
		s.failing.Store(nil)
		return
	}
	s.failing.Store(&f)
}

func (s *requestStore) requestKeys() []string {
	var out []string
	s.keys.Range(func(k, _ any) bool { out = append(out, k.(string)); return true })
	slices.Sort(out)
	return out
}

func (s *requestStore) reset() {
	s.calls.Store(0)
	s.queueCalls.Store(0)
	s.keys.Clear()
}

func (s *requestStore) Get(ctx context.Context, key string) ([]byte, uint64, error) {
	if err := s.enter(ctx, key); err != nil {
		return nil, 0, err
	}
	return s.Store.Get(ctx, key)
}

func (s *requestStore) CompareAndSwap(ctx context.Context, key string, expected uint64, value []byte) (uint64, error) {
	if err := s.enter(ctx, key); err != nil {
		return 0, err
	}
	return s.Store.CompareAndSwap(ctx, key, expected, value)
}

func (s *requestStore) Delete(ctx context.Context, key string, expected uint64) error {
	if err := s.enter(ctx, key); err != nil {
		return err
	}
	return s.Store.Delete(ctx, key, expected)
}

func (s *requestStore) Add(ctx context.Context, key string, delta, lo, hi int64) (int64, error) {
	if err := s.enter(ctx, key); err != nil {
		return 0, err
	}
	return s.Store.Add(ctx, key, delta, lo, hi)
}

func (s *requestStore) Batch(ctx context.Context, requestID string, ops []checkout.Op) ([]checkout.OpResult, error) {
	keys := make([]string, len(ops))
	for i, op := range ops {
		keys[i] = op.Key
	}
	if err := s.enter(ctx, keys...); err != nil {
		return nil, err
	}
	return s.Store.Batch(ctx, requestID, ops)
}

func (s *requestStore) Scan(ctx context.Context, prefix, after string, limit int) ([]checkout.KeyValue, error) {
	if err := s.enter(ctx, prefix); err != nil {
		return nil, err
	}
	return s.Store.Scan(ctx, prefix, after, limit)
}

// queueEnv is one cluster and store with gateways whose store calls are
// counted.
type queueEnv struct {
	*env
	store *requestStore
}

func newQueueEnv(t *testing.T, event string) *queueEnv {
	e := newEnv(t)
	e.event(event)
	return &queueEnv{env: e, store: &requestStore{Store: e.store}}
}

func (q *queueEnv) gateway(mod ...func(*checkout.Config)) *gw {
	return q.env.gateway(append([]func(*checkout.Config){func(c *checkout.Config) { c.Store = q.store }}, mod...)...)
}

// openRoom configures event's waiting room, on sale at onSale.
func openRoom(g *gw, event string, onSale time.Time, rate float64) {
	g.t.Helper()
	org := g.login("org-"+event, "organizer")
	g.must(200, "PUT", "/v1/events/"+event+"/waiting-room", org, map[string]any{
		"on_sale_at": onSale.UTC().Format(time.RFC3339Nano), "admit_per_second": rate})
}

func num(m map[string]any, k string) int64 { f, _ := m[k].(float64); return int64(f) }

// storedAdmission reads the waiting room's record from the store.
func storedAdmission(t *testing.T, s checkout.Store, event string) (rate float64, count int64) {
	t.Helper()
	raw, _, err := s.Get(context.Background(), "queue/"+event+"/config")
	if err != nil {
		t.Fatal(err)
	}
	var rec struct {
		Admission struct {
			Count int64   `json:"count"`
			Rate  float64 `json:"rate"`
		} `json:"admission"`
	}
	if err := json.Unmarshal(raw, &rec); err != nil {
		t.Fatal(err)
	}
	return rec.Admission.Rate, rec.Admission.Count
}

// waitFor polls cond until it holds or 20 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond) // poll interval
	}
}

// TestQueueFIFOAcrossGateways: fans joining after the on-sale through two
// gateways sharing one store get positions in the order they joined, one
// to N, concurrent joins get distinct positions, and admission lets them
// in in that order whichever gateway they ask.
func TestQueueFIFOAcrossGateways(t *testing.T) {
	q := newQueueEnv(t, "fifo")
	a, b := q.gateway(), q.gateway()
	openRoom(a, "fifo", q.clock.now().Add(-2*time.Second), 0.001)
	gws := []*gw{a, b}
	var fans []string
	for i := range 10 {
		fan := gws[i%2].login(fmt.Sprintf("fifo-%d", i), "fan")
		st := gws[i%2].must(200, "POST", "/v1/events/fifo/waiting-room/join", fan, nil)
		if st["state"] != "waiting" || num(st, "position") != int64(i+1) {
			t.Fatalf("join %d: %v, want position %d", i, st, i+1)
		}
		fans = append(fans, fan)
	}
	// Concurrent joins: distinct positions 11..30.
	positions := make([]int64, 20)
	var wg sync.WaitGroup
	for i := range positions {
		wg.Go(func() {
			g := gws[i%2]
			fan := g.login(fmt.Sprintf("fifo-c%d", i), "fan")
			positions[i] = num(g.must(200, "POST", "/v1/events/fifo/waiting-room/join", fan, nil), "position")
		})
	}
	wg.Wait()
	slices.Sort(positions)
	for i, p := range positions {
		if p != int64(11+i) {
			t.Fatalf("concurrent joins took positions %v, want 11..30", positions)
		}
	}
	// Admission reaches the first five, on either gateway, in order.
	waitFor(t, "five admitted", func() bool {
		q.clock.advance(500 * time.Second) // half an admission
		_, count := storedAdmission(t, q.store, "fifo")
		return count >= 5
	})
	for i, fan := range fans {
		st := gws[(i+1)%2].must(200, "GET", "/v1/events/fifo/waiting-room/me", fan, nil)
		if admitted := int64(i+1) <= num(st, "admitted_count"); (st["state"] == "admitted") != admitted || num(st, "position") != int64(i+1) {
			t.Fatalf("fan %d: %v", i+1, st)
		}
		if i < 5 && st["state"] != "admitted" {
			t.Fatalf("fan %d not admitted: %v", i+1, st)
		}
	}
}

// TestQueuePollNeedsNoStoreCall: polls and stream ticks are answered from
// the gateway's memory. A poll on the gateway the fan joined costs no
// store call; on a gateway that never saw the fan it costs one read (the
// room) with the queue ticket, and nothing after that; a stream makes no
// call while it reports the admitted count rising.
func TestQueuePollNeedsNoStoreCall(t *testing.T) {
	q := newQueueEnv(t, "polls")
	a := q.gateway(func(c *checkout.Config) { c.QueueStreamInterval = 10 * time.Millisecond })
	b := q.gateway()
	openRoom(a, "polls", q.clock.now().Add(-2*time.Second), 2)
	// 40 fans, so the last one waits about 20 s.
	var joined map[string]any
	var fan string
	for i := range 40 {
		fan = a.login(fmt.Sprintf("polls-%d", i), "fan")
		joined = a.must(200, "POST", "/v1/events/polls/waiting-room/join", fan, nil)
	}
	ticket := str(joined, "queue_ticket")
	if ticket == "" {
		t.Fatalf("join without a queue ticket: %v", joined)
	}

	q.store.reset()
	for range 50 {
		if st := a.must(200, "GET", "/v1/events/polls/waiting-room/me", fan, nil); st["state"] != "waiting" {
			t.Fatalf("poll: %v", st)
		}
	}
	if n := q.store.calls.Load(); n != 0 {
		t.Fatalf("50 polls on the joining gateway made %d store calls (%v), want 0", n, q.store.requestKeys())
	}

	// b has not seen the room nor the fan: one read (the room's record),
	// none for the fan's place (the ticket).
	q.store.reset()
	st := b.must(200, "GET", "/v1/events/polls/waiting-room/me", fan, nil, "X-Queue-Ticket", ticket)
	if num(st, "position") != 40 {
		t.Fatalf("poll on a cold gateway: %v", st)
	}
	if keys := q.store.requestKeys(); q.store.calls.Load() > 1 || !slices.Equal(keys, []string{"queue/polls/config"}) {
		t.Fatalf("a cold gateway's poll made %d calls on %v, want one read of the room", q.store.calls.Load(), keys)
	}
	q.store.reset()
	for range 20 {
		b.must(200, "GET", "/v1/events/polls/waiting-room/me", fan, nil, "X-Queue-Ticket", ticket)
	}
	if n := q.store.calls.Load(); n != 0 {
		t.Fatalf("warm polls on the second gateway made %d calls (%v)", n, q.store.requestKeys())
	}
	// A forged ticket is ignored: the place is read from the store.
	forged := ticket[:len(ticket)-4] + "AAAA"
	if st := b.must(200, "GET", "/v1/events/polls/waiting-room/me", a.login("polls-0", "fan"), nil, "X-Queue-Ticket", forged); num(st, "position") != 1 {
		t.Fatalf("poll with a forged ticket: %v", st)
	}

	// The stream reports the admitted count rising, with no store call.
	s, r := openStream(t, a, "/v1/events/polls/waiting-room/me/stream", fan)
	if s == nil {
		t.Fatalf("stream: %d %s", r.status, r.body)
	}
	q.store.reset()
	var counts []int64
	for len(counts) < 4 {
		_, _, data := s.next(t)
		var st map[string]any
		if err := json.Unmarshal([]byte(data), &st); err != nil {
			t.Fatal(err)
		}
		if st["state"] != "waiting" {
			t.Fatalf("stream event: %v", st)
		}
		counts = append(counts, num(st, "admitted_count"))
		q.clock.advance(time.Second) // two more admitted
	}
	if n := q.store.calls.Load(); n != 0 {
		t.Fatalf("the stream made %d store calls (%v) over %d events", n, q.store.requestKeys(), len(counts))
	}
	if !slices.IsSorted(counts) || counts[0] == counts[len(counts)-1] {
		t.Fatalf("admitted counts on the stream: %v", counts)
	}
}

// TestAdmissionRateHoldsWithManyPollers: with 16 fans polling two
// gateways as fast as they can, the admitted count never runs ahead of
// admit_per_second times the time since the on-sale (plus one), and it
// keeps up with it (within a second's worth).
func TestAdmissionRateHoldsWithManyPollers(t *testing.T) {
	q := newQueueEnv(t, "rate")
	a, b := q.gateway(), q.gateway()
	const rate = 40.0
	onSale := q.clock.now().Add(-time.Second) // admission starts a grace second later
	start := onSale.Add(time.Second)
	openRoom(a, "rate", onSale, rate)
	gws := []*gw{a, b}
	var fans []string
	for i := range 16 {
		fan := gws[i%2].login(fmt.Sprintf("rate-%d", i), "fan")
		gws[i%2].must(200, "POST", "/v1/events/rate/waiting-room/join", fan, nil)
		fans = append(fans, fan)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var polls, ahead atomic.Int64
	var firstAhead atomic.Value
	for i, fan := range fans {
		wg.Go(func() {
			g := gws[i%2]
			for {
				select {
				case <-stop:
					return
				default:
				}
				st := g.must(200, "GET", "/v1/events/rate/waiting-room/me", fan, nil)
				after := q.clock.now()
				polls.Add(1)
				if limit := int64(after.Sub(start).Seconds()*rate) + 1; num(st, "admitted_count") > limit {
					ahead.Add(1)
					firstAhead.CompareAndSwap(nil, fmt.Sprintf("admitted %d > %d", num(st, "admitted_count"), limit))
				}
			}
		})
	}
	// Let the pollers run while 60 admissions (1.5 s) become due.
	waitFor(t, "60 admissions", func() bool {
		_, count := storedAdmission(t, q.store, "rate")
		return count >= 60
	})
	before := q.clock.now()
	st := b.must(200, "GET", "/v1/events/rate/waiting-room/me", fans[0], nil)
	close(stop)
	wg.Wait()
	if n := ahead.Load(); n > 0 {
		t.Fatalf("%d of %d polls saw admission ahead of the rate: %v", n, polls.Load(), firstAhead.Load())
	}
	if due := int64(before.Sub(start).Seconds() * rate); num(st, "admitted_count") < due-int64(rate) {
		t.Fatalf("admitted %d, %d due: admission lags by more than a second", num(st, "admitted_count"), due)
	}
	t.Logf("%d polls; admitted %d", polls.Load(), num(st, "admitted_count"))
}

// TestQueueEarlyArrivalsRanked: fans who join before the on-sale, through
// either gateway, are ranked in a random order into positions 1..N once
// it passes; later arrivals follow from N+1 in order.
func TestQueueEarlyArrivalsRanked(t *testing.T) {
	q := newQueueEnv(t, "early")
	a, b := q.gateway(), q.gateway()
	openRoom(a, "early", q.clock.now().Add(time.Hour), 0.001)
	gws := []*gw{a, b}
	const early = 12
	var fans []string
	for i := range early {
		fan := gws[i%2].login(fmt.Sprintf("early-%d", i), "fan")
		if st := gws[i%2].must(200, "POST", "/v1/events/early/waiting-room/join", fan, nil); st["state"] != "before_sale" {
			t.Fatalf("early join: %v", st)
		}
		fans = append(fans, fan)
	}
	q.clock.advance(time.Hour + 2*time.Second)
	late := b.login("late", "fan")
	if st := b.must(200, "POST", "/v1/events/early/waiting-room/join", late, nil); num(st, "position") != early+1 {
		t.Fatalf("the first late arrival: %v, want position %d", st, early+1)
	}
	var positions []int64
	for i, fan := range fans {
		st := gws[(i+1)%2].must(200, "GET", "/v1/events/early/waiting-room/me", fan, nil)
		if st["state"] != "waiting" {
			t.Fatalf("early fan after the on-sale: %v", st)
		}
		positions = append(positions, num(st, "position"))
	}
	inJoinOrder := slices.IsSorted(positions)
	slices.Sort(positions)
	for i, p := range positions {
		if p != int64(i+1) {
			t.Fatalf("early arrivals ranked %v, want 1..%d", positions, early)
		}
	}
	if inJoinOrder {
		t.Logf("the random ranking came out in join order (1 in %d! odds)", early)
	}
	// An early arrival who joins again after the on-sale, on a gateway
	// that never saw them, keeps the ranked place (the join mark refuses
	// a seq).
	c := q.gateway()
	ranked := num(gws[1].must(200, "GET", "/v1/events/early/waiting-room/me", fans[0], nil), "position")
	if st := c.must(200, "POST", "/v1/events/early/waiting-room/join", fans[0], nil); num(st, "position") != ranked {
		t.Fatalf("an early arrival's rejoin after the on-sale: %v, want position %d", st, ranked)
	}
	if st := a.must(200, "POST", "/v1/events/early/waiting-room/join", a.login("later", "fan"), nil); num(st, "position") != early+2 {
		t.Fatalf("the second late arrival: %v, want position %d", st, early+2)
	}
}

// TestQueueRejoinKeepsThePlace: a join after the on-sale makes one call
// (a Batch: the seq and the fan's join mark), and no Idempotency-Key
// record; joining again on the same gateway (no call) or another (the
// same Batch, answered by the store's dedup) answers the first position.
func TestQueueRejoinKeepsThePlace(t *testing.T) {
	q := newQueueEnv(t, "rejoin")
	a, b := q.gateway(), q.gateway()
	openRoom(a, "rejoin", q.clock.now().Add(-2*time.Second), 0.001)
	first := a.login("first", "fan")
	a.must(200, "POST", "/v1/events/rejoin/waiting-room/join", first, nil)
	fan := a.login("twice", "fan")
	q.store.reset()
	st := a.must(200, "POST", "/v1/events/rejoin/waiting-room/join", fan, nil)
	if num(st, "position") != 2 {
		t.Fatalf("join: %v", st)
	}
	// The join itself: one Batch (the position and the mark).
	if n := q.store.calls.Load(); n != 1 || q.store.queueCalls.Load() != 1 {
		t.Fatalf("a join after the on-sale made %d calls (%v), want one Batch", n, q.store.requestKeys())
	}
	q.store.reset()
	if again := a.must(200, "POST", "/v1/events/rejoin/waiting-room/join", fan, nil); num(again, "position") != 2 {
		t.Fatalf("rejoin on the same gateway: %v", again)
	}
	for _, k := range q.store.requestKeys() {
		if strings.HasPrefix(k, "queue/") {
			t.Fatalf("a rejoin on the same gateway touched %s", k)
		}
	}
	q.store.reset()
	if again := b.must(200, "POST", "/v1/events/rejoin/waiting-room/join", fan, nil); num(again, "position") != 2 {
		t.Fatalf("rejoin on another gateway: %v", again)
	}
	if keys := q.store.requestKeys(); !slices.Contains(keys, "queue/{q:rejoin}/seq") || slices.ContainsFunc(keys, func(k string) bool { return strings.HasPrefix(k, "idem/") }) {
		t.Fatalf("a rejoin on another gateway touched %v", keys)
	}
	// A poll on a third gateway, without the queue ticket, finds the
	// place from the join mark and the join's answer.
	c := q.gateway()
	if again := c.must(200, "GET", "/v1/events/rejoin/waiting-room/me", fan, nil); num(again, "position") != 2 {
		t.Fatalf("poll without a ticket on a third gateway: %v", again)
	}
	if r := c.do("GET", "/v1/events/rejoin/waiting-room/me", c.login("stranger", "fan"), nil); r.status != http.StatusNotFound {
		t.Fatalf("poll of a fan who never joined: %d %s", r.status, r.body)
	}
	if again := b.must(200, "GET", "/v1/events/rejoin/waiting-room/me", fan, nil); num(again, "position") != 2 {
		t.Fatalf("poll after the rejoin: %v", again)
	}
}

// TestAdmissionSlowsUnderPressure: while the store answers the
// gateway's other calls with UNAVAILABLE, the waiting room's published
// admission rate falls below admit_per_second (never under a tenth of
// it); once the store recovers, the rate climbs back to the configured
// one.
func TestAdmissionSlowsUnderPressure(t *testing.T) {
	q := newQueueEnv(t, "slow")
	a := q.gateway()
	const rate = 100.0
	openRoom(a, "slow", q.clock.now().Add(-2*time.Second), rate)
	fan := a.login("slow-fan", "fan")
	a.must(200, "POST", "/v1/events/slow/waiting-room/join", fan, nil)
	waitFor(t, "the room's loop to publish the rate", func() bool {
		r, _ := storedAdmission(t, q.store, "slow")
		return r == rate
	})
	q.store.fail(func(key string) bool { return !strings.HasPrefix(key, "queue/") })
	waitFor(t, "the admission rate to fall", func() bool {
		a.do("GET", "/v1/orders", fan, nil) // a store call that fails (or is shed)
		r, _ := storedAdmission(t, q.store, "slow")
		if r < rate*0.1 {
			t.Fatalf("admission rate %v under the floor", r)
		}
		return r <= rate/2
	})
	q.store.fail(nil)
	waitFor(t, "the admission rate to recover", func() bool {
		a.do("GET", "/v1/orders", fan, nil)
		r, _ := storedAdmission(t, q.store, "slow")
		return r == rate
	})
}

// TestQueuePollThroughput measures GET .../waiting-room/me over HTTP on
// one gateway from parallel clients, answered from memory; it logs polls
// a second and store calls per poll. A measurement, not a check: it runs
// with QUEUE_POLL_BENCH=1 (go test -run TestQueuePollThroughput -v).
func TestQueuePollThroughput(t *testing.T) {
	if envInt("QUEUE_POLL_BENCH") == 0 {
		t.Skip("a measurement: set QUEUE_POLL_BENCH=1")
	}
	q := newQueueEnv(t, "bench")
	g := q.gateway()
	openRoom(g, "bench", q.clock.now().Add(-2*time.Second), 0.001)
	var fans []string
	for i := range 64 {
		fan := g.login(fmt.Sprintf("bench-%d", i), "fan")
		g.must(200, "POST", "/v1/events/bench/waiting-room/join", fan, nil)
		fans = append(fans, fan)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	var next atomic.Int64
	q.store.reset()
	res := testing.Benchmark(func(b *testing.B) {
		b.SetParallelism(4)
		b.RunParallel(func(pb *testing.PB) {
			fan := fans[next.Add(1)%int64(len(fans))]
			for pb.Next() {
				req, _ := http.NewRequest("GET", g.srv.URL+"/v1/events/bench/waiting-room/me", nil)
				req.Header.Set("Authorization", "Bearer "+fan)
				r, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, r.Body)
				r.Body.Close()
				if r.StatusCode != 200 {
					b.Fatalf("poll: %d", r.StatusCode)
				}
			}
		})
	})
	t.Logf("%d polls in %v: %.0f polls/s, %v a poll, %.3f store calls a poll",
		res.N, res.T, float64(res.N)/res.T.Seconds(), res.T/time.Duration(res.N), float64(q.store.calls.Load())/float64(res.N))
}

// TestQueueAdmissionWindowExpires: a fan's admission window opens at
// their first admission and closes AdmissionTokenTTL later, on every
// gateway (the first admission is recorded in the fan's entry); the
// gateway exports the admission rate and the store pressure.
func TestQueueAdmissionWindowExpires(t *testing.T) {
	q := newQueueEnv(t, "window")
	ttl := time.Minute
	a := q.gateway(func(c *checkout.Config) { c.AdmissionTokenTTL = ttl })
	b := q.gateway(func(c *checkout.Config) { c.AdmissionTokenTTL = ttl })
	openRoom(a, "window", q.clock.now().Add(-2*time.Second), 10)
	fan := a.login("window-fan", "fan")
	st := a.must(200, "POST", "/v1/events/window/waiting-room/join", fan, nil)
	if st["state"] != "admitted" || str(st, "admission_token") == "" {
		t.Fatalf("join after the on-sale with admissions due: %v", st)
	}
	q.clock.advance(ttl / 2)
	if st := b.must(200, "GET", "/v1/events/window/waiting-room/me", fan, nil); st["state"] != "admitted" {
		t.Fatalf("half way through the window, on the other gateway: %v", st)
	}
	q.clock.advance(ttl)
	for _, g := range []*gw{a, b} {
		if st := g.must(200, "GET", "/v1/events/window/waiting-room/me", fan, nil); st["state"] != "expired" || str(st, "admission_token") != "" {
			t.Fatalf("after the window: %v", st)
		}
	}
	waitFor(t, "the admission rate metric", func() bool {
		return a.metric(t, `boxoffice_gateway_admission_rate{event="window"}`) == "10"
	})
	if v := a.metric(t, `boxoffice_gateway_store_pressure{signal="saturated"}`); v != "0" {
		t.Fatalf("store pressure saturated = %q on a healthy store", v)
	}
}

// TestQueueGoesOnFromAnOlderRecord: a waiting room sealed by a gateway
// that kept the admitted count under queue/<event>/admitted goes on from
// that count.
func TestQueueGoesOnFromAnOlderRecord(t *testing.T) {
	q := newQueueEnv(t, "older")
	ctx := context.Background()
	onSale := q.clock.now().Add(-time.Hour)
	asOf := q.clock.now().Add(-time.Second)
	config := fmt.Sprintf(`{"on_sale_at":%q,"admit_per_second":0.001,"sealed":true,"early_count":0}`, onSale.UTC().Format(time.RFC3339Nano))
	admitted := fmt.Sprintf(`{"count":7,"as_of":%q}`, asOf.UTC().Format(time.RFC3339Nano))
	if _, err := q.store.CompareAndSwap(ctx, "queue/older/config", 0, []byte(config)); err != nil {
		t.Fatal(err)
	}
	if _, err := q.store.CompareAndSwap(ctx, "queue/older/admitted", 0, []byte(admitted)); err != nil {
		t.Fatal(err)
	}
	a := q.gateway()
	fan := a.login("older-fan", "fan")
	a.must(200, "POST", "/v1/events/older/waiting-room/join", fan, nil)
	waitFor(t, "the record to take the older count", func() bool {
		_, count := storedAdmission(t, q.store, "older")
		return count == 7
	})
	if st := a.must(200, "GET", "/v1/events/older/waiting-room/me", fan, nil); st["state"] != "admitted" || num(st, "admitted_count") != 7 {
		t.Fatalf("the first fan after an older seal: %v", st)
	}
}

// forgetfulStore forgets every Batch request id the store has seen when
// told to, as the cluster's dedup does after its window.
type forgetfulStore struct {
	checkout.Store
	generation atomic.Int64
}

func (s *forgetfulStore) forget() { s.generation.Add(1) }

func (s *forgetfulStore) Batch(ctx context.Context, requestID string, ops []checkout.Op) ([]checkout.OpResult, error) {
	if requestID != "" {
		requestID += fmt.Sprintf("#%d", s.generation.Load())
	}
	return s.Store.Batch(ctx, requestID, ops)
}

// TestQueueRejoinAfterTheDedupWindow: once the store has forgotten a
// join's request id, a fan who rejoins on another gateway, not yet
// admitted, is placed again at the back, and every gateway then finds
// that place; a fan already admitted keeps the place and the admission
// window.
func TestQueueRejoinAfterTheDedupWindow(t *testing.T) {
	q := newQueueEnv(t, "forgot")
	q.event("forgot_admitted")
	store := &forgetfulStore{Store: q.store}
	gws := make([]*gw, 4)
	for i := range gws {
		gws[i] = q.gateway(func(c *checkout.Config) { c.Store = store })
	}
	a, b, c, d := gws[0], gws[1], gws[2], gws[3]
	openRoom(a, "forgot", q.clock.now().Add(-2*time.Second), 0.001)
	openRoom(a, "forgot_admitted", q.clock.now().Add(-2*time.Second), 10)
	first, second := a.login("forgot-1", "fan"), a.login("forgot-2", "fan")
	a.must(200, "POST", "/v1/events/forgot/waiting-room/join", first, nil)
	a.must(200, "POST", "/v1/events/forgot/waiting-room/join", second, nil)
	admitted := a.must(200, "POST", "/v1/events/forgot_admitted/waiting-room/join", first, nil)
	if admitted["state"] != "admitted" {
		t.Fatalf("join with admissions due: %v", admitted)
	}
	store.forget()

	if st := b.must(200, "POST", "/v1/events/forgot/waiting-room/join", first, nil); num(st, "position") != 3 {
		t.Fatalf("rejoin after the dedup window: %v, want position 3 (the back)", st)
	}
	for _, g := range []*gw{c, d} {
		if st := g.must(200, "GET", "/v1/events/forgot/waiting-room/me", first, nil); num(st, "position") != 3 {
			t.Fatalf("poll without a ticket after the rejoin: %v", st)
		}
	}
	if st := c.must(200, "POST", "/v1/events/forgot/waiting-room/join", first, nil); num(st, "position") != 3 {
		t.Fatalf("a second rejoin: %v", st)
	}
	st := b.must(200, "POST", "/v1/events/forgot_admitted/waiting-room/join", first, nil)
	if st["state"] != "admitted" || num(st, "position") != 1 || st["admission_expires_at"] != admitted["admission_expires_at"] {
		t.Fatalf("an admitted fan's rejoin after the dedup window: %v, first %v", st, admitted)
	}
}

// TestQueueAdmittedNoticeOnce: two gateways that both know a fan's place
// see the fan's admission at once; one of them records it, both answer
// the same admission window, and one queue.admitted notification is
// queued.
func TestQueueAdmittedNoticeOnce(t *testing.T) {
	q := newQueueEnv(t, "once")
	a, b := q.gateway(), q.gateway()
	openRoom(a, "once", q.clock.now().Add(-2*time.Second), 1)
	for i := range 2 {
		a.must(200, "POST", "/v1/events/once/waiting-room/join", a.login(fmt.Sprintf("once-%d", i), "fan"), nil)
	}
	fan := a.login("once-fan", "fan")
	joined := a.must(200, "POST", "/v1/events/once/waiting-room/join", fan, nil)
	if joined["state"] != "waiting" || num(joined, "position") != 3 {
		t.Fatalf("join: %v", joined)
	}
	b.must(200, "GET", "/v1/events/once/waiting-room/me", fan, nil, "X-Queue-Ticket", str(joined, "queue_ticket"))
	waitFor(t, "three admitted", func() bool {
		q.clock.advance(500 * time.Millisecond)
		_, count := storedAdmission(t, q.store, "once")
		return count >= 3
	})
	answers := make([]map[string]any, 2)
	var wg sync.WaitGroup
	for i, g := range []*gw{a, b} {
		wg.Go(func() { answers[i] = g.must(200, "GET", "/v1/events/once/waiting-room/me", fan, nil) })
	}
	wg.Wait()
	for _, st := range answers {
		if st["state"] != "admitted" || st["admission_expires_at"] != answers[0]["admission_expires_at"] {
			t.Fatalf("admissions on two gateways: %v", answers)
		}
	}
	kvs, err := q.store.Scan(context.Background(), "outbox/{f:once-fan}/", "", checkout.ScanLimitMax)
	if err != nil {
		t.Fatal(err)
	}
	if len(kvs) != 1 || !strings.Contains(string(kvs[0].Value), `"queue.admitted"`) {
		t.Fatalf("%d notifications queued for one admission: %v", len(kvs), kvs)
	}
}
