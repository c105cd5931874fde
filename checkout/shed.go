package checkout

import (
	"net/http"
	"strings"
	"sync"
	"time"
)

// Backpressure: the gateway refuses work it cannot finish before it makes
// any cluster call for it, so its own latency stays bounded when the
// cluster is saturated and the work that still runs is the work that
// matters most.
//
// Every route has a shedClass:
//
//   - shedNever: answered from gateway memory (waiting-room polls and
//     streams, event views and seat streams, liveness, the OpenAPI
//     document, the public key), and the readiness probe (two calls a
//     probe: shedding it would take every gateway out of the load
//     balancer, memory answers and all). Never shed.
//   - shedFirst: new work that starts a purchase (joining a waiting room,
//     a new hold, the demo login). Shed while the cluster is saturated
//     (pressure.go) and when the gateway's in-flight requests reach
//     Config.InFlightMax.
//   - shedNormal: the other writes (releases, transfers, organizer and
//     scanner calls). Shed like shedFirst.
//   - shedLast: orders and payments underway (POST /v1/orders, fake-pay,
//     Stripe's webhooks) and a fan's reads of its own holds, orders and
//     tickets (the last step of a purchase, and cheap): a fan mid-checkout
//     finishes. Never shed for pressure; shed only past InFlightMax plus a
//     quarter reserved for them.
//
// A shed request gets 503 overloaded with Retry-After (the rest of the
// saturation, at least a second) and changes nothing. Beside the
// gateway-wide bound, one caller (fan or staff identity, else client
// address) may have Config.InFlightPerCaller requests in flight on this
// gateway; one more is refused with 429 too-many-in-flight.
type shedClass int

const (
	shedNormal shedClass = iota
	shedNever
	shedFirst
	shedLast
)

func (c shedClass) String() string {
	switch c {
	case shedNever:
		return "never"
	case shedFirst:
		return "first"
	case shedLast:
		return "last"
	}
	return "normal"
}

// routeShedClass classifies a route (see shedClass).
func routeShedClass(method, pattern string) shedClass {
	switch {
	case method == http.MethodGet && (strings.HasPrefix(pattern, "/v1/events/{event}/waiting-room/me") ||
		pattern == "/v1/events" || pattern == "/v1/events/{event}" || strings.HasPrefix(pattern, "/v1/events/{event}/seats") ||
		pattern == "/healthz" || pattern == "/readyz" || pattern == "/openapi.json" || pattern == "/v1/tickets/public-key"):
		return shedNever
	case method == http.MethodPost && (pattern == "/v1/events/{event}/waiting-room/join" || pattern == "/v1/events/{event}/holds" || pattern == "/v1/dev/login"):
		return shedFirst
	case method == http.MethodPost && (pattern == "/v1/orders" || pattern == "/v1/orders/{order}/fake-pay" || pattern == "/v1/webhooks/stripe"):
		return shedLast
	case method == http.MethodGet:
		// A fan reading its own holds, orders and tickets is usually at
		// the end of a purchase: the reads are cheap and the last step.
		return shedLast
	}
	return shedNormal
}

// shedder counts this gateway's requests in flight, in total and per
// caller, and decides what to shed.
type shedder struct {
	maxInFlight, maxPerCaller int // <= 0: no bound
	p                         *pressure
	m                         *metrics

	mu         sync.Mutex
	inFlight   int
	perCallerN map[string]int
}

func newShedder(cfg Config, p *pressure, m *metrics) *shedder {
	return &shedder{maxInFlight: cfg.InFlightMax, maxPerCaller: cfg.InFlightPerCaller, p: p, m: m, perCallerN: map[string]int{}}
}

// admit lets a request of class c in, or refuses it. The release func
// must be called when the request ends.
func (s *shedder) admit(c shedClass) (release func(), err error) {
	if c == shedNever {
		return func() {}, nil
	}
	if c != shedLast && s.p.saturated() {
		s.m.shed.WithLabelValues("pressure", c.String()).Inc()
		return nil, &detailedError{err: ErrOverloaded, detail: "the seat cluster is saturated: retry after the Retry-After delay", retryAfter: s.p.retryAfter()}
	}
	s.mu.Lock()
	limit := s.maxInFlight
	if c == shedLast && limit > 0 {
		limit += max(1, limit/4)
	}
	if limit > 0 && s.inFlight >= limit {
		s.mu.Unlock()
		s.m.shed.WithLabelValues("in_flight", c.String()).Inc()
		return nil, &detailedError{err: ErrOverloaded, detail: "this gateway has too many requests in flight: retry after the Retry-After delay", retryAfter: time.Second}
	}
	s.inFlight++
	s.m.inFlight.Set(float64(s.inFlight))
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		s.inFlight--
		s.m.inFlight.Set(float64(s.inFlight))
		s.mu.Unlock()
	}, nil
}

// admitCaller bounds one caller's requests in flight.
func (s *shedder) admitCaller(c shedClass, caller string) (release func(), err error) {
	if c == shedNever || s.maxPerCaller <= 0 {
		return func() {}, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.perCallerN[caller] >= s.maxPerCaller {
		s.m.shed.WithLabelValues("per_caller", c.String()).Inc()
		return nil, &detailedError{err: ErrTooManyInFlight, detail: "too many of your requests are in flight on this gateway: wait for them", retryAfter: time.Second,
			extensions: map[string]any{"limit": s.maxPerCaller}}
	}
	s.perCallerN[caller]++
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.perCallerN[caller]--; s.perCallerN[caller] <= 0 {
			delete(s.perCallerN, caller)
		}
	}, nil
}
