package checkout_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice/checkout"
)

// TestJanitorDeletesExpiredRecords: idempotency records go after a day,
// webhook dedup records after a week (a legacy record without a time after
// a week from when the janitor first saw it); younger ones stay; one
// gateway sweeps at a time; and Gateway.Run sweeps on its own.
func TestJanitorDeletesExpiredRecords(t *testing.T) {
	e := newEnv(t)
	e.event("tidy")
	a, b := e.gateway(), e.gateway()
	ctx := context.Background()
	count := func(prefix string) int {
		t.Helper()
		kvs, err := e.store.Scan(ctx, prefix, "", checkout.ScanLimitMax)
		if err != nil {
			t.Fatal(err)
		}
		return len(kvs)
	}
	// wantDeleted counts the idempotency and webhook records a pass
	// deletes; it may also delete records of other prefixes.
	sweep := func(g *gw, wantRan bool, wantDeleted int) {
		t.Helper()
		before := count("idem/") + count("webhook/")
		_, ran, err := g.g.SweepExpired(ctx)
		if deleted := before - count("idem/") - count("webhook/"); err != nil || ran != wantRan || deleted != wantDeleted {
			t.Fatalf("sweep: deleted %d, ran %v, err %v; want %d, %v", deleted, ran, err, wantDeleted, wantRan)
		}
	}
	fan := a.login("tidy", "fan")
	order, _ := pendingOrder(t, a, fan, "tidy")
	body, sig, err := e.fake().Complete(str(order["payment"].(map[string]any), "intent_id"), true)
	if err != nil {
		t.Fatal(err)
	}
	if r := deliver(t, a, body, sig); r.status != 200 {
		t.Fatalf("webhook: %d %s", r.status, r.body)
	}
	// A record from before dedup records carried their time.
	if _, err := e.store.CompareAndSwap(ctx, "webhook/evt_legacy", 0, []byte("payment_intent.succeeded")); err != nil {
		t.Fatal(err)
	}
	idem := count("idem/")
	if idem != 3 || count("webhook/") != 2 {
		t.Fatalf("before: %d idempotency records (want login, hold, order), %d webhook records", idem, count("webhook/"))
	}

	sweep(a, true, 0)  // all young
	sweep(b, false, 0) // a holds the lease

	e.clock.advance(checkout.IdempotencyRetentionDefault + time.Hour)
	a.login("late", "fan") // young: stays
	sweep(b, true, idem)   // a's lease has lapsed: b takes over
	if count("idem/") != 1 || count("webhook/") != 2 {
		t.Fatalf("after a day: %d idempotency records (want 1), %d webhook records (want 2)", count("idem/"), count("webhook/"))
	}
	if r := deliver(t, a, body, sig); r.status != 200 || r.json(t)["duplicate"] != true {
		t.Fatalf("webhook replayed within its retention: %d %s", r.status, r.body)
	}

	e.clock.advance(checkout.WebhookDedupRetentionDefault)
	// The real webhook record, the late login, and the legacy record,
	// stamped by the first sweep more than a week ago.
	sweep(a, true, 3)
	if n := count("idem/") + count("webhook/"); n != 0 {
		t.Fatalf("%d records left", n)
	}

	// Run sweeps by itself.
	runner := e.gateway(func(c *checkout.Config) { c.JanitorInterval = 20 * time.Millisecond })
	runner.login("runner", "fan")
	e.clock.advance(checkout.IdempotencyRetentionDefault + time.Hour)
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	go runner.g.Run(runCtx)
	for deadline := time.Now().Add(10 * time.Second); count("idem/") != 0; time.Sleep(10 * time.Millisecond) { // poll interval
		if time.Now().After(deadline) {
			t.Fatal("Run never swept the expired idempotency record")
		}
	}
}

// TestJanitorSweepsEveryPrefixWithALifetime: records under outbox/,
// deadletter/, fanhold/ and buyer/ were never deleted; now each goes
// once past its lifetime, and the live ones stay (a buyer record with
// owned seats stays for the event's life).
func TestJanitorSweepsEveryPrefixWithALifetime(t *testing.T) {
	e := newEnv(t)
	e.event("sweep")
	a := e.gateway()
	ctx := context.Background()
	count := func(prefix string) int {
		t.Helper()
		kvs, err := e.store.Scan(ctx, prefix, "", checkout.ScanLimitMax)
		if err != nil {
			t.Fatal(err)
		}
		return len(kvs)
	}
	expect := func(when string, want map[string]int) {
		t.Helper()
		if _, ran, err := a.g.SweepExpired(ctx); err != nil || !ran {
			t.Fatalf("%s: sweep ran %v: %v", when, ran, err)
		}
		for prefix, n := range want {
			if got := count(prefix); got != n {
				t.Fatalf("%s: %d records under %s, want %d", when, got, prefix, n)
			}
		}
	}
	// A hold makes a fanhold/ record, a buyer/ counter and an outbox/
	// notice (hold expiring, undelivered: no NotifyURL).
	early := a.login("early", "fan")
	a.must(201, "POST", "/v1/events/sweep/holds", early, map[string]any{"seats": []string{"A-A-1"}})
	dead := fmt.Sprintf(`{"id":"ntf_dead","kind":"order.confirmed","fan":"early","event_id":"sweep","created_at":%q,"not_before":%q,"attempts":12}`,
		e.clock.now().UTC().Format(time.RFC3339Nano), e.clock.now().UTC().Format(time.RFC3339Nano))
	if _, err := e.store.CompareAndSwap(ctx, "deadletter/ntf_dead", 0, []byte(dead)); err != nil {
		t.Fatal(err)
	}
	expect("at once", map[string]int{"fanhold/": 1, "buyer/": 1, "outbox/": 1, "deadletter/": 1})

	// Past the hold: its record goes with its counts, and the counter at
	// 0 with it; the records of a fan holding now stay. (They are written
	// here: the cluster expires holds by its own clock, which the test
	// does not move.)
	e.clock.advance(checkout.HoldTTLDefault + 2*time.Minute)
	until := e.clock.now().Add(checkout.HoldTTLDefault).UTC().Format(time.RFC3339Nano)
	for key, value := range map[string]string{
		"fanhold/{f:late}/h_live": fmt.Sprintf(`{"hold_id":"h_live","event_id":"sweep","seats":["A-A-2"],"expires_at":%q,"base":"h_live","reservation_id":"r_live","count":1}`, until),
		"buyer/{f:late}/sweep":    "1",
		"quota/holds/{f:late}":    "1",
		"buyer/{f:owner}/sweep":   "2",
	} {
		if _, err := e.store.CompareAndSwap(ctx, key, 0, []byte(value)); err != nil {
			t.Fatal(err)
		}
	}
	expect("after the hold", map[string]int{"fanhold/{f:late}/": 1, "fanhold/": 1, "buyer/{f:late}/sweep": 1, "buyer/": 2, "outbox/": 1, "deadletter/": 1})
	if v, _, err := e.store.Get(ctx, "quota/holds/{f:early}"); err != nil || string(v) != "0" {
		t.Fatalf("the expired hold's quota count: %s %v, want 0", v, err)
	}

	e.clock.advance(checkout.OutboxRetentionDefault)
	expect("after the outbox retention", map[string]int{"fanhold/": 0, "buyer/": 1, "outbox/": 0, "deadletter/": 1})

	e.clock.advance(checkout.DeadLetterRetentionDefault)
	expect("after the dead-letter retention", map[string]int{"deadletter/": 0})

	metrics := string(a.do("GET", "/metrics", "", nil).body)
	for _, want := range []string{
		`boxoffice_gateway_janitor_deleted_total{prefix="fanhold/"} 2`,
		`boxoffice_gateway_janitor_deleted_total{prefix="buyer/"} 2`,
		`boxoffice_gateway_janitor_deleted_total{prefix="outbox/"} 1`,
		`boxoffice_gateway_janitor_deleted_total{prefix="deadletter/"} 1`,
		`boxoffice_gateway_janitor_kept_records{prefix="outbox/"} 0`,
		`boxoffice_gateway_janitor_kept_records{prefix="buyer/"} 1`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// TestJanitorPassIsBounded: a pass reads a bounded number of records per
// prefix and the next pass goes on where it stopped, so a store with a
// backlog is cleaned over several passes, none of them unbounded.
func TestJanitorPassIsBounded(t *testing.T) {
	e := newEnv(t)
	a := e.gateway()
	ctx := context.Background()
	const backlog = 10*checkout.ScanLimitMax + 500
	old := fmt.Sprintf(`{"request_hash":"h","state":"done","started_at":%q,"status":200}`, e.clock.now().UTC().Format(time.RFC3339Nano))
	for i := range backlog {
		if _, err := e.store.CompareAndSwap(ctx, fmt.Sprintf("idem/backlog/%06d", i), 0, []byte(old)); err != nil {
			t.Fatal(err)
		}
	}
	e.clock.advance(checkout.IdempotencyRetentionDefault + time.Hour)
	for pass, want := range []int{10 * checkout.ScanLimitMax, 500, 0} {
		deleted, ran, err := a.g.SweepExpired(ctx)
		if err != nil || !ran || deleted != want {
			t.Fatalf("pass %d: deleted %d, ran %v, err %v; want %d", pass+1, deleted, ran, err, want)
		}
	}
}
