package checkout

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/webhook"
)

// Payments charges buyers. The gateway never trusts its own memory about a
// payment: it asks Payments (GetIntent) or acts on a signed webhook event.
//
// Every mutating method takes an idempotency key derived from the order
// (habit 4): a retry after a crash or timeout never charges, cancels or
// refunds twice.
type Payments interface {
	// Name is "stripe" or "fake" (shown to clients, who pick the SDK).
	Name() string
	// CreateIntent creates (or, for a repeated key, returns) the payment
	// intent of an order.
	CreateIntent(ctx context.Context, req IntentRequest) (Intent, error)
	// GetIntent reads an intent's current state.
	GetIntent(ctx context.Context, intentID string) (Intent, error)
	// CancelIntent cancels an intent so it can never succeed. Cancelling an
	// intent that already succeeded returns ErrIntentSucceeded.
	CancelIntent(ctx context.Context, intentID, idempotencyKey string) (Intent, error)
	// Refund returns the whole amount of a succeeded intent.
	Refund(ctx context.Context, intentID, idempotencyKey string) error
	// ParseWebhook verifies the signature over the raw body and decodes
	// the event; a bad or stale signature returns ErrBadSignature.
	ParseWebhook(body []byte, header http.Header) (PaymentEvent, error)
}

// IntentRequest asks for a payment of one order.
type IntentRequest struct {
	OrderID        string
	EventID        string
	Buyer          string
	AmountCents    int64
	Currency       string // ISO 4217, lower or upper case
	IdempotencyKey string
}

// IntentStatus is what the gateway needs to know of a payment.
type IntentStatus string

const (
	// IntentPending: not paid yet (any of Stripe's requires_* and
	// processing states). It may still succeed or fail.
	IntentPending IntentStatus = "pending"
	// IntentSucceeded: the money is captured. Terminal.
	IntentSucceeded IntentStatus = "succeeded"
	// IntentCanceled: it will never succeed. Terminal.
	IntentCanceled IntentStatus = "canceled"
)

// Intent is a payment intent.
type Intent struct {
	ID           string       `json:"id"`
	ClientSecret string       `json:"client_secret,omitempty"`
	Status       IntentStatus `json:"status"`
	OrderID      string       `json:"order_id,omitempty"`
}

// PaymentEvent is a verified webhook event.
type PaymentEvent struct {
	ID       string
	Type     string // payment_intent.succeeded, payment_intent.payment_failed, payment_intent.canceled, ...
	IntentID string
	OrderID  string // from the intent's metadata
}

// ErrIntentSucceeded is returned by CancelIntent for a succeeded intent.
var ErrIntentSucceeded = errors.New("payment intent already succeeded")

// webhookTolerance is how old a webhook signature may be.
const webhookTolerance = 5 * time.Minute

// webhookRefusal says in this API's words why stripe-go refused a webhook.
func webhookRefusal(err error) string {
	switch {
	case errors.Is(err, webhook.ErrNotSigned):
		return "no Stripe-Signature header"
	case errors.Is(err, webhook.ErrInvalidHeader):
		return "the Stripe-Signature header is not t=<unix time>,v1=<hex signature>"
	case errors.Is(err, webhook.ErrTooOld):
		return fmt.Sprintf("the Stripe-Signature timestamp is more than %v from now", webhookTolerance)
	case errors.Is(err, webhook.ErrNoValidSignature):
		return "no v1 signature in Stripe-Signature matches the body and the webhook secret"
	}
	return "the body is not a Stripe event"
}

// parseStripeEvent verifies a Stripe-Signature header and decodes a
// payment_intent.* event. Both implementations use Stripe's signing
// scheme, so the webhook endpoint is tested the same way for both.
func parseStripeEvent(body []byte, header http.Header, secret string) (PaymentEvent, error) {
	ev, err := webhook.ConstructEventWithOptions(body, header.Get("Stripe-Signature"), secret,
		webhook.ConstructEventOptions{Tolerance: webhookTolerance, IgnoreAPIVersionMismatch: true})
	if err != nil {
		return PaymentEvent{}, problem(ErrBadSignature, webhookRefusal(err))
	}
	out := PaymentEvent{ID: ev.ID, Type: string(ev.Type)}
	if ev.Data != nil && len(ev.Data.Raw) > 0 {
		var pi struct {
			ID       string            `json:"id"`
			Object   string            `json:"object"`
			Metadata map[string]string `json:"metadata"`
		}
		if err := json.Unmarshal(ev.Data.Raw, &pi); err != nil {
			return PaymentEvent{}, problem(ErrInvalid, "the event's data.object is not a JSON object")
		}
		if pi.Object == "payment_intent" {
			out.IntentID, out.OrderID = pi.ID, pi.Metadata["order_id"]
		}
	}
	return out, nil
}

// SignWebhook builds a Stripe-signed webhook body for an event about an
// intent (tests, and FakePayments' own notifications).
func SignWebhook(secret, eventID, eventType, intentID, orderID string, at time.Time) (body []byte, signature string) {
	obj, _ := json.Marshal(map[string]any{"id": intentID, "object": "payment_intent", "metadata": map[string]string{"order_id": orderID}})
	body, _ = json.Marshal(map[string]any{
		"id": eventID, "object": "event", "type": eventType, "api_version": stripe.APIVersion,
		"created": at.Unix(), "data": map[string]any{"object": json.RawMessage(obj)},
	})
	signed := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: secret, Timestamp: at})
	return body, signed.Header
}

// FakePayments is an in-memory payment provider for the demo and tests:
// intents start pending; Complete makes one succeed or fail and delivers a
// Stripe-signed webhook to the configured sink, as Stripe would.
//
// Each instance mints its intent and event ids (pi_fake_<prefix>_<n>,
// evt_fake_<prefix>_<n>) under a random prefix of its own, so that gateways
// each with its own fake over one shared store never mint the same id: the
// store's webhook dedup record of one gateway's event does not swallow
// another's, and an intent id another instance minted is not found here
// rather than naming an intent of this one.
type FakePayments struct {
	// WebhookSecret signs fake webhook events.
	WebhookSecret string

	prefix  string // random per instance, in every id minted
	mu      sync.Mutex
	intents map[string]*fakeIntent
	byKey   map[string]string
	refunds map[string]bool
	seq     int
}

type fakeIntent struct {
	Intent
	amount   int64
	refunded bool
}

// NewFakePayments returns a fake provider signing webhooks with secret.
func NewFakePayments(secret string) *FakePayments {
	return &FakePayments{WebhookSecret: secret, prefix: randomHex(8), intents: map[string]*fakeIntent{}, byKey: map[string]string{}, refunds: map[string]bool{}}
}

var _ Payments = (*FakePayments)(nil)

func (f *FakePayments) Name() string { return "fake" }

func (f *FakePayments) CreateIntent(ctx context.Context, req IntentRequest) (Intent, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if id, ok := f.byKey[req.IdempotencyKey]; ok {
		return f.intents[id].Intent, nil
	}
	f.seq++
	id := fmt.Sprintf("pi_fake_%s_%d", f.prefix, f.seq)
	in := &fakeIntent{Intent: Intent{ID: id, ClientSecret: id + "_secret", Status: IntentPending, OrderID: req.OrderID}, amount: req.AmountCents}
	f.intents[id], f.byKey[req.IdempotencyKey] = in, id
	return in.Intent, nil
}

func (f *FakePayments) GetIntent(ctx context.Context, id string) (Intent, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	in, ok := f.intents[id]
	if !ok {
		return Intent{}, fmt.Errorf("%w: intent %s", ErrMissing, id)
	}
	return in.Intent, nil
}

func (f *FakePayments) CancelIntent(ctx context.Context, id, key string) (Intent, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	in, ok := f.intents[id]
	if !ok {
		return Intent{}, fmt.Errorf("%w: intent %s", ErrMissing, id)
	}
	if in.Status == IntentSucceeded {
		return in.Intent, ErrIntentSucceeded
	}
	in.Status = IntentCanceled
	return in.Intent, nil
}

func (f *FakePayments) Refund(ctx context.Context, id, key string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	in, ok := f.intents[id]
	if !ok || in.Status != IntentSucceeded {
		return fmt.Errorf("%w: intent %s has not succeeded", ErrConflict, id)
	}
	in.refunded = true
	return nil
}

func (f *FakePayments) ParseWebhook(body []byte, header http.Header) (PaymentEvent, error) {
	return parseStripeEvent(body, header, f.WebhookSecret)
}

// Complete settles a pending intent (succeeded true: paid; false: the card
// was declined, which leaves the intent pending as Stripe does) and returns
// the signed webhook Stripe would send. It refuses a canceled intent.
func (f *FakePayments) Complete(id string, succeeded bool) (body []byte, signature string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	in, ok := f.intents[id]
	if !ok {
		return nil, "", fmt.Errorf("%w: intent %s", ErrMissing, id)
	}
	eventType := "payment_intent.payment_failed"
	if succeeded {
		if in.Status == IntentCanceled {
			return nil, "", fmt.Errorf("%w: intent %s was canceled", ErrConflict, id)
		}
		in.Status = IntentSucceeded
		eventType = "payment_intent.succeeded"
	}
	f.seq++
	body, signature = SignWebhook(f.WebhookSecret, fmt.Sprintf("evt_fake_%s_%d", f.prefix, f.seq), eventType, id, in.OrderID, time.Now())
	return body, signature, nil
}

// Refunded reports whether an intent was refunded (tests, invariants).
func (f *FakePayments) Refunded(id string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	in, ok := f.intents[id]
	return ok && in.refunded
}

// Succeeded lists the ids of succeeded intents (tests, invariants).
func (f *FakePayments) Succeeded() map[string]bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]bool{}
	for id, in := range f.intents {
		if in.Status == IntentSucceeded {
			out[id] = in.refunded
		}
	}
	return out
}

// withClientSecret returns o with the client secret of its payment intent,
// which the app needs to confirm the payment while the order is pending.
// The secret is never stored (orderRecord.ClientSecret is not persisted:
// anyone who holds it can confirm the payment): it is asked of the
// provider each time a pending order is shown, one GetIntent per order
// read, and only for pending orders.
func (g *Gateway) withClientSecret(ctx context.Context, o orderRecord) (orderRecord, error) {
	if o.State != orderPending || o.IntentID == "" || o.ClientSecret != "" {
		return o, nil
	}
	in, err := g.cfg.Payments.GetIntent(ctx, o.IntentID)
	if err != nil {
		return o, err
	}
	o.ClientSecret = in.ClientSecret
	return o, nil
}
