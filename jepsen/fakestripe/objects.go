package fakestripe

import (
	"encoding/json"
	"maps"
	"time"

	"github.com/stripe/stripe-go/v76"
)

// intent is a payment intent's state.
type intent struct {
	id, clientSecret   string
	amount             int64
	currency           string
	description        string
	metadata           map[string]string
	status             string
	created            int64
	paymentMethod      string
	charge             string // ch_… once captured
	refunded           int64
	refunds            []string
	declines           int
	events             []string
	canceledAt         int64
	cancellationReason string
	lastError          *errorObject // the last decline
}

// Stripe's intent statuses that this fake reaches.
const (
	statusRequiresPaymentMethod = "requires_payment_method"
	statusSucceeded             = "succeeded"
	statusCanceled              = "canceled"
)

type refund struct {
	id       string
	amount   int64
	intent   *intent
	reason   string
	metadata map[string]string
	created  int64
}

// intentObject is a payment_intent as Stripe's API spells it (the fields
// stripe-go decodes and the gateway reads, and a few a client expects).
type intentObject struct {
	ID                      string            `json:"id"`
	Object                  string            `json:"object"`
	Amount                  int64             `json:"amount"`
	AmountCapturable        int64             `json:"amount_capturable"`
	AmountReceived          int64             `json:"amount_received"`
	AutomaticPaymentMethods map[string]any    `json:"automatic_payment_methods"`
	CanceledAt              *int64            `json:"canceled_at"`
	CancellationReason      *string           `json:"cancellation_reason"`
	CaptureMethod           string            `json:"capture_method"`
	ClientSecret            string            `json:"client_secret"`
	ConfirmationMethod      string            `json:"confirmation_method"`
	Created                 int64             `json:"created"`
	Currency                string            `json:"currency"`
	Description             *string           `json:"description"`
	LastPaymentError        *errorObject      `json:"last_payment_error"`
	LatestCharge            *string           `json:"latest_charge"`
	Livemode                bool              `json:"livemode"`
	Metadata                map[string]string `json:"metadata"`
	PaymentMethod           *string           `json:"payment_method"`
	PaymentMethodTypes      []string          `json:"payment_method_types"`
	Status                  string            `json:"status"`
}

func optional[T comparable](v T) *T {
	var zero T
	if v == zero {
		return nil
	}
	return &v
}

func (in *intent) object() intentObject {
	o := intentObject{
		ID: in.id, Object: "payment_intent", Amount: in.amount,
		AutomaticPaymentMethods: map[string]any{"allow_redirects": "always", "enabled": true},
		CanceledAt:              optional(in.canceledAt), CancellationReason: optional(in.cancellationReason),
		CaptureMethod: "automatic", ClientSecret: in.clientSecret, ConfirmationMethod: "automatic",
		Created: in.created, Currency: in.currency, Description: optional(in.description),
		LastPaymentError: in.lastError, LatestCharge: optional(in.charge),
		Metadata: maps.Clone(in.metadata), PaymentMethod: optional(in.paymentMethod),
		PaymentMethodTypes: []string{"card"}, Status: in.status,
	}
	if in.charge != "" {
		o.AmountReceived = in.amount
	}
	return o
}

// chargeObject is the charge of a captured intent (charge.refunded's data).
type chargeObject struct {
	ID             string            `json:"id"`
	Object         string            `json:"object"`
	Amount         int64             `json:"amount"`
	AmountCaptured int64             `json:"amount_captured"`
	AmountRefunded int64             `json:"amount_refunded"`
	Captured       bool              `json:"captured"`
	Created        int64             `json:"created"`
	Currency       string            `json:"currency"`
	Livemode       bool              `json:"livemode"`
	Metadata       map[string]string `json:"metadata"`
	Paid           bool              `json:"paid"`
	PaymentIntent  string            `json:"payment_intent"`
	Refunded       bool              `json:"refunded"`
	Status         string            `json:"status"`
}

func (in *intent) chargeObject() chargeObject {
	return chargeObject{ID: in.charge, Object: "charge", Amount: in.amount, AmountCaptured: in.amount,
		AmountRefunded: in.refunded, Captured: true, Created: in.created, Currency: in.currency,
		Metadata: maps.Clone(in.metadata), Paid: true, PaymentIntent: in.id, Refunded: in.refunded >= in.amount,
		Status: "succeeded"}
}

type refundObject struct {
	ID            string            `json:"id"`
	Object        string            `json:"object"`
	Amount        int64             `json:"amount"`
	Charge        string            `json:"charge"`
	Created       int64             `json:"created"`
	Currency      string            `json:"currency"`
	Metadata      map[string]string `json:"metadata"`
	PaymentIntent string            `json:"payment_intent"`
	Reason        *string           `json:"reason"`
	Status        string            `json:"status"`
}

func (r *refund) object() refundObject {
	return refundObject{ID: r.id, Object: "refund", Amount: r.amount, Charge: r.intent.charge, Created: r.created,
		Currency: r.intent.currency, Metadata: maps.Clone(r.metadata), PaymentIntent: r.intent.id,
		Reason: optional(r.reason), Status: "succeeded"}
}

// errorObject is the body of Stripe's error responses ({"error": …}) and
// an intent's last_payment_error.
type errorObject struct {
	Type          string        `json:"type"`
	Code          string        `json:"code,omitempty"`
	DeclineCode   string        `json:"decline_code,omitempty"`
	Message       string        `json:"message"`
	Param         string        `json:"param,omitempty"`
	PaymentIntent *intentObject `json:"payment_intent,omitempty"`
}

// eventObject is a webhook event as Stripe sends it.
type eventObject struct {
	ID              string          `json:"id"`
	Object          string          `json:"object"`
	APIVersion      string          `json:"api_version"`
	Created         int64           `json:"created"`
	Data            eventData       `json:"data"`
	Livemode        bool            `json:"livemode"`
	PendingWebhooks int             `json:"pending_webhooks"`
	Request         eventRequestRef `json:"request"`
	Type            string          `json:"type"`
}

type eventData struct {
	Object any `json:"object"`
}

type eventRequestRef struct {
	ID             *string `json:"id"`
	IdempotencyKey *string `json:"idempotency_key"`
}

// emit records an event about in and queues its delivery; s.mu must be
// held and room checked (hasRoom) before the state changed.
func (s *Server) emit(in *intent, eventType string, object any, requestID, idempotencyKey string) {
	ev := eventObject{
		ID: s.newID("evt_"), Object: "event", APIVersion: stripe.APIVersion, Created: time.Now().Unix(),
		Data: eventData{Object: object}, PendingWebhooks: 1,
		Request: eventRequestRef{ID: optional(requestID), IdempotencyKey: optional(idempotencyKey)}, Type: eventType,
	}
	body, err := json.Marshal(ev)
	if err != nil {
		panic("fakestripe: an event does not encode: " + err.Error())
	}
	in.events = append(in.events, ev.ID)
	s.stats["webhook_events"]++
	s.enqueue(ev.ID, body)
}
