package checkout

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Gateway is one stateless HTTP/JSON front end. Build it with New, serve
// Handler, and run Run in the background for the reconciler, the
// notification deliverer and the janitor (every gateway may run them:
// their steps are CAS operations, so concurrent runners never
// double-apply).
type Gateway struct {
	cfg       Config
	id        string // random per process: names this gateway's janitor lease
	mux       *http.ServeMux
	handler   http.Handler // mux behind securityHeaders
	routes    []*route
	ticketing *ticketKeys  // QR signing keys, record seals, known fans (tickets.go)
	limiter   *rateLimiter // per fan and per IP (ratelimit.go)
	events    *rateLimiter // holds per event
	lease     *rateLease   // this gateway's share of the shared rates (ratelease.go)
	hub       *watchHub    // shared cluster Watches (watchhub.go)
	streams   *streamSlots // SSE streams per identity (quota.go)
	metrics   *metrics
	registry  *prometheus.Registry
	prepared  sync.Map    // event id -> struct{}: prepareEvent started (inventory.go)
	pressure  *pressure   // the cluster's measured headroom (pressure.go)
	shed      *shedder    // backpressure (shed.go)
	rooms     *queueRooms // waiting rooms in memory (queue.go)

	oidc   []*oidcVerifier // Config.OIDC's issuers (auth.go)
	tokens *tokenCache     // verified bearer tokens (auth.go)
	// streamWriteTimeout is the write deadline each write of a
	// Server-Sent Events stream extends (the Server's WriteTimeout; 0
	// when the server has none).
	streamWriteTimeout time.Duration
}

// Role is the role claim of a bearer token.
type Role string

// Roles. A fan buys; an organizer configures events (waiting room,
// notifications); a scanner checks tickets in; an admin may do anything.
const (
	RoleFan       Role = "fan"
	RoleOrganizer Role = "organizer"
	RoleScanner   Role = "scanner"
	RoleAdmin     Role = "admin"
)

// route is one endpoint; the route table drives the mux, the role checks,
// the Idempotency-Key requirement and the OpenAPI document alike.
type route struct {
	method, pattern string
	summary         string
	roles           []Role // nil: no token needed
	noIdempotency   bool   // POST without Idempotency-Key (Stripe webhooks, the waiting room's join)
	demoOnly        bool
	request         any // example request body (OpenAPI), nil for none
	response        any // example response body (OpenAPI), nil for non-JSON
	responseType    string
	handle          func(c *call) (int, any, error)
	doc             routeDoc // OpenAPI tag, description, errors, parameters (openapi.go)

	// eventScoped: an organizer or scanner must have the path's {event}
	// in their token's events (auth.go).
	eventScoped bool
}

// call is one request as handlers see it.
type call struct {
	g       *Gateway
	w       http.ResponseWriter
	r       *http.Request
	ctx     context.Context
	subject string
	role    Role
	events  []string // events an organizer or scanner may act on (auth.go)
	idemKey string
	body    []byte
	// releaseCaller ends the caller's in-flight slot (shed.go).
	releaseCaller func()
}

// New validates cfg and builds a gateway.
func New(cfg Config) (*Gateway, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	// Every store and cluster call the gateway makes is measured: the
	// pressure the measures add up to sheds new work (shed.go) and slows
	// the waiting rooms' admission (queue.go).
	p := newPressure()
	cfg.Store = measuredStore{Store: cfg.Store, p: p}
	cfg.Inventory = measureInventory(cfg.Inventory, p)
	g := &Gateway{
		cfg:       cfg,
		pressure:  p,
		id:        randomHex(8),
		mux:       http.NewServeMux(),
		ticketing: newTicketKeys(cfg),
		lease:     &rateLease{share: newRateShare()},
		registry:  prometheus.NewRegistry(),
		tokens:    newTokenCache(verifiedTokensMax, verifiedTokenBytesMax),
	}
	g.limiter = newRateLimiter(RateLimiterKeysMax, g.lease.share)
	g.events = newRateLimiter(eventBucketsMax, g.lease.share)
	g.metrics = newMetrics(g.registry)
	registerPressure(g.registry, p)
	g.shed = newShedder(cfg, p, g.metrics)
	g.rooms = newQueueRooms()
	for _, o := range cfg.OIDC {
		g.oidc = append(g.oidc, newOIDCVerifier(o, cfg.Now))
	}
	g.routes = g.routeTable()
	for _, rt := range g.routes {
		if rt.demoOnly && !cfg.DemoMode {
			continue
		}
		g.mux.HandleFunc(rt.method+" "+rt.pattern, g.serve(rt))
	}
	g.hub = newWatchHub(cfg, g.metrics)
	g.streams = newStreamSlots(cfg.StreamsPerFan, cfg.StreamsMax, g.metrics)
	g.mux.Handle("GET /metrics", promhttp.HandlerFor(g.registry, promhttp.HandlerOpts{}))
	g.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, r, Problem{Type: problemTypeBase + "not-found", Title: "not found", Status: http.StatusNotFound, Detail: "no such endpoint"}, 0)
	})
	g.handler = g.accessLog(securityHeaders(g.mux))
	return g, nil
}

// Handler serves the API with the security headers (server.go). Serve it
// with NewServer for the timeouts and HTTPS.
func (g *Gateway) Handler() http.Handler { return g.handler }

// Run runs the rate lease, the reconciler, the outbox deliverer and the
// janitor until ctx ends; then it releases the rate lease.
func (g *Gateway) Run(ctx context.Context) {
	ctx = background(ctx)
	leaseDone := make(chan struct{})
	go func() { defer close(leaseDone); g.runRateLease(ctx) }()
	defer func() { <-leaseDone }()
	reconcile := time.NewTicker(g.cfg.ReconcileInterval)
	defer reconcile.Stop()
	notify := time.NewTicker(g.cfg.NotifyInterval)
	defer notify.Stop()
	janitor := time.NewTicker(g.cfg.JanitorInterval)
	defer janitor.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-reconcile.C:
			if err := g.Reconcile(ctx); err != nil && ctx.Err() == nil {
				g.cfg.Logger.Warn("reconcile pass failed", "err", err)
			}
		case <-notify.C:
			if _, err := g.DeliverNotifications(ctx); err != nil && ctx.Err() == nil {
				g.cfg.Logger.Warn("notification pass failed", "err", err)
			}
		case <-janitor.C:
			if deleted, _, err := g.SweepExpired(ctx); err != nil && ctx.Err() == nil {
				g.cfg.Logger.Warn("janitor pass failed", "err", err, "deleted", deleted)
			} else if deleted > 0 {
				g.cfg.Logger.Info("janitor deleted expired records", "deleted", deleted)
			}
		}
	}
}

func (g *Gateway) now() time.Time { return g.cfg.Now() }

// serve wraps a route with the conventions every endpoint shares, in this
// order: metrics, backpressure (shed.go), per-IP rate limit,
// authentication and role, the caller's in-flight bound, per-fan and
// per-event rate limits, body limit, Idempotency-Key, handler, problem
// responses.
func (g *Gateway) serve(rt *route) http.HandlerFunc {
	label := rt.method + " " + rt.pattern
	perEvent := label == holdRoute
	class := routeShedClass(rt.method, rt.pattern)
	return func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		if rt.responseType == "text/event-stream" {
			rec.streamWriteTimeout = g.streamWriteTimeout
		}
		defer func() {
			g.metrics.observe(label, rec.status, time.Since(start))
		}()
		c := &call{g: g, w: rec, r: r, ctx: r.Context()}
		// Backpressure before any cluster call (shed.go).
		release, err := g.shed.admit(class)
		if err != nil {
			g.fail(c, err)
			return
		}
		defer release()
		defer func() {
			if c.releaseCaller != nil {
				c.releaseCaller()
			}
		}()
		if err := g.prepare(c, rt, perEvent); err != nil {
			g.fail(c, err)
			return
		}
		if r.Method == http.MethodPost && !rt.noIdempotency {
			g.serveIdempotent(c, rt)
			return
		}
		status, body, err := rt.handle(c)
		if err != nil {
			g.fail(c, err)
			return
		}
		if status != 0 {
			writeJSON(rec, status, body)
		}
	}
}

// holdRoute is the route RatePerEvent limits.
const holdRoute = "POST /v1/events/{event}/holds"

func (g *Gateway) prepare(c *call, rt *route, perEvent bool) error {
	ip := g.clientIP(c.r)
	if wait, ok := g.limiter.allow("ip:"+ip, g.cfg.RatePerIP, g.now()); !ok {
		g.metrics.rateLimited.WithLabelValues("ip").Inc()
		return &detailedError{err: ErrRateLimited, detail: "too many requests from " + ip, retryAfter: wait}
	}
	if rt.roles != nil {
		if err := g.authorize(c, rt); err != nil {
			return err
		}
		release, err := g.shed.admitCaller(routeShedClass(rt.method, rt.pattern), c.subject)
		if err != nil {
			return err
		}
		c.releaseCaller = release
		if wait, ok := g.limiter.allow("sub:"+c.subject, g.cfg.RatePerFan, g.now()); !ok {
			g.metrics.rateLimited.WithLabelValues("fan").Inc()
			return &detailedError{err: ErrRateLimited, detail: "too many requests from " + c.subject, retryAfter: wait}
		}
	}
	if perEvent {
		event := c.r.PathValue("event")
		if wait, ok := g.events.allow(event, g.cfg.RatePerEvent, g.now()); !ok {
			g.metrics.rateLimited.WithLabelValues("event").Inc()
			return &detailedError{err: ErrRateLimited, detail: "too many hold requests for event " + echo(event) + " across all fans", retryAfter: wait}
		}
	}
	if rt.roles != nil {
		// Reads answered from memory make no store call: a fan who
		// only browses or polls is remembered at their first other
		// request (a join, a hold).
		if c.role == RoleFan && routeShedClass(rt.method, rt.pattern) != shedNever {
			if err := g.rememberFan(c.ctx, c.subject); err != nil {
				return err
			}
		}
	}
	if c.r.Body != nil && c.r.Method != http.MethodGet {
		body, err := io.ReadAll(io.LimitReader(c.r.Body, RequestBodyBytesMax+1))
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return problem(ErrRequestTimeout, "the request body did not arrive in time")
		}
		if err != nil {
			return problem(ErrInvalid, "the request body could not be read")
		}
		if len(body) > RequestBodyBytesMax {
			return problem(ErrInvalid, fmt.Sprintf("body larger than %d bytes", RequestBodyBytesMax))
		}
		c.body = body
	}
	return nil
}

func (g *Gateway) fail(c *call, err error) {
	p, retryAfter := classify(err)
	if p.Status >= 500 {
		g.cfg.Logger.Warn("request failed", "route", c.r.Pattern, "request_id", c.w.Header().Get(requestIDHeader), "err", err)
	}
	writeProblem(c.w, c.r, p, retryAfter)
}

// decode parses the JSON body into v. The body must be exactly one JSON
// value with nothing after it, in valid UTF-8, with no object key twice at
// any depth (RFC 7493, I-JSON) and no member v does not have: a duplicate
// key or a second value is how a request says one thing to a proxy or a
// validator and another to this handler, since parsers disagree on which
// copy wins. Syntax is checked with jsontext (the mirror of Go 1.27's
// encoding/json/jsontext) and the value decoded with encoding/json as
// before. Refusals say what is wrong and where, in our words.
func (c *call) decode(v any) error {
	if len(bytes.TrimSpace(c.body)) == 0 {
		return nil
	}
	if !jsontext.Value(c.body).IsValid() {
		return problem(ErrInvalid, "body: "+invalidJSONDetail(c.body))
	}
	dec := json.NewDecoder(bytes.NewReader(c.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return problem(ErrInvalid, "body: "+decodeErrorDetail(err))
	}
	return nil
}

// invalidJSONDetail says why body is not one valid I-JSON value.
func invalidJSONDetail(body []byte) string {
	dec := jsontext.NewDecoder(bytes.NewReader(body))
	if _, err := dec.ReadValue(); err != nil {
		var syntax *jsontext.SyntacticError
		if !errors.As(err, &syntax) {
			return "malformed JSON"
		}
		at := ""
		if syntax.JSONPointer != "" {
			at = fmt.Sprintf(" at %q", echo(string(syntax.JSONPointer)))
		}
		switch {
		case errors.Is(err, jsontext.ErrDuplicateName):
			return "duplicate key" + at
		case errors.Is(err, io.ErrUnexpectedEOF):
			return "the JSON value ends early"
		case !utf8.Valid(body):
			return "invalid UTF-8" + at
		}
		return fmt.Sprintf("malformed JSON at byte %d", syntax.ByteOffset)
	}
	return fmt.Sprintf("data after the JSON value at byte %d", dec.InputOffset())
}

// decodeErrorDetail turns an encoding/json error into a sentence without
// Go type names or the library's wording.
func decodeErrorDetail(err error) string {
	var typeErr *json.UnmarshalTypeError
	var timeErr *time.ParseError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &syntaxErr):
		return fmt.Sprintf("malformed JSON at byte %d", syntaxErr.Offset)
	case errors.As(err, &typeErr):
		want := "a different type"
		switch typeErr.Type.Kind() {
		case reflect.String:
			want = "a string"
		case reflect.Bool:
			want = "true or false"
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			want = "an integer"
		case reflect.Float32, reflect.Float64:
			want = "a number"
		case reflect.Slice, reflect.Array:
			want = "an array"
		case reflect.Struct, reflect.Map:
			want = "an object"
		}
		if typeErr.Field == "" {
			return "want " + want
		}
		return fmt.Sprintf("%q: want %s", echo(typeErr.Field), want)
	case errors.As(err, &timeErr):
		return "a time is not RFC 3339 (like 2026-12-24T20:00:00Z)"
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		if unquoted, uerr := strconv.Unquote(name); uerr == nil {
			name = unquoted
		}
		return fmt.Sprintf("unknown field %q", echo(name))
	}
	return "a value does not have the expected form"
}

// requestID derives a cluster request id from the caller's idempotency key
// and a purpose, so a retried POST sends the cluster the same ids.
func (c *call) requestID(purpose string) string {
	return deriveID("req", c.subject, c.idemKey, purpose)
}

// deriveID hashes parts into a short, deterministic id.
func deriveID(kind string, parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return kind + "_" + hex.EncodeToString(h.Sum(nil)[:12])
}

// isFanOnly reports whether the caller sees only their own records.
func (c *call) isFanOnly() bool { return c.role == RoleFan }

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// statusRecorder records the status for metrics. For a Server-Sent Events
// stream (streamWriteTimeout > 0) every write and flush first moves the
// connection's write deadline to streamWriteTimeout from now, and a flush
// lifts it once the event is out: the server's WriteTimeout would
// otherwise end the stream (HTTP/2 resets a stream whose deadline passes
// even while it is idle), and without any deadline a client that stops
// reading would hold the handler forever.
type statusRecorder struct {
	http.ResponseWriter
	status             int
	streamWriteTimeout time.Duration
	controller         *http.ResponseController // made on the first stream write
}

func (s *statusRecorder) setStreamDeadline(deadline time.Time) {
	if s.streamWriteTimeout <= 0 {
		return
	}
	if s.controller == nil {
		s.controller = http.NewResponseController(s.ResponseWriter)
	}
	_ = s.controller.SetWriteDeadline(deadline)
}

// Unwrap lets http.ResponseController reach the connection.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	s.setStreamDeadline(time.Now().Add(s.streamWriteTimeout))
	return s.ResponseWriter.Write(b)
}

// Flush lets SSE handlers flush through the recorder.
func (s *statusRecorder) Flush() {
	s.setStreamDeadline(time.Now().Add(s.streamWriteTimeout))
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
	s.setStreamDeadline(time.Time{})
}

// clientIP is the address the per-IP rate limit charges: the peer, or,
// when the peer is one of Config.TrustedProxies, the right-most
// X-Forwarded-For address that is not a trusted proxy (each proxy appends
// the address it received from, so everything left of the first untrusted
// hop may be forged by the client). If every hop is trusted, the
// left-most one is the client.
func (g *Gateway) clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil || !g.trusted(peer) {
		return host
	}
	var hops []string
	for _, h := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(h, ",")...)
	}
	client := host
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // garbage from a client: stop at the last hop we could read
		}
		client = hop.Unmap().String()
		if !g.trusted(hop) {
			break
		}
	}
	return client
}

func (g *Gateway) trusted(addr netip.Addr) bool {
	addr = addr.Unmap()
	for _, p := range g.cfg.TrustedProxies {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

func pathInt(r *http.Request, name string, def, lo, hi int) (int, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, problem(ErrInvalid, fmt.Sprintf("query %s=%q: want an integer in %d..%d", name, echo(s), lo, hi))
	}
	return n, nil
}

// health answers /healthz: the process serves HTTP.
func (g *Gateway) health(c *call) (int, any, error) {
	return http.StatusOK, map[string]string{"status": "ok"}, nil
}

// ready answers /readyz: the store and the cluster both answer.
func (g *Gateway) ready(c *call) (int, any, error) {
	ctx, cancel := context.WithTimeout(c.ctx, 2*time.Second)
	defer cancel()
	if _, _, err := g.cfg.Store.Get(ctx, "readyz/probe"); err != nil && !errors.Is(err, ErrNotFound) {
		return 0, nil, problem(ErrUnavailable, "store: "+err.Error())
	}
	if _, err := g.cfg.Inventory.ListEvents(ctx, &boxofficev1.ListEventsRequest{PageSize: 1}); err != nil {
		return 0, nil, problem(ErrUnavailable, "cluster: "+err.Error())
	}
	return http.StatusOK, map[string]string{"status": "ready"}, nil
}

// validID refuses ids that would break store keys or, echoed in a later
// problem, carry control characters.
func validID(kind, id string) error {
	if id == "" || len(id) > 128 || strings.ContainsAny(id, "/ ") || strings.ContainsFunc(id, unicode.IsControl) {
		return problem(ErrInvalid, fmt.Sprintf("%s %q: want 1..128 bytes without '/', spaces or control characters", kind, echo(id)))
	}
	return nil
}

// backgroundKey marks the context of the gateway's own work (room loops,
// leases, the reconciler, shared watches), as opposed to a request's.
type backgroundKey struct{}

// background marks ctx as the gateway's own work: the store and cluster
// calls made under it belong to no request (TestPurchaseRoundTrips counts
// a request's calls apart from them).
func background(ctx context.Context) context.Context {
	return context.WithValue(ctx, backgroundKey{}, true)
}

// isBackground reports whether ctx was marked by background.
func isBackground(ctx context.Context) bool {
	b, _ := ctx.Value(backgroundKey{}).(bool)
	return b
}
