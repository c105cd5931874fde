package checkout_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/checkout"
)

// refuseBatchStore fails, without applying it, the first Batch that has
// an operation matching, as a gateway dying just before that write.
type refuseBatchStore struct {
	checkout.Store
	match  func(checkout.Op) bool
	failed atomic.Bool
}

func (s *refuseBatchStore) Batch(ctx context.Context, requestID string, ops []checkout.Op) ([]checkout.OpResult, error) {
	if slices.ContainsFunc(ops, s.match) && s.failed.CompareAndSwap(false, true) {
		return nil, errors.New("gateway died")
	}
	return s.Store.Batch(ctx, requestID, ops)
}

func counter(t *testing.T, e *env, key string) string {
	t.Helper()
	raw, _, err := e.store.Get(context.Background(), key)
	if errors.Is(err, checkout.ErrNotFound) {
		return "0"
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// TestSaleDiesBetweenTicketsAndOrder: the gateway selling a paid order
// writes the ticket records and dies before the batch that marks the
// order paid. The order is still pending with its reconciler marker; the
// reconciler on another gateway sells again (the same answer), finds the
// tickets written and finishes: order paid, tickets listed, the hold
// turned into owned seats, the seats still counted, the marker gone.
func TestSaleDiesBetweenTicketsAndOrder(t *testing.T) {
	e := newEnv(t)
	e.event("die")
	a := e.gateway(func(c *checkout.Config) {
		c.Store = &refuseBatchStore{Store: e.store, match: func(op checkout.Op) bool {
			return op.Kind == checkout.OpDelete && strings.HasPrefix(op.Key, "openorder/")
		}}
	})
	b := e.gateway()
	fan := a.login("dier", "fan")
	order, _ := pendingOrder(t, a, fan, "die")
	if r := a.do("POST", "/v1/orders/"+str(order, "order_id")+"/fake-pay", fan, map[string]any{}); r.status < 500 {
		t.Fatalf("fake-pay through a dying gateway: %d %s", r.status, r.body)
	}
	if st := orderState(t, b, fan, order)["state"]; st != "pending" {
		t.Fatalf("order after the dying sale: %v", st)
	}
	if err := b.g.Reconcile(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := orderState(t, b, fan, order)
	if got["state"] != "paid" || len(got["tickets"].([]any)) != 2 {
		t.Fatalf("order after the reconciler: %v", got)
	}
	if n := len(b.must(200, "GET", "/v1/tickets", fan, nil)["tickets"].([]any)); n != 2 {
		t.Fatalf("%d tickets listed, want 2", n)
	}
	ctx := context.Background()
	for prefix, want := range map[string]int{"openorder/": 0, "fanhold/{f:dier}/": 0, "owned/{f:dier}/": 1} {
		kvs, err := e.store.Scan(ctx, prefix, "", 10)
		if err != nil || len(kvs) != want {
			t.Fatalf("%d records under %s, want %d (%v)", len(kvs), prefix, want, err)
		}
	}
	if c := counter(t, e, "buyer/{f:dier}/die"); c != "2" {
		t.Fatalf("seats counted: %s, want 2", c)
	}
	if c := counter(t, e, "quota/holds/{f:dier}"); c != "0" {
		t.Fatalf("holds counted: %s, want 0", c)
	}
}

// TestHoldCountsGoBack: a hold the cluster refuses gives its counts back
// in one batch, and a hold whose gateway died after counting it and
// before asking the cluster is reclaimed once it would have expired, by
// the fan's next hold that meets the limit: no crashed request keeps a
// fan from buying.
func TestHoldCountsGoBack(t *testing.T) {
	e := newEnv(t)
	e.event("back")
	a := e.gateway(func(c *checkout.Config) { c.TicketLimitPerBuyer = 2 })
	fan := a.login("backer", "fan")
	a.must(201, "POST", "/v1/events/back/holds", a.login("other", "fan"), map[string]any{"seats": []string{"A-A-1"}})
	if r := a.do("POST", "/v1/events/back/holds", fan, map[string]any{"seats": []string{"A-A-1", "A-A-2"}}); r.status != 409 {
		t.Fatalf("hold of a taken seat: %d %s", r.status, r.body)
	}
	if c := counter(t, e, "buyer/{f:backer}/back"); c != "0" {
		t.Fatalf("seats counted after a refused hold: %s", c)
	}
	if c := counter(t, e, "quota/holds/{f:backer}"); c != "0" {
		t.Fatalf("holds counted after a refused hold: %s", c)
	}

	// A gateway that counts a hold and dies before the cluster's answer.
	dying := e.gateway(func(c *checkout.Config) {
		c.TicketLimitPerBuyer = 2
		c.Inventory = failingHolds{Inventory: c.Inventory}
	})
	if r := dying.do("POST", "/v1/events/back/holds", fan, map[string]any{"best": map[string]any{"quantity": 2}}); r.status < 500 {
		t.Fatalf("hold through a dying gateway: %d %s", r.status, r.body)
	}
	if c := counter(t, e, "buyer/{f:backer}/back"); c != "2" {
		t.Fatalf("seats counted by the dead request: %s, want 2 until it expires", c)
	}
	r := a.do("POST", "/v1/events/back/holds", fan, map[string]any{"best": map[string]any{"quantity": 1}})
	if r.status != 422 || problemType(t, r) != "ticket-limit-exceeded" {
		t.Fatalf("hold while the dead request's count lives: %d %s", r.status, r.body)
	}
	e.clock.advance(checkout.HoldTTLDefault + 2*reservationSlackForTest)
	defer e.clock.advance(-checkout.HoldTTLDefault - 2*reservationSlackForTest)
	a.must(201, "POST", "/v1/events/back/holds", fan, map[string]any{"best": map[string]any{"quantity": 2}})
	if c := counter(t, e, "buyer/{f:backer}/back"); c != "2" {
		t.Fatalf("seats counted after the reclaim: %s, want 2", c)
	}
}

// reservationSlackForTest is checkout's reservationSlack.
const reservationSlackForTest = 30 * time.Second

// failingHolds answers every Hold with an unavailable cluster, as a
// request whose answer never came.
type failingHolds struct{ checkout.Inventory }

func (failingHolds) Hold(context.Context, *boxofficev1.HoldRequest) (*boxofficev1.HoldResponse, error) {
	return nil, status.Error(codes.Unavailable, "no answer")
}
