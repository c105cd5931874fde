package checkout_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/boxoffice/boxoffice/checkout"
)

// failOnceStore refuses the first write of a key with prefix, as a store
// call of a request whose gateway died (or whose client hung up) half way.
type failOnceStore struct {
	checkout.Store
	prefix string
	failed atomic.Bool
}

func (s *failOnceStore) CompareAndSwap(ctx context.Context, key string, expected uint64, value []byte) (uint64, error) {
	if strings.HasPrefix(key, s.prefix) && s.failed.CompareAndSwap(false, true) {
		return 0, errors.New("store unavailable")
	}
	return s.Store.CompareAndSwap(ctx, key, expected, value)
}

// TestOrderRetryFinishesWhatTheFirstAttemptLeft: the first attempt of
// POST /v1/orders writes the order and dies before the fan's order index;
// the phone retries with the same Idempotency-Key on another gateway.
// The retry must finish the order's records: the order is in the fan's
// list of orders, and the seats stay counted against the ticket limit.
func TestOrderRetryFinishesWhatTheFirstAttemptLeft(t *testing.T) {
	e := newEnv(t)
	e.event("retryev")
	a := e.gateway(func(c *checkout.Config) { c.Store = &failOnceStore{Store: e.store, prefix: "fanorder/"} })
	b := e.gateway(func(c *checkout.Config) { c.TicketLimitPerBuyer = 4 })
	fan := b.login("retry-fan", "fan")
	hold := b.must(201, "POST", "/v1/events/retryev/holds", fan, map[string]any{"best": map[string]any{"quantity": 2, "section_id": "A"}})
	body := map[string]any{"hold_id": hold["hold_id"]}
	if r := a.do("POST", "/v1/orders", fan, body, "Idempotency-Key", "order-retry-1"); r.status < 500 {
		t.Fatalf("first attempt: status %d, want a 5xx from the failing store: %s", r.status, r.body)
	}
	order := b.must(201, "POST", "/v1/orders", fan, body, "Idempotency-Key", "order-retry-1")
	id := str(order, "order_id")
	var listed []string
	for _, o := range b.must(200, "GET", "/v1/orders", fan, nil)["orders"].([]any) {
		listed = append(listed, str(o.(map[string]any), "order_id"))
	}
	if len(listed) != 1 || listed[0] != id {
		t.Fatalf("GET /v1/orders lists %v, want the order %s", listed, id)
	}
}
