// Package fakestripe is a stateful fake of the Stripe REST subset the
// gateway uses (payment intents, refunds, signed webhooks), with injectable
// faults and a ledger of the money it moved, for the jepsen harness.
//
// It speaks what stripe-go sends: form-encoded bodies, a secret key in
// Authorization, Idempotency-Key honoured as Stripe does (the same key and
// parameters replay the first answer verbatim; the same key with other
// parameters is a 400 idempotency_error), JSON objects and error bodies
// shaped like Stripe's. Several gateway processes share one Server, which
// is why it exists beside checkout.FakePayments (in-process) and
// stripe-mock (stateless).
//
// Every API request is handled under one lock, so an idempotent replay and
// the request it replays never interleave. Webhook events are delivered at
// least once: each copy is retried with bounded backoff until a gateway
// answers 2xx, and the number of copies in flight is bounded.
package fakestripe

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"sync"
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
	// ErrQueueFull: the webhook queue has no room for the event the
	// request would emit; nothing was changed.
	ErrQueueFull = errors.New("fakestripe: the webhook queue is full")
	// ErrClosed: the server is closed.
	ErrClosed = errors.New("fakestripe: closed")
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

// Limits.
const (
	// deliveriesQueuedMax bounds the webhook deliveries (copies of events)
	// not yet acknowledged. A request that would emit an event past it is
	// refused with 503 and logged: the harness must notice, not lose it.
	deliveriesQueuedMax = 50_000
	// deliveriesInFlightMax bounds concurrent webhook POSTs.
	deliveriesInFlightMax = 32
	// deliveryTimeout bounds one delivery attempt (a paused gateway).
	deliveryTimeout = 10 * time.Second
	// retryBackoffMin and retryBackoffMax bound the wait before a failed
	// delivery is retried: Stripe waits hours, a test run cannot.
	retryBackoffMin = 50 * time.Millisecond
	retryBackoffMax = time.Second
	// copiesMax bounds the copies of one event DuplicateWebhookRate makes.
	copiesMax = 3
	// requestBodyMax bounds an API request's body.
	requestBodyMax = 64 << 10
)

// Server is the fake provider. Its methods are safe for concurrent use.
type Server struct {
	opts     Options
	logf     func(format string, args ...any)
	client   *http.Client
	inFlight chan struct{}
	// queuedMax is deliveriesQueuedMax (tests lower it).
	queuedMax int
	done      chan struct{}
	closing   context.Context // canceled by Close: ends deliveries in flight
	stop      context.CancelFunc
	wg        sync.WaitGroup
	once      sync.Once
	serving   chan struct{} // closed once Serve has a listener

	mu          sync.Mutex
	rng         *rand.Rand
	faults      Faults
	webhookURLs []string
	intents     map[string]*intent
	charges     map[string]*intent // ch_… → its intent
	intentOrder []*intent
	refunds     map[string]*refund
	saved       map[string]*savedResponse // Idempotency-Key → first answer
	stats       map[string]int
	undelivered map[string]int // event id → copies not yet acknowledged
	queued      int            // copies not yet acknowledged, all events
	delivered   chan struct{}  // closed and replaced when an event is acknowledged
	httpServer  *http.Server
	url         string
}

// New returns a server; Serve starts it.
func New(opts Options) *Server {
	s := &Server{
		opts:        opts,
		logf:        opts.Logf,
		inFlight:    make(chan struct{}, deliveriesInFlightMax),
		queuedMax:   deliveriesQueuedMax,
		done:        make(chan struct{}),
		serving:     make(chan struct{}),
		rng:         rand.New(rand.NewPCG(uint64(opts.Seed), 0x5eed_f00d)),
		intents:     map[string]*intent{},
		charges:     map[string]*intent{},
		refunds:     map[string]*refund{},
		saved:       map[string]*savedResponse{},
		stats:       map[string]int{},
		undelivered: map[string]int{},
		delivered:   make(chan struct{}),
	}
	s.closing, s.stop = context.WithCancel(context.Background())
	if s.logf == nil {
		s.logf = func(string, ...any) {}
	}
	dial := opts.Dial
	if dial == nil {
		dial = (&net.Dialer{Timeout: 5 * time.Second}).DialContext
	}
	s.client = &http.Client{Transport: &http.Transport{
		DialContext:         dial,
		MaxIdleConnsPerHost: deliveriesInFlightMax,
		IdleConnTimeout:     30 * time.Second,
	}}
	return s
}

// SetFaults replaces the injected faults.
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
}

// SetWebhookURLs sets the webhook endpoints; each delivery attempt goes to
// a random one, as through a load balancer. With none, deliveries wait.
func (s *Server) SetWebhookURLs(urls []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.webhookURLs = slices.Clone(urls)
}

// Serve answers API requests on l until Close; it returns nil after Close.
func (s *Server) Serve(l net.Listener) error {
	srv := &http.Server{Handler: s.handler(), ReadHeaderTimeout: 10 * time.Second}
	s.mu.Lock()
	select {
	case <-s.done:
		s.mu.Unlock()
		return ErrClosed
	default:
	}
	s.httpServer, s.url = srv, baseURL(l.Addr())
	s.mu.Unlock()
	close(s.serving)
	if err := srv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// baseURL is http://host:port of a listener; an unspecified host
// (0.0.0.0, ::) is spelled as loopback.
func baseURL(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String()
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// Close stops serving and delivering; undelivered events stay undelivered.
func (s *Server) Close() error {
	var err error
	s.once.Do(func() {
		s.mu.Lock()
		close(s.done)
		s.stop()
		srv := s.httpServer
		s.mu.Unlock()
		if srv != nil {
			err = srv.Close()
		}
		s.wg.Wait()
		s.client.CloseIdleConnections()
	})
	return err
}

// URL is the base URL for the gateway's --stripe-url. It waits for Serve
// to be called (so `go s.Serve(l); s.URL()` is safe); after Close without
// Serve it is "".
func (s *Server) URL() string {
	select {
	case <-s.serving:
	case <-s.done:
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.url
}

// Ledger returns every payment intent in the order they were created.
func (s *Server) Ledger() []Payment {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Payment, 0, len(s.intentOrder))
	for _, in := range s.intentOrder {
		out = append(out, Payment{
			IntentID: in.id, OrderID: in.metadata["order_id"], EventID: in.metadata["event_id"], Buyer: in.metadata["buyer"],
			AmountCents: in.amount, RefundedCents: in.refunded, Status: in.status, Captured: in.charge != "",
			Refunds: slices.Clone(in.refunds), Declines: in.declines, Events: slices.Clone(in.events),
		})
	}
	return out
}

// Stats counts each injected fault and the traffic, for the run summary:
// api_requests, api_errors_injected, lost_responses_injected,
// slow_responses_injected, declines, idempotent_replays,
// idempotency_conflicts, webhook_events, webhook_duplicates_injected,
// webhook_delays_injected, webhook_attempts, webhook_attempts_dropped,
// webhook_attempts_failed, webhook_queue_full.
func (s *Server) Stats() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.stats))
	for k, v := range s.stats {
		out[k] = v
	}
	return out
}

// chance draws a Bernoulli(p); s.mu must be held.
func (s *Server) chance(p float64) bool {
	return p > 0 && s.rng.Float64() < p
}

// newID draws prefix + 24 letters and digits, as Stripe's ids look; s.mu
// must be held.
func (s *Server) newID(prefix string) string {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	b := make([]byte, len(prefix), len(prefix)+24)
	copy(b, prefix)
	for range 24 {
		b = append(b, alphabet[s.rng.IntN(len(alphabet))])
	}
	return string(b)
}
