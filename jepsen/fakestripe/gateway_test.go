package fakestripe_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/checkout"
	"github.com/boxoffice/boxoffice/checkout/memstore"
	"github.com/boxoffice/boxoffice/cluster/client"
	"github.com/boxoffice/boxoffice/jepsen/fakestripe"
	"github.com/boxoffice/boxoffice/node"
)

// startCluster starts a real one-node cluster in the test process and
// creates event "show": section A, 4 rows of 10 seats at 5000 cents.
func startCluster(t *testing.T) *client.Client {
	t.Helper()
	c := node.NewTestCluster(t, 1).Client()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var rows []*boxofficev1.Row
	for _, label := range []string{"A", "B", "C", "D"} {
		rows = append(rows, &boxofficev1.Row{Label: label, SeatCount: 10})
	}
	if _, err := c.CreateEvent(ctx, &boxofficev1.CreateEventRequest{
		RequestId: "create-show", EventId: "show", Name: "Show",
		Venue: &boxofficev1.Venue{Name: "Hall",
			PriceTiers: []*boxofficev1.PriceTier{{Id: "STD", PriceCents: 5000, Currency: "USD"}},
			Sections:   []*boxofficev1.Section{{Id: "A", Name: "Stalls", PriceTier: "STD", Rows: rows}}},
	}); err != nil {
		t.Fatal(err)
	}
	return c
}

// shop is two gateways over one cluster and one store, paid through one
// fakestripe server that delivers webhooks to both.
type shop struct {
	t        *testing.T
	stripe   *fakestripe.Server
	gateways []*httptest.Server
	handles  []*checkout.Gateway
	keys     atomic.Int64
}

func newShop(t *testing.T) *shop {
	t.Helper()
	cluster := startCluster(t)
	sh := &shop{t: t, stripe: start(t)}
	store := memstore.New()
	_, ticketKey, _ := ed25519.GenerateKey(nil)
	var hooks []string
	for range 2 {
		payments, err := checkout.NewStripePayments(checkout.StripeConfig{SecretKey: secretKey, WebhookSecret: webhookSecret, BaseURL: sh.stripe.URL()})
		if err != nil {
			t.Fatal(err)
		}
		g, err := checkout.New(checkout.Config{Inventory: cluster, Store: store, Payments: payments,
			JWTSecret: []byte("jwt-secret-0123456789abcdef-0123456789"), TicketKey: ticketKey,
			RecordKeys: checkout.NewKeyRing([]byte("record-key-0123456789abcdef-0123456789")),
			ScanSecret: []byte("scan-secret-0123456789abcdef-012345678"),
			DemoMode:   true, RatePerFan: -1, RatePerIP: -1})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(g.Handler())
		t.Cleanup(srv.Close)
		sh.gateways, sh.handles = append(sh.gateways, srv), append(sh.handles, g)
		hooks = append(hooks, srv.URL+"/v1/webhooks/stripe")
	}
	sh.stripe.SetWebhookURLs(hooks)
	return sh
}

// call sends a request to gateway i and decodes the JSON answer; key ""
// on a POST is a fresh Idempotency-Key.
func (sh *shop) call(i int, method, path, token, key string, body any) (int, map[string]any) {
	sh.t.Helper()
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, sh.gateways[i].URL+path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if method == "POST" {
		if key == "" {
			key = fmt.Sprintf("key-%d", sh.keys.Add(1))
		}
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		sh.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	if m == nil {
		m = map[string]any{"raw": string(raw)}
	}
	return resp.StatusCode, m
}

func (sh *shop) must(want, i int, method, path, token string, body any) map[string]any {
	sh.t.Helper()
	status, m := sh.call(i, method, path, token, "", body)
	if status != want {
		sh.t.Fatalf("%s %s: %d, want %d: %v", method, path, status, want, m)
	}
	return m
}

func (sh *shop) login(fan string) string {
	sh.t.Helper()
	return sh.must(200, 0, "POST", "/v1/dev/login", "", map[string]string{"subject": fan, "role": "fan"})["token"].(string)
}

func (sh *shop) hold(token string, body map[string]any) map[string]any {
	sh.t.Helper()
	return sh.must(201, 0, "POST", "/v1/events/show/holds", token, body)
}

func field(m map[string]any, path ...string) string {
	for _, p := range path[:len(path)-1] {
		m, _ = m[p].(map[string]any)
	}
	s, _ := m[path[len(path)-1]].(string)
	return s
}

// waitOrder polls the order on both gateways until it is in state want.
func (sh *shop) waitOrder(token, orderID, want string) map[string]any {
	sh.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var last map[string]any
	for i := 0; time.Now().Before(deadline); i++ {
		_, last = sh.call(i%2, "GET", "/v1/orders/"+orderID, token, "", nil)
		if last["state"] == want {
			return last
		}
		time.Sleep(50 * time.Millisecond) // poll interval
	}
	sh.t.Fatalf("order %s never reached %s: %v", orderID, want, last)
	return nil
}

func (sh *shop) waitDelivered() {
	sh.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := sh.stripe.WaitDelivered(ctx); err != nil {
		sh.t.Fatal(err)
	}
}

// payments are the ledger's intents of one order.
func (sh *shop) payments(orderID string) []fakestripe.Payment {
	var out []fakestripe.Payment
	for _, p := range sh.stripe.Ledger() {
		if p.OrderID == orderID {
			out = append(out, p)
		}
	}
	return out
}

func (sh *shop) tickets(token string) []any {
	sh.t.Helper()
	ts, _ := sh.must(200, 1, "GET", "/v1/tickets", token, nil)["tickets"].([]any)
	return ts
}

func TestGatewayOverFakeStripe(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cluster node and two gateways; skipped with -short")
	}
	sh := newShop(t)
	ctx := context.Background()

	t.Run("an order retried after lost answers has one intent", func(t *testing.T) {
		sh.t = t
		token := sh.login("lost")
		hold := sh.hold(token, map[string]any{"best": map[string]any{"quantity": 2, "section_id": "A"}})
		sh.stripe.SetFaults(fakestripe.Faults{LostResponseRate: 1})
		status, first := sh.call(0, "POST", "/v1/orders", token, "order-lost", map[string]any{"hold_id": hold["hold_id"]})
		sh.stripe.SetFaults(fakestripe.Faults{})
		if status == 201 {
			t.Fatalf("every answer of the provider was lost, yet the order was created: %v", first)
		}
		if st := sh.stripe.Stats(); st["lost_responses_injected"] < 1 || len(sh.stripe.Ledger()) != 1 {
			t.Fatalf("stats %v, ledger %+v", st, sh.stripe.Ledger())
		}
		// The phone retries with its key, on the other gateway.
		status, order := sh.call(1, "POST", "/v1/orders", token, "order-lost", map[string]any{"hold_id": hold["hold_id"]})
		if status != 201 {
			t.Fatalf("retried order: %d %v", status, order)
		}
		ps := sh.payments(field(order, "order_id"))
		if len(ps) != 1 || ps[0].IntentID != field(order, "payment", "intent_id") {
			t.Fatalf("order %s intent %s; ledger %+v", field(order, "order_id"), field(order, "payment", "intent_id"), ps)
		}
		if _, err := sh.stripe.Confirm(ctx, ps[0].IntentID, field(order, "payment", "client_secret")); err != nil {
			t.Fatal(err)
		}
		paid := sh.waitOrder(token, field(order, "order_id"), "paid")
		if n := len(paid["tickets"].([]any)); n != 2 {
			t.Fatalf("paid order has %d tickets", n)
		}
	})

	t.Run("a declined payment releases the order and its seats", func(t *testing.T) {
		sh.t = t
		token := sh.login("declined")
		hold := sh.hold(token, map[string]any{"best": map[string]any{"quantity": 2, "section_id": "A"}})
		order := sh.must(201, 1, "POST", "/v1/orders", token, map[string]any{"hold_id": hold["hold_id"]})
		sh.stripe.SetFaults(fakestripe.Faults{DeclineRate: 1})
		status, err := sh.stripe.Confirm(ctx, field(order, "payment", "intent_id"), field(order, "payment", "client_secret"))
		sh.stripe.SetFaults(fakestripe.Faults{})
		if !errors.Is(err, fakestripe.ErrDeclined) || status != "requires_payment_method" {
			t.Fatalf("confirm: %q %v", status, err)
		}
		released := sh.waitOrder(token, field(order, "order_id"), "released")
		if n := len(released["tickets"].([]any)); n != 0 {
			t.Fatalf("released order has %d tickets", n)
		}
		sh.waitDelivered()
		ps := sh.payments(field(order, "order_id"))
		if len(ps) != 1 || ps[0].Captured || ps[0].Status != "canceled" || ps[0].Declines != 1 {
			t.Fatalf("ledger: %+v", ps)
		}
		if status, err := sh.stripe.Confirm(ctx, ps[0].IntentID, field(order, "payment", "client_secret")); !errors.Is(err, fakestripe.ErrUnexpectedState) {
			t.Fatalf("paying a released order's intent: %q %v", status, err)
		}
		// The seats are on sale again.
		sh.hold(sh.login("next"), map[string]any{"seats": hold["seats"]})
	})

	t.Run("duplicated, delayed and dropped webhooks yield one ticket set per order", func(t *testing.T) {
		sh.t = t
		sh.stripe.SetFaults(fakestripe.Faults{DuplicateWebhookRate: 1, WebhookDelayMax: 200 * time.Millisecond, WebhookFailRate: 0.3})
		defer sh.stripe.SetFaults(fakestripe.Faults{})
		type purchase struct{ token, orderID string }
		var purchases []purchase
		for i := range 4 {
			token := sh.login(fmt.Sprintf("dup%d", i))
			hold := sh.hold(token, map[string]any{"best": map[string]any{"quantity": 2, "section_id": "A"}})
			order := sh.must(201, i%2, "POST", "/v1/orders", token, map[string]any{"hold_id": hold["hold_id"]})
			if _, err := sh.stripe.Confirm(ctx, field(order, "payment", "intent_id"), field(order, "payment", "client_secret")); err != nil {
				t.Fatal(err)
			}
			purchases = append(purchases, purchase{token, field(order, "order_id")})
		}
		sh.waitDelivered()
		for _, p := range purchases {
			paid := sh.waitOrder(p.token, p.orderID, "paid")
			if n := len(paid["tickets"].([]any)); n != 2 {
				t.Errorf("order %s has %d tickets", p.orderID, n)
			}
			if n := len(sh.tickets(p.token)); n != 2 {
				t.Errorf("the fan of %s has %d tickets, want 2", p.orderID, n)
			}
		}
		if st := sh.stripe.Stats(); st["webhook_duplicates_injected"] < 4 {
			t.Fatalf("stats: %v", st)
		}
	})

	t.Run("a payment_failed delivered after the success yields one ticket set", func(t *testing.T) {
		sh.t = t
		token := sh.login("reordered")
		hold := sh.hold(token, map[string]any{"best": map[string]any{"quantity": 2, "section_id": "A"}})
		order := sh.must(201, 0, "POST", "/v1/orders", token, map[string]any{"hold_id": hold["hold_id"]})
		intentID, secret := field(order, "payment", "intent_id"), field(order, "payment", "client_secret")
		// A load balancer that holds back this intent's payment_failed
		// until its success went through: the stale event comes last.
		var mu sync.Mutex
		succeeded, staleLate := false, 0
		proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			var ev struct {
				Type string
				Data struct{ Object struct{ ID string } }
			}
			_ = json.Unmarshal(body, &ev)
			mu.Lock()
			hold := ev.Data.Object.ID == intentID && ev.Type == "payment_intent.payment_failed" && !succeeded
			if ev.Data.Object.ID == intentID && ev.Type == "payment_intent.payment_failed" && succeeded {
				staleLate++
			}
			mu.Unlock()
			if hold {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			req, _ := http.NewRequest("POST", sh.gateways[1].URL+"/v1/webhooks/stripe", bytes.NewReader(body))
			req.Header = r.Header.Clone()
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				w.WriteHeader(http.StatusBadGateway)
				return
			}
			defer resp.Body.Close()
			mu.Lock()
			if resp.StatusCode == 200 && ev.Type == "payment_intent.succeeded" && ev.Data.Object.ID == intentID {
				succeeded = true
			}
			mu.Unlock()
			w.WriteHeader(resp.StatusCode)
			_, _ = io.Copy(w, resp.Body)
		}))
		defer proxy.Close()
		sh.stripe.SetWebhookURLs([]string{proxy.URL})
		defer sh.stripe.SetWebhookURLs([]string{sh.gateways[0].URL + "/v1/webhooks/stripe", sh.gateways[1].URL + "/v1/webhooks/stripe"})

		sh.stripe.SetFaults(fakestripe.Faults{DeclineRate: 1})
		if _, err := sh.stripe.Confirm(ctx, intentID, secret); !errors.Is(err, fakestripe.ErrDeclined) {
			t.Fatalf("first card: %v", err)
		}
		sh.stripe.SetFaults(fakestripe.Faults{})
		if status, err := sh.stripe.Confirm(ctx, intentID, secret); err != nil {
			t.Fatalf("second card: %q %v", status, err)
		}
		sh.waitDelivered()
		mu.Lock()
		late := staleLate
		mu.Unlock()
		if late != 1 {
			t.Fatalf("the payment_failed event went through %d times after the success, want 1", late)
		}
		paid := sh.waitOrder(token, field(order, "order_id"), "paid")
		if n := len(paid["tickets"].([]any)); n != 2 {
			t.Fatalf("paid order has %d tickets", n)
		}
		if n := len(sh.tickets(token)); n != 2 {
			t.Fatalf("the fan has %d tickets, want 2", n)
		}
		if ps := sh.payments(field(order, "order_id")); len(ps) != 1 || !ps[0].Captured || ps[0].RefundedCents != 0 || ps[0].Status != "succeeded" {
			t.Fatalf("ledger: %+v", ps)
		}
	})

	t.Run("a refund retried after lost answers returns the money once", func(t *testing.T) {
		sh.t = t
		token := sh.login("refunder")
		hold := sh.hold(token, map[string]any{"best": map[string]any{"quantity": 2, "section_id": "A"}})
		order := sh.must(201, 0, "POST", "/v1/orders", token, map[string]any{"hold_id": hold["hold_id"]})
		orderID := field(order, "order_id")
		if _, err := sh.stripe.Confirm(ctx, field(order, "payment", "intent_id"), field(order, "payment", "client_secret")); err != nil {
			t.Fatal(err)
		}
		sh.waitOrder(token, orderID, "paid")
		sh.stripe.SetFaults(fakestripe.Faults{LostResponseRate: 1})
		status, body := sh.call(0, "POST", "/v1/orders/"+orderID+"/refund", token, "", nil)
		sh.stripe.SetFaults(fakestripe.Faults{})
		if status == 200 && body["state"] == "refunded" {
			t.Fatalf("every answer of the provider was lost, yet the refund is done: %v", body)
		}
		if ps := sh.payments(orderID); len(ps) != 1 || ps[0].RefundedCents != ps[0].AmountCents {
			t.Fatalf("the lost refund was not carried out: %+v", ps)
		}
		// The fan presses again, and again, on both gateways.
		for i := range 3 {
			if status, body := sh.call(i%2, "POST", "/v1/orders/"+orderID+"/refund", token, "", nil); status != 200 || body["state"] != "refunded" {
				t.Fatalf("refund again: %d %v", status, body)
			}
		}
		sh.waitDelivered()
		ps := sh.payments(orderID)
		if len(ps) != 1 || len(ps[0].Refunds) != 1 || ps[0].RefundedCents != ps[0].AmountCents {
			t.Fatalf("ledger: %+v", ps)
		}
		if n := len(sh.tickets(token)); n != 0 {
			t.Fatalf("a refunded fan holds %d tickets", n)
		}
		sh.hold(sh.login("after-refund"), map[string]any{"seats": hold["seats"]})
	})
}

// TestMoneyUnderMixedFaults buys through both gateways while the provider
// fails, loses answers, declines and duplicates, delays and drops
// webhooks; phones retry with their keys. After the webhooks are
// delivered and the reconciler ran, the provider's money and the
// gateways' orders agree: a captured payment is a paid order with its
// tickets or a full refund, an order has at most one captured payment,
// and nothing uncaptured is paid.
func TestMoneyUnderMixedFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cluster node and two gateways; skipped with -short")
	}
	sh := newShop(t)
	sh.stripe.SetFaults(fakestripe.Faults{DeclineRate: 0.2, ErrorRate: 0.1, LostResponseRate: 0.1,
		DuplicateWebhookRate: 0.3, WebhookDelayMax: 100 * time.Millisecond, WebhookFailRate: 0.2})
	const fans, purchasesPerFan = 6, 3
	type bought struct{ token, orderID string }
	var mu sync.Mutex
	var orders []bought
	var wg sync.WaitGroup
	for f := range fans {
		wg.Go(func() {
			token := sh.login(fmt.Sprintf("mixed%d", f))
			for p := range purchasesPerFan {
				_, hold := sh.call(f%2, "POST", "/v1/events/show/holds", token, "", map[string]any{"best": map[string]any{"quantity": 1, "section_id": "A"}})
				if hold["hold_id"] == nil {
					continue
				}
				key := fmt.Sprintf("order-%d-%d", f, p)
				var order map[string]any
				for try := range 20 {
					status, m := sh.call((f+try)%2, "POST", "/v1/orders", token, key, map[string]any{"hold_id": hold["hold_id"]})
					if status == 201 {
						order = m
						break
					}
					time.Sleep(50 * time.Millisecond) // the fan's back-off before retrying the order
				}
				if order == nil {
					t.Errorf("order %s never created", key)
					continue
				}
				mu.Lock()
				orders = append(orders, bought{token, field(order, "order_id")})
				mu.Unlock()
				for range 3 {
					if _, err := sh.stripe.Confirm(context.Background(), field(order, "payment", "intent_id"), field(order, "payment", "client_secret")); !errors.Is(err, fakestripe.ErrDeclined) {
						break
					}
				}
				if p == 1 {
					// Sometimes the fan asks for the money back.
					sh.call(f%2, "POST", "/v1/orders/"+field(order, "order_id")+"/refund", token, "", nil)
				}
			}
		})
	}
	wg.Wait()
	sh.stripe.SetFaults(fakestripe.Faults{})
	sh.waitDelivered()
	for range 3 {
		for _, g := range sh.handles {
			_ = g.Reconcile(context.Background())
		}
	}
	if len(orders) < fans*purchasesPerFan/2 {
		t.Fatalf("only %d orders created", len(orders))
	}
	states := map[string]map[string]any{}
	for _, o := range orders {
		_, states[o.orderID] = sh.call(0, "GET", "/v1/orders/"+o.orderID, o.token, "", nil)
	}
	captured := map[string]int{}
	for _, p := range sh.stripe.Ledger() {
		o, ours := states[p.OrderID]
		if !ours {
			continue
		}
		state, _ := o["state"].(string)
		tickets, _ := o["tickets"].([]any)
		switch {
		case p.Captured:
			captured[p.OrderID]++
			refunded := p.RefundedCents == p.AmountCents
			if !(state == "paid" && len(tickets) == 1 && p.RefundedCents == 0) && !(refunded && (state == "refunded" || state == "refunded_seats_lost")) {
				t.Errorf("captured %s (refunded %d of %d): order %s is %s with %d tickets", p.IntentID, p.RefundedCents, p.AmountCents, p.OrderID, state, len(tickets))
			}
		case state == "paid":
			t.Errorf("order %s is paid but its intent %s is %s", p.OrderID, p.IntentID, p.Status)
		}
	}
	for id, n := range captured {
		if n > 1 {
			t.Errorf("order %s has %d captured payments", id, n)
		}
	}
	for id, o := range states {
		if o["state"] == "pending" {
			t.Errorf("order %s still pending after delivery and reconciliation", id)
		}
	}
	t.Logf("%d orders; provider stats %v", len(orders), sh.stripe.Stats())
}
