package checkout_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/checkout"
)

// TestFanOverHoldQuotaIsRefused: a fan could make the gateway keep any
// number of hold records by holding across events; now a fan with
// HoldsPerFan active holds is refused a further one with a 429
// quota-exceeded problem, and nothing is written: no hold record, no
// reservation, no seat held in the cluster. Releasing a hold makes room.
func TestFanOverHoldQuotaIsRefused(t *testing.T) {
	e := newEnv(t)
	e.event("quota")
	a := e.gateway(func(c *checkout.Config) { c.HoldsPerFan = 2 })
	ctx := context.Background()
	fan := a.login("hoarder", "fan")
	first := a.must(201, "POST", "/v1/events/quota/holds", fan, map[string]any{"seats": []string{"A-A-1"}})
	a.must(201, "POST", "/v1/events/quota/holds", fan, map[string]any{"seats": []string{"A-A-2"}})

	_, buyerVersion, err := e.store.Get(ctx, "buyer/{f:hoarder}/quota")
	if err != nil {
		t.Fatal(err)
	}
	r := a.do("POST", "/v1/events/quota/holds", fan, map[string]any{"seats": []string{"A-A-3"}})
	p := r.json(t)
	if r.status != http.StatusTooManyRequests || p["type"] != "https://boxoffice.dev/problems/quota-exceeded" ||
		p["quota"] != "holds_per_fan" || p["limit"] != float64(2) || p["current"] != float64(2) || r.header.Get("Retry-After") == "" {
		t.Fatalf("third hold: %d %v %s", r.status, r.header, r.body)
	}
	if kvs, _ := e.store.Scan(ctx, "fanhold/{f:hoarder}/", "", 10); len(kvs) != 2 {
		t.Fatalf("%d hold records after the refusal, want 2", len(kvs))
	}
	if _, v, _ := e.store.Get(ctx, "buyer/{f:hoarder}/quota"); v != buyerVersion {
		t.Fatal("the refused hold changed the fan's reservations")
	}
	sm, err := e.cluster.GetSeatMap(ctx, &boxofficev1.GetSeatMapRequest{EventId: "quota", SectionIds: []string{"A"}})
	if err != nil {
		t.Fatal(err)
	}
	if sm.GetHeld() != 2 {
		t.Fatalf("%d seats held in the cluster, want 2", sm.GetHeld())
	}

	a.must(200, "POST", "/v1/holds/"+str(first, "hold_id")+"/release", fan, nil)
	a.must(201, "POST", "/v1/events/quota/holds", fan, map[string]any{"seats": []string{"A-A-3"}})
}

// TestFanOverIdempotencyKeyQuotaIsRefused: every new Idempotency-Key is a
// record kept a day, so a fan could fill the store with POSTs; now the
// key past IdempotencyKeysPerFan in an hour is refused with a 429
// quota-exceeded problem whose Retry-After ends at the hour, and no
// record of it is kept. Repeats of used keys still replay, other fans and
// staff are not affected, and the next hour is open again.
func TestFanOverIdempotencyKeyQuotaIsRefused(t *testing.T) {
	e := newEnv(t)
	e.event("keys")
	const limit = 5
	a := e.gateway(func(c *checkout.Config) { c.IdempotencyKeysPerFan = limit })
	ctx := context.Background()
	fan := a.login("spammer", "fan")
	records := func() int {
		kvs, err := e.store.Scan(ctx, "idem/{f:spammer}/", "", checkout.ScanLimitMax)
		if err != nil {
			t.Fatal(err)
		}
		return len(kvs)
	}
	// Transferring a ticket nobody holds is refused, and the refusal is
	// recorded for replay like any answer.
	a.login("recipient", "fan")
	const transfer = "/v1/tickets/tkt_none/transfer"
	to := map[string]any{"to": "recipient"}
	for i := range limit {
		a.must(404, "POST", transfer, fan, to, "Idempotency-Key", "key-"+strconv.Itoa(i))
	}
	r := a.do("POST", transfer, fan, to, "Idempotency-Key", "key-over")
	p := r.json(t)
	retry, _ := strconv.Atoi(r.header.Get("Retry-After"))
	if r.status != http.StatusTooManyRequests || p["type"] != "https://boxoffice.dev/problems/quota-exceeded" ||
		p["quota"] != "idempotency_keys_per_hour" || retry < 1 || retry > 3600 {
		t.Fatalf("key over the quota: %d %v %s", r.status, r.header, r.body)
	}
	if n := records(); n != limit {
		t.Fatalf("%d idempotency records of the fan, want %d", n, limit)
	}
	if r := a.do("POST", transfer, fan, to, "Idempotency-Key", "key-0"); r.status != 404 || r.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("repeat of a used key: %d %v %s", r.status, r.header, r.body)
	}
	a.must(404, "POST", transfer, a.login("other", "fan"), to)
	organizer := a.login("org", "organizer")
	for range limit + 1 {
		a.must(202, "POST", "/v1/events/keys/notices", organizer, map[string]any{"kind": "event.reminder", "message": "doors at 7"})
	}

	e.clock.advance(time.Duration(retry) * time.Second)
	a.must(404, "POST", transfer, fan, to, "Idempotency-Key", "key-over")
	// The janitor deletes the past hour's counter, not the current one.
	e.clock.advance(10 * time.Minute)
	if _, _, err := a.g.SweepExpired(ctx); err != nil {
		t.Fatal(err)
	}
	kvs, err := e.store.Scan(ctx, "quota/keys/", "", checkout.ScanLimitMax)
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range kvs {
		if strings.HasPrefix(kv.Key, "quota/keys/{f:spammer}/") && string(kv.Value) != "1" {
			t.Fatalf("quota counters left: %s = %s", kv.Key, kv.Value)
		}
	}
	if len(kvs) != 1 {
		t.Fatalf("%d quota counters after the sweep, want the current hour's one", len(kvs))
	}
}
