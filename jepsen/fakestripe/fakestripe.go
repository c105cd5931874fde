// Package fakestripe is a stateful fake of the Stripe REST subset the
// gateway uses (payment intents, refunds, signed webhooks), with injectable
// faults and a ledger of the money it moved, for the jepsen harness.
package fakestripe

import (
	"context"
	"errors"
	"net"
	"time"
)

// Options configures a Server.
type Options struct {
	WebhookSecret string // whsec_… the gateways are started with
	SecretKey     string // sk_test_… required in Authorization (Bearer or basic user)
	Seed          int64  // all random choices (faults, ids) from this seed
	Logf          func(format string, args ...any)
	// Dial opens the connections of webhook deliveries (a harness whose
	// gateways live in another network namespace dials from there); nil
	// is a plain net.Dialer.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Errors of Confirm.
var (
	// ErrDeclined: the card was declined; the intent is back to
	// requires_payment_method and may be confirmed again.
	ErrDeclined = errors.New("fakestripe: the card was declined")
	// ErrUnexpectedState: the intent is succeeded or canceled and cannot
	// be confirmed; the returned status says which.
	ErrUnexpectedState = errors.New("fakestripe: the payment intent cannot be confirmed in its state")
	// ErrNoSuchIntent: no intent has this id.
	ErrNoSuchIntent = errors.New("fakestripe: no such payment intent")
	// ErrBadClientSecret: the client secret is not the intent's.
	ErrBadClientSecret = errors.New("fakestripe: the client secret does not match the payment intent")
)

// Faults are the injected faults; they can be changed at any time
// (SetFaults). The zero value injects none.
type Faults struct {
	DeclineRate          float64       // Confirm → the payment fails (payment_failed event)
	ErrorRate            float64       // an API request answers 500 without doing anything
	LostResponseRate     float64       // an API request is carried out, then the connection is closed without an answer
	SlowResponse         time.Duration // extra delay before answering (0: none)
	DuplicateWebhookRate float64       // an event is delivered twice (or more)
	WebhookDelayMax      time.Duration // each delivery waits a random 0..this (so events reorder)
	WebhookFailRate      float64       // a delivery attempt is dropped before sending (Stripe then retries)
}

// Payment is one payment intent as the provider knows it: the truth the
// money checkers compare the gateways against.
type Payment struct {
	IntentID, OrderID, EventID, Buyer string
	AmountCents, RefundedCents        int64
	Status                            string   // requires_payment_method | succeeded | canceled | ...
	Captured                          bool     // money taken (succeeded, possibly refunded later)
	Refunds                           []string // refund ids
	Declines                          int
	Events                            []string // event ids emitted for this intent
}

// Server is the fake provider.
type Server struct {
	opts Options
}

// New returns a server; Serve starts it.
func New(opts Options) *Server { return &Server{opts: opts} }

// SetFaults replaces the injected faults.
func (s *Server) SetFaults(f Faults) {}

// SetWebhookURLs sets the webhook endpoints; each delivery attempt goes to
// a random one, as through a load balancer.
func (s *Server) SetWebhookURLs(urls []string) {}

// Serve answers API requests on l until Close.
func (s *Server) Serve(l net.Listener) error { return errors.New("fakestripe: not implemented") }

// Close stops serving and delivering.
func (s *Server) Close() error { return nil }

// URL is the base URL for the gateway's --stripe-url, once serving.
func (s *Server) URL() string { return "" }

// Confirm is the phone's Stripe.js step: it pays (or, by DeclineRate,
// fails) the intent with its client secret and answers the intent's
// status. It is also served as POST /v1/payment_intents/{id}/confirm.
func (s *Server) Confirm(ctx context.Context, intentID, clientSecret string) (status string, err error) {
	return "", errors.New("fakestripe: not implemented")
}

// Ledger returns every payment intent, ordered by id.
func (s *Server) Ledger() []Payment { return nil }

// Undelivered is the number of webhook events not yet acknowledged 2xx by
// a gateway.
func (s *Server) Undelivered() int { return 0 }

// WaitDelivered blocks until every event is acknowledged or ctx ends.
func (s *Server) WaitDelivered(ctx context.Context) error { return nil }

// Stats counts each injected fault, for the run summary.
func (s *Server) Stats() map[string]int { return map[string]int{} }
