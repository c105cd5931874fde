package checkout_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/boxoffice/boxoffice/checkout"
)

// lostAnswerStore applies the first Batch that writes a key with prefix
// and then fails it, as a store call whose answer was lost (the gateway
// died, or the client hung up, after the write was committed).
type lostAnswerStore struct {
	checkout.Store
	prefix string
	failed atomic.Bool
}

func (s *lostAnswerStore) Batch(ctx context.Context, requestID string, ops []checkout.Op) ([]checkout.OpResult, error) {
	res, err := s.Store.Batch(ctx, requestID, ops)
	for _, op := range ops {
		if err == nil && strings.HasPrefix(op.Key, s.prefix) && s.failed.CompareAndSwap(false, true) {
			return nil, errors.New("store unavailable")
		}
	}
	return res, err
}

// TestOrderRetryFinishesWhatTheFirstAttemptLeft: the first attempt of
// POST /v1/orders writes the order and its answer is lost; the phone
// retries with the same Idempotency-Key on another gateway. The retry
// answers the same order, which is in the fan's list of orders, and the
// seats stay counted against the ticket limit.
func TestOrderRetryFinishesWhatTheFirstAttemptLeft(t *testing.T) {
	e := newEnv(t)
	e.event("retryev")
	a := e.gateway(func(c *checkout.Config) { c.Store = &lostAnswerStore{Store: e.store, prefix: "order/"} })
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
	if raw, _, err := e.store.Get(context.Background(), "buyer/{f:retry-fan}/retryev"); err != nil || string(raw) != "2" {
		t.Fatalf("the fan's seat count: %s %v, want 2", raw, err)
	}
}
