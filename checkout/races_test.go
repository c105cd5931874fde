package checkout_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/checkout"
	"github.com/boxoffice/boxoffice/node"
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
	out := resp{status: r.StatusCode, header: r.Header, body: buf[:n]}
	checkProblemWording(t, "POST /v1/webhooks/stripe", out)
	return out
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
		// The seats go back to the fan's limit with the refund.
		if raw, _, err := e.store.Get(context.Background(), "buyer/{f:regret}/race"); err != nil || string(raw) != "0" {
			t.Fatalf("the fan's seat count after the refund: %s %v, want 0", raw, err)
		}
		if states := seatStates(t, e, "race"); states[seats[0].(string)] != boxofficev1.SeatState_SEAT_STATE_AVAILABLE {
			t.Fatalf("seat after refund: %v", states[seats[0].(string)])
		}
		scanner := a.login("door", "scanner")
		r := a.do("POST", "/v1/checkins", scanner, map[string]any{"qr": qrText(tickets[0].(map[string]any))})
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
	// Both holds expire and the cluster's sweep frees their seats; both
	// payment windows run out.
	node.WaitFor(t, 20*time.Second, "the holds swept and the payment windows over", func() bool {
		states := seatStates(t, e, "late")
		for _, seat := range append(slices.Clone(luckySeats), unluckySeats...) {
			if states[seat.(string)] != boxofficev1.SeatState_SEAT_STATE_AVAILABLE {
				return false
			}
		}
		for _, o := range []map[string]any{lucky, unlucky} {
			payBy, err := time.Parse(time.RFC3339Nano, str(o, "pay_by"))
			if err != nil {
				t.Fatalf("order's pay_by: %v", err)
			}
			if !e.clock.now().After(payBy) {
				return false
			}
		}
		return true
	})
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
		name   string
		body   []byte
		sig    string
		detail string
	}{
		{"no signature", good, "", "no Stripe-Signature header"},
		{"wrong secret", good, wrongSecretSig, "no v1 signature in Stripe-Signature matches the body and the webhook secret"},
		{"stale timestamp", good, staleSig, "the Stripe-Signature timestamp is more than 5m0s from now"},
		{"tampered body", tampered, goodSig, "no v1 signature in Stripe-Signature matches the body and the webhook secret"},
		{"garbage header", good, "t=1,v1=deadbeef", "the Stripe-Signature timestamp is more than 5m0s from now"},
		{"malformed header", good, "sig", "the Stripe-Signature header is not t=<unix time>,v1=<hex signature>"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := deliver(t, a, c.body, c.sig)
			if r.status != 400 || !strings.Contains(string(r.body), "bad-signature") {
				t.Fatalf("got %d %s", r.status, r.body)
			}
			if detail := str(r.json(t), "detail"); detail != c.detail {
				t.Fatalf("detail %q, want %q", detail, c.detail)
			}
		})
	}
	if st := orderState(t, a, tok, order)["state"]; st != "pending" {
		t.Fatalf("an unsigned event moved the order to %v", st)
	}
}

// jitterStore delays every store operation by up to two milliseconds, so
// the windows between one gateway's read and its write are wide enough for
// another gateway's request to land in them.
type jitterStore struct{ checkout.Store }

// pause delays a store call by up to 2ms to shuffle the interleavings.
func (s jitterStore) pause() { time.Sleep(time.Duration(rand.IntN(2000)) * time.Microsecond) }

func (s jitterStore) Get(ctx context.Context, key string) ([]byte, uint64, error) {
	s.pause()
	return s.Store.Get(ctx, key)
}

func (s jitterStore) CompareAndSwap(ctx context.Context, key string, expected uint64, value []byte) (uint64, error) {
	s.pause()
	return s.Store.CompareAndSwap(ctx, key, expected, value)
}

// buyTickets buys n tickets (a multiple of 6) for fan in event and returns
// them as GET /v1/tickets lists them.
func buyTickets(t *testing.T, g *gw, fan, event string, n int) []map[string]any {
	t.Helper()
	for i := range n / 6 {
		hold := g.must(201, "POST", "/v1/events/"+event+"/holds", fan, map[string]any{"best": map[string]any{"quantity": 6, "section_id": []string{"A", "B"}[i%2]}})
		order := g.must(201, "POST", "/v1/orders", fan, map[string]any{"hold_id": hold["hold_id"]})
		g.must(200, "POST", "/v1/orders/"+str(order, "order_id")+"/fake-pay", fan, nil)
	}
	var out []map[string]any
	for _, ticket := range g.must(200, "GET", "/v1/tickets", fan, nil)["tickets"].([]any) {
		out = append(out, ticket.(map[string]any))
	}
	if len(out) != n {
		t.Fatalf("bought %d tickets, want %d", len(out), n)
	}
	return out
}

// TestTransferRacingCheckIn: a transfer (on one gateway) and a scan of the
// ticket's current QR (on another) race, for many tickets, over a store
// that stalls every operation. Both decide on the ticket record, so
// exactly one wins each race: either the scan admits and the transfer is
// refused as already used, or the transfer moves the ticket and the scan
// is refused as revoked. Never both, never neither. Afterwards the old QR
// is never admitted again, and the loser's refusal names the winner.
func TestTransferRacingCheckIn(t *testing.T) {
	e := newEnv(t)
	e.event("duel")
	slow := func(c *checkout.Config) { c.Store = jitterStore{e.store}; c.TicketLimitPerBuyer = 100 }
	a, b := e.gateway(slow), e.gateway(slow)
	fan, scanner := a.login("holder", "fan"), b.login("gate", "scanner")
	tickets := buyTickets(t, a, fan, "duel", 36)
	for i := range tickets {
		a.login(fmt.Sprint("friend", i), "fan") // a transfer goes only to a fan who has signed in
	}

	scansWon, transfersWon := 0, 0
	for i, ticket := range tickets {
		id, qr := str(ticket, "ticket_id"), qrText(ticket)
		var transfer, scan resp
		start := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() {
			<-start
			transfer = a.do("POST", "/v1/tickets/"+id+"/transfer", fan, map[string]any{"to": fmt.Sprint("friend", i)})
		})
		wg.Go(func() {
			<-start
			scan = b.do("POST", "/v1/checkins", scanner, map[string]any{"qr": qr, "gate": "north"})
		})
		close(start)
		wg.Wait()
		switch {
		case scan.status == 200 && transfer.status == 409 && strings.Contains(string(transfer.body), "used at the door"):
			scansWon++
		case transfer.status == 200 && scan.status == 409 && strings.Contains(string(scan.body), "ticket-revoked"):
			transfersWon++
		default:
			t.Fatalf("ticket %d: transfer %d %s / scan %d %s: want exactly one to win", i, transfer.status, transfer.body, scan.status, scan.body)
		}
		// Whoever won, the old QR never gets in again, on either gateway.
		for _, g := range []*gw{a, b} {
			if r := g.do("POST", "/v1/checkins", scanner, map[string]any{"qr": qr, "gate": "south"}); r.status != 409 {
				t.Fatalf("ticket %d: the old QR scanned again: %d %s", i, r.status, r.body)
			}
		}
	}
	t.Logf("%d races: scan won %d, transfer won %d", len(tickets), scansWon, transfersWon)
}

// TestTransferAndCheckInInOrder: the same rules without a race. A
// checked-in ticket cannot be transferred; a QR replaced by a transfer is
// refused; the new holder's QR admits once; the second scan is refused
// with when and where the first one happened, on any gateway.
func TestTransferAndCheckInInOrder(t *testing.T) {
	e := newEnv(t)
	e.event("order")
	a, b := e.gateway(), e.gateway()
	alice, scanner := a.login("alice", "fan"), b.login("door", "scanner")
	bob := b.login("bob", "fan")
	hold := a.must(201, "POST", "/v1/events/order/holds", alice, map[string]any{"best": map[string]any{"quantity": 2}})
	order := a.must(201, "POST", "/v1/orders", alice, map[string]any{"hold_id": hold["hold_id"]})
	a.must(200, "POST", "/v1/orders/"+str(order, "order_id")+"/fake-pay", alice, nil)
	tickets := a.must(200, "GET", "/v1/tickets", alice, nil)["tickets"].([]any)
	used, moved := tickets[0].(map[string]any), tickets[1].(map[string]any)

	scanned := a.must(200, "POST", "/v1/checkins", scanner, map[string]any{"qr": qrText(used), "gate": "east"}, "Idempotency-Key", "scan-used")
	if r := b.do("POST", "/v1/tickets/"+str(used, "ticket_id")+"/transfer", alice, map[string]any{"to": "bob"}); r.status != 409 {
		t.Fatalf("transfer of a checked-in ticket: %d %s", r.status, r.body)
	}
	if got := a.must(200, "GET", "/v1/tickets/"+str(used, "ticket_id"), alice, nil); got["checked_in_at"] == nil || got["owner"] != "alice" {
		t.Fatalf("checked-in ticket reads %v", got)
	}
	// A retried scan (same key, another gateway) replays "admitted".
	if again := b.must(200, "POST", "/v1/checkins", scanner, map[string]any{"qr": qrText(used), "gate": "east"}, "Idempotency-Key", "scan-used"); again["at"] != scanned["at"] {
		t.Fatalf("retried scan: %v, first %v", again, scanned)
	}
	r := b.do("POST", "/v1/checkins", scanner, map[string]any{"qr": qrText(used), "gate": "west"})
	if p := r.json(t); r.status != 409 || p["first_gate"] != "east" || p["first_scanner"] != "door" || p["first_scanned_at"] != scanned["at"] {
		t.Fatalf("second scan: %d %s", r.status, r.body)
	}

	b.must(200, "POST", "/v1/tickets/"+str(moved, "ticket_id")+"/transfer", alice, map[string]any{"to": "bob"})
	if r := a.do("POST", "/v1/checkins", scanner, map[string]any{"qr": qrText(moved), "gate": "east"}); r.status != 409 || !strings.Contains(string(r.body), "ticket-revoked") {
		t.Fatalf("old QR after the transfer: %d %s", r.status, r.body)
	}
	fresh := a.must(200, "GET", "/v1/tickets/"+str(moved, "ticket_id"), bob, nil)
	a.must(200, "POST", "/v1/checkins", scanner, map[string]any{"qr": qrText(fresh), "gate": "east"})
	if r := b.do("POST", "/v1/checkins", scanner, map[string]any{"qr": qrText(fresh), "gate": "east"}); r.status != 409 || r.json(t)["first_gate"] != "east" {
		t.Fatalf("second scan of the new QR: %d %s", r.status, r.body)
	}
}
