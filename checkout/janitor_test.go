package checkout_test

import (
	"context"
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
	sweep := func(g *gw, wantRan bool, wantDeleted int) {
		t.Helper()
		deleted, ran, err := g.g.SweepExpired(ctx)
		if err != nil || ran != wantRan || deleted != wantDeleted {
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
	for deadline := time.Now().Add(10 * time.Second); count("idem/") != 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("Run never swept the expired idempotency record")
		}
	}
}
