package checkout_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/checkout"
)

// pendingOrder holds seats for fan and opens an order; it returns the
// order and the held seats.
func pendingOrder(t *testing.T, g *gw, tok, event string, seats ...string) (map[string]any, []any) {
	t.Helper()
	body := map[string]any{"best": map[string]any{"quantity": 2, "section_id": "A"}}
	if len(seats) > 0 {
		body = map[string]any{"seats": seats}
	}
	hold := g.must(201, "POST", "/v1/events/"+event+"/holds", tok, body)
	order := g.must(201, "POST", "/v1/orders", tok, map[string]any{"hold_id": hold["hold_id"]})
	return order, hold["seats"].([]any)
}

func (e *env) fake() *checkout.FakePayments { return e.payments.(*checkout.FakePayments) }

// deliver posts a signed webhook body to a gateway.
func deliver(t *testing.T, g *gw, body []byte, sig string) resp {
	t.Helper()
	req, _ := http.NewRequest("POST", g.srv.URL+"/v1/webhooks/stripe", strings.NewReader(string(body)))
	req.Header.Set("Stripe-Signature", sig)
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	var b strings.Builder
	_, _ = fmt.Fprint(&b)
	buf := make([]byte, 4096)
	n, _ := r.Body.Read(buf)
	return resp{status: r.StatusCode, header: r.Header, body: buf[:n]}
}

func seatStates(t *testing.T, e *env, event string) map[string]boxofficev1.SeatState {
	t.Helper()
	sm, err := e.cluster.GetSeatMap(context.Background(), &boxofficev1.GetSeatMapRequest{EventId: event})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]boxofficev1.SeatState{}
	for _, s := range sm.GetSections() {
		for _, r := range s.GetRows() {
			for _, seat := range r.GetSeats() {
				out[seat.GetSeatId()] = seat.GetState()
			}
		}
	}
	return out
}

func orderState(t *testing.T, g *gw, tok string, order map[string]any) map[string]any {
	t.Helper()
	return g.must(200, "GET", "/v1/orders/"+str(order, "order_id"), tok, nil)
}

func TestCheckoutRaces(t *testing.T) {
	e := newEnv(t)
	e.event("race")
	a, b := e.gateway(), e.gateway()

	t.Run("payment fails: seats released, limit freed", func(t *testing.T) {
		tok := a.login("decline", "fan")
		order, seats := pendingOrder(t, a, tok, "race")
		body, sig, err := e.fake().Complete(str(order["payment"].(map[string]any), "intent_id"), false)
		if err != nil {
			t.Fatal(err)
		}
		if r := deliver(t, b, body, sig); r.status != 200 {
			t.Fatalf("webhook: %d %s", r.status, r.body)
		}
		if st := orderState(t, a, tok, order)["state"]; st != "released" {
			t.Fatalf("order %v", st)
		}
		states := seatStates(t, e, "race")
		for _, s := range seats {
			if states[s.(string)] != boxofficev1.SeatState_SEAT_STATE_AVAILABLE {
				t.Fatalf("seat %s is %v", s, states[s.(string)])
			}
		}
		// A success arriving after the failure (out of order) finds the
		// intent canceled: nothing is charged, nothing sold.
		if _, _, err := e.fake().Complete(str(order["payment"].(map[string]any), "intent_id"), true); err == nil {
			t.Fatal("a canceled intent accepted a payment")
		}
	})

	t.Run("webhook twice and out of order: sold once", func(t *testing.T) {
		tok := a.login("twice", "fan")
		order, seats := pendingOrder(t, a, tok, "race")
		intent := str(order["payment"].(map[string]any), "intent_id")
		body, sig, err := e.fake().Complete(intent, true)
		if err != nil {
			t.Fatal(err)
		}
		r1, r2 := deliver(t, a, body, sig), deliver(t, b, body, sig)
		if r1.status != 200 || r2.status != 200 || !strings.Contains(string(r2.body), `"duplicate":true`) {
			t.Fatalf("deliveries: %d %s / %d %s", r1.status, r1.body, r2.status, r2.body)
		}
		late, lateSig := checkout.SignWebhook(webhookSecret, "evt_late_fail", "payment_intent.payment_failed", intent, str(order, "order_id"), time.Now())
		if r := deliver(t, b, late, lateSig); r.status != 200 {
			t.Fatalf("late failure: %d %s", r.status, r.body)
		}
		got := orderState(t, b, tok, order)
		if got["state"] != "paid" || len(got["tickets"].([]any)) != 2 {
			t.Fatalf("order %v", got)
		}
		states := seatStates(t, e, "race")
		for _, s := range seats {
			if states[s.(string)] != boxofficev1.SeatState_SEAT_STATE_SOLD {
				t.Fatalf("seat %s is %v", s, states[s.(string)])
			}
		}
	})

	t.Run("gateway dies mid-checkout: the reconciler finishes or unwinds", func(t *testing.T) {
		tok := a.login("crashy", "fan")
		paidOrder, _ := pendingOrder(t, a, tok, "race")
		// The payment succeeds, but the webhook is lost and the gateway gone.
		if _, _, err := e.fake().Complete(str(paidOrder["payment"].(map[string]any), "intent_id"), true); err != nil {
			t.Fatal(err)
		}
		abandoned, seats := pendingOrder(t, a, tok, "race")
		if err := b.g.Reconcile(context.Background()); err != nil {
			t.Fatal(err)
		}
		if st := orderState(t, b, tok, paidOrder)["state"]; st != "paid" {
			t.Fatalf("paid order after reconcile: %v", st)
		}
		if st := orderState(t, b, tok, abandoned)["state"]; st != "pending" {
			t.Fatalf("abandoned order inside its window: %v", st)
		}
		e.clock.advance(checkout.PaymentWindowDefault + time.Minute)
		defer e.clock.advance(-checkout.PaymentWindowDefault - time.Minute)
		if err := b.g.Reconcile(context.Background()); err != nil {
			t.Fatal(err)
		}
		if st := orderState(t, b, tok, abandoned)["state"]; st != "released" {
			t.Fatalf("abandoned order past its window: %v", st)
		}
		in, _ := e.fake().GetIntent(context.Background(), str(abandoned["payment"].(map[string]any), "intent_id"))
		if in.Status != checkout.IntentCanceled {
			t.Fatalf("abandoned intent is %v, want canceled before the seats went back", in.Status)
		}
		if states := seatStates(t, e, "race"); states[seats[0].(string)] != boxofficev1.SeatState_SEAT_STATE_AVAILABLE {
			t.Fatalf("seat %v", states[seats[0].(string)])
		}
	})

	t.Run("refund returns the seats and revokes the tickets", func(t *testing.T) {
		tok := a.login("regret", "fan")
		order, seats := pendingOrder(t, a, tok, "race")
		a.must(200, "POST", "/v1/orders/"+str(order, "order_id")+"/fake-pay", tok, nil)
		tickets := a.must(200, "GET", "/v1/tickets", tok, nil)["tickets"].([]any)
		got := b.must(200, "POST", "/v1/orders/"+str(order, "order_id")+"/refund", tok, nil)
		if got["state"] != "refunded" || !e.fake().Refunded(str(order["payment"].(map[string]any), "intent_id")) {
			t.Fatalf("refund: %v", got)
		}
		if states := seatStates(t, e, "race"); states[seats[0].(string)] != boxofficev1.SeatState_SEAT_STATE_AVAILABLE {
			t.Fatalf("seat after refund: %v", states[seats[0].(string)])
		}
		scanner := a.login("door", "scanner")
		r := a.do("POST", "/v1/checkins", scanner, map[string]any{"qr_payload": tickets[0].(map[string]any)["qr_payload"]})
		if r.status != 409 {
			t.Fatalf("refunded ticket scanned: %d %s", r.status, r.body)
		}
	})
}

// TestPaymentAfterHoldExpired: the money arrives after the hold (and the
// payment window) ran out. If the seats are still free they are held again
// and sold; if someone else took them, the payment is refunded.
func TestPaymentAfterHoldExpired(t *testing.T) {
	e := newEnv(t)
	e.event("late")
	short := e.gateway(func(c *checkout.Config) { c.HoldTTL, c.PaymentWindow = time.Second, time.Second })
	luckyTok, unluckyTok, thief := short.login("lucky", "fan"), short.login("unlucky", "fan"), short.login("thief", "fan")
	lucky, luckySeats := pendingOrder(t, short, luckyTok, "late", "A-A-1", "A-A-2")
	unlucky, unluckySeats := pendingOrder(t, short, unluckyTok, "late", "A-B-1", "A-B-2")
	time.Sleep(2500 * time.Millisecond) // expiry plus the cluster's sweep
	short.must(201, "POST", "/v1/events/late/holds", thief, map[string]any{"seats": unluckySeats})

	for _, o := range []map[string]any{lucky, unlucky} {
		body, sig, err := e.fake().Complete(str(o["payment"].(map[string]any), "intent_id"), true)
		if err != nil {
			t.Fatal(err)
		}
		if r := deliver(t, short, body, sig); r.status != 200 {
			t.Fatalf("webhook: %d %s", r.status, r.body)
		}
	}
	if got := orderState(t, short, luckyTok, lucky); got["state"] != "paid" {
		t.Fatalf("lucky: %v", got)
	}
	states := seatStates(t, e, "late")
	for _, s := range luckySeats {
		if states[s.(string)] != boxofficev1.SeatState_SEAT_STATE_SOLD {
			t.Fatalf("lucky seat %s is %v", s, states[s.(string)])
		}
	}
	got := orderState(t, short, unluckyTok, unlucky)
	if got["state"] != "refunded_seats_lost" || !e.fake().Refunded(str(unlucky["payment"].(map[string]any), "intent_id")) {
		t.Fatalf("unlucky: %v", got)
	}
	for _, s := range unluckySeats {
		if states[s.(string)] != boxofficev1.SeatState_SEAT_STATE_HELD {
			t.Fatalf("thief's seat %s is %v", s, states[s.(string)])
		}
	}
}

func TestWebhookSignatureFailures(t *testing.T) {
	e := newEnv(t)
	e.event("sig")
	a := e.gateway()
	tok := a.login("sigfan", "fan")
	order, _ := pendingOrder(t, a, tok, "sig")
	intent := str(order["payment"].(map[string]any), "intent_id")
	oid := str(order, "order_id")
	good, goodSig := checkout.SignWebhook(webhookSecret, "evt_1", "payment_intent.succeeded", intent, oid, time.Now())
	_, wrongSecretSig := checkout.SignWebhook("whsec_other", "evt_1", "payment_intent.succeeded", intent, oid, time.Now())
	_, staleSig := checkout.SignWebhook(webhookSecret, "evt_1", "payment_intent.succeeded", intent, oid, time.Now().Add(-time.Hour))
	tampered := []byte(strings.Replace(string(good), "evt_1", "evt_2", 1))
	cases := []struct {
		name string
		body []byte
		sig  string
	}{
		{"no signature", good, ""},
		{"wrong secret", good, wrongSecretSig},
		{"stale timestamp", good, staleSig},
		{"tampered body", tampered, goodSig},
		{"garbage header", good, "t=1,v1=deadbeef"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := deliver(t, a, c.body, c.sig)
			if r.status != 400 || !strings.Contains(string(r.body), "bad-signature") {
				t.Fatalf("got %d %s", r.status, r.body)
			}
		})
	}
	if st := orderState(t, a, tok, order)["state"]; st != "pending" {
		t.Fatalf("an unsigned event moved the order to %v", st)
	}
}
