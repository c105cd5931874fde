package checkout_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/boxoffice/boxoffice/checkout"
)

// TestFakePaymentsIdsDistinctAcrossInstances: two fakes given the same
// requests mint different intent and event ids, and neither finds an
// intent the other minted.
func TestFakePaymentsIdsDistinctAcrossInstances(t *testing.T) {
	a, b := checkout.NewFakePayments(webhookSecret), checkout.NewFakePayments(webhookSecret)
	req := checkout.IntentRequest{OrderID: "ord-1", EventID: "ev", Buyer: "fan", AmountCents: 500, Currency: "eur", IdempotencyKey: "order/ord-1"}
	ia, err := a.CreateIntent(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	ib, err := b.CreateIntent(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	if ia.ID == ib.ID || ia.ClientSecret == ib.ClientSecret {
		t.Fatalf("both fakes minted intent %s", ia.ID)
	}
	if _, err := a.GetIntent(t.Context(), ib.ID); !errors.Is(err, checkout.ErrMissing) {
		t.Fatalf("fake a asked for b's intent %s: %v, want not found", ib.ID, err)
	}
	if _, err := b.CancelIntent(t.Context(), ia.ID, "cancel/ord-1"); !errors.Is(err, checkout.ErrMissing) {
		t.Fatalf("fake b cancelled a's intent %s: %v, want not found", ia.ID, err)
	}
	bodyA, sigA, err := a.Complete(ia.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	bodyB, sigB, err := b.Complete(ib.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	evA, err := a.ParseWebhook(bodyA, map[string][]string{"Stripe-Signature": {sigA}})
	if err != nil {
		t.Fatal(err)
	}
	evB, err := b.ParseWebhook(bodyB, map[string][]string{"Stripe-Signature": {sigB}})
	if err != nil {
		t.Fatal(err)
	}
	if evA.ID == evB.ID {
		t.Fatalf("both fakes minted webhook event %s", evA.ID)
	}
	if evA.IntentID != ia.ID || evB.IntentID != ib.ID {
		t.Fatalf("events name intents %s and %s, want %s and %s", evA.IntentID, evB.IntentID, ia.ID, ib.ID)
	}
}

// TestFakePayTwoGatewaysOneStore: two demo gateways over one store and
// cluster, each with its own fake payments, each sell an order whose fake
// payment's webhook comes to the gateway; neither event is taken for a
// duplicate of the other's (the dedup record is in the shared store), and
// each order is paid.
func TestFakePayTwoGatewaysOneStore(t *testing.T) {
	e := newEnv(t)
	e.event("two_fakes")
	fakes := []*checkout.FakePayments{checkout.NewFakePayments(webhookSecret), checkout.NewFakePayments(webhookSecret)}
	for i, fake := range fakes {
		g := e.gateway(func(c *checkout.Config) { c.Payments = fake })
		fan := g.login(fmt.Sprintf("fan-on-%d", i), "fan")
		order, _ := pendingOrder(t, g, fan, "two_fakes")
		body, sig, err := fake.Complete(str(order["payment"].(map[string]any), "intent_id"), true)
		if err != nil {
			t.Fatal(err)
		}
		r := deliver(t, g, body, sig)
		if r.status != 200 || r.json(t)["duplicate"] != false {
			t.Fatalf("gateway %d: webhook of its fake: %d %s", i, r.status, r.body)
		}
		if got := orderState(t, g, fan, order); got["state"] != "paid" {
			t.Fatalf("gateway %d: order after its webhook: %v", i, got)
		}
	}
}
