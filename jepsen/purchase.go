package jepsen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	boxcluster "github.com/boxoffice/boxoffice/cluster"
	"github.com/boxoffice/boxoffice/jepsen/fakestripe"
)

// The purchase workload: fans buy tickets through real gateway processes
// while the store workload and the faults run. Each fan worker plays one
// fan after another, like a phone app: join the waiting room and poll
// until admitted, hold seats (explicit or best-available), create the
// order, pay it on the provider (fakestripe's Confirm: the Stripe SDK
// step), wait for the tickets, and sometimes transfer a ticket, refund the
// order or have it scanned at the door (at one gateway, or at both at
// once). Every mutating call carries an Idempotency-Key kept across its
// retries; a call that gets no answer, a 5xx, a 429 or 409
// request-in-progress is sent again to the next gateway. A fan never
// leaves a purchase half done: once traffic ends it finishes the one in
// hand (after the faults heal) before stopping, so every order it created
// is paid or declined.

// The shop event and its rules.
const (
	shopEventID      = "shop"
	shopSections     = 20
	shopRows         = 10
	shopSeatsPerRow  = 25   // 5,000 seats
	shopTicketLimit  = 4    // seats per fan
	shopAdmitPerSec  = 2000 // waiting-room admissions a second
	shopHoldTTL      = 60 * time.Second
	shopDeclineRate  = 0.05 // always on
	shopAttemptLimit = 10 * time.Second
	// shopFinishLimit bounds how long fans may take, after the heal, to
	// finish the purchase they had in hand when traffic ended.
	shopFinishLimit = 90 * time.Second
	// shopDeliverLimit bounds the wait for every webhook to be delivered.
	shopDeliverLimit = 60 * time.Second
	// OrderEndBound: once the fans are done and every webhook is
	// delivered, every order must be in a terminal state within this
	// (the gateways' reconciler runs every 5 s).
	OrderEndBound = 60 * time.Second
)

// basePaymentFaults are always on; windowPaymentFaults during a
// payment-faults window.
var (
	basePaymentFaults   = fakestripe.Faults{DeclineRate: shopDeclineRate}
	windowPaymentFaults = fakestripe.Faults{DeclineRate: shopDeclineRate, ErrorRate: 0.1, LostResponseRate: 0.1,
		SlowResponse: 100 * time.Millisecond, DuplicateWebhookRate: 0.3, WebhookDelayMax: 2 * time.Second, WebhookFailRate: 0.2}
)

// shop is the purchase workload of one run.
type shop struct {
	cfg      *Config
	c        *cluster
	gws      *gatewaySet
	pay      *fakestripe.Server
	http     *http.Client
	secrets  shopSecrets
	start    time.Time
	sections []string
	rows     map[string][][]string
	logf     func(string, ...any)

	fanSeq atomic.Int64
	mu     sync.Mutex
	hist   PurchaseHistory
	fans   []string // every fan that sent a request (transfer recipients)
	counts purchaseCounts
}

// purchaseCounts are what the fans saw, for the summary.
type purchaseCounts struct {
	Fans, Holds, HoldRefused, LimitRefused, Abandoned, Orders, Confirmed, Declined int
	Transfers, CheckIns, ScansRefused, Refunds, RefundsRefused, GaveUp             int
}

// startShop starts the payment provider and the gateways, creates the
// shop event and opens its waiting room.
func startShop(ctx context.Context, cfg *Config, c *cluster, binary, dir string) (*shop, error) {
	s := &shop{cfg: cfg, c: c, secrets: newShopSecrets(), logf: cfg.Logf, rows: map[string][][]string{}}
	s.http = &http.Client{Transport: &http.Transport{
		DialContext:         func(ctx context.Context, _, addr string) (net.Conn, error) { return c.net.dial(ctx, addr) },
		MaxIdleConnsPerHost: 4*cfg.Fans + 8, IdleConnTimeout: 30 * time.Second,
	}}
	s.pay = fakestripe.New(fakestripe.Options{WebhookSecret: s.secrets.webhookSecret, SecretKey: s.secrets.stripeKey, Seed: cfg.Seed,
		Logf: func(format string, args ...any) { cfg.Logf("fakestripe: "+format, args...) },
		// Webhooks go to the gateways from where the harness reaches them.
		Dial: func(ctx context.Context, _, addr string) (net.Conn, error) { return c.net.dial(ctx, addr) }})
	s.pay.SetFaults(basePaymentFaults)
	l, err := listenHub(c.net, fakeStripePort)
	if err != nil {
		return nil, fmt.Errorf("payment provider listener: %w", err)
	}
	go func() { _ = s.pay.Serve(l) }()
	if s.gws, err = newGatewaySet(c, binary, dir, cfg.Gateways, shopTicketLimit, s.secrets, "http://"+l.Addr().String(), cfg.Logf); err != nil {
		s.stop()
		return nil, err
	}
	var hooks []string
	for _, g := range s.gws.procs {
		hooks = append(hooks, "http://"+g.addr+"/v1/webhooks/stripe")
	}
	s.pay.SetWebhookURLs(hooks)
	if err := s.createEvent(ctx); err != nil {
		s.stop()
		return nil, err
	}
	for _, g := range s.gws.procs {
		if err := s.gws.start(g); err != nil {
			s.stop()
			return nil, err
		}
	}
	if err := s.gws.waitReady(ctx, s.http, gatewayStartLimit); err != nil {
		s.stop()
		return nil, err
	}
	if err := s.openWaitingRoom(ctx); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

func (s *shop) stop() {
	if s.gws != nil {
		s.gws.stopAll()
	}
	if s.pay != nil {
		_ = s.pay.Close()
	}
	s.http.CloseIdleConnections()
}

// createEvent creates the shop event in the cluster, spread over every
// group, with short holds so that expiries and re-holds happen.
func (s *shop) createEvent(ctx context.Context) error {
	venue := boxcluster.OnSaleVenue(shopSections, shopRows, shopSeatsPerRow)
	req := &boxofficev1.CreateEventRequest{RequestId: "jepsen-create-shop", EventId: shopEventID, Name: "Jepsen shop", Venue: venue,
		GroupCount: uint32(len(s.c.nodes)),
		Policy: &boxofficev1.EventPolicy{HoldTtlDefaultMs: shopHoldTTL.Milliseconds(), HoldTtlMaxMs: shopHoldTTL.Milliseconds(),
			HoldLifetimeMaxMs: 5 * shopHoldTTL.Milliseconds(), SeatsPerHoldMax: shopTicketLimit}}
	for _, sec := range venue.GetSections() {
		s.sections = append(s.sections, sec.GetId())
		for _, r := range sec.GetRows() {
			var ids []string
			for n := range int(r.GetSeatCount()) {
				ids = append(ids, fmt.Sprintf("%s-%s-%d", sec.GetId(), r.GetLabel(), int(r.GetFirstNumber())+n))
			}
			s.rows[sec.GetId()] = append(s.rows[sec.GetId()], ids)
		}
	}
	deadline := time.Now().Add(createEventLimit)
	var err error
	for attempt := 0; time.Now().Before(deadline); attempt++ {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err = s.c.inventory(1+attempt%len(s.c.nodes)).CreateEvent(cctx, req)
		cancel()
		if err == nil {
			return nil
		}
		if !sleepCtx(ctx, 500*time.Millisecond) {
			break
		}
	}
	return fmt.Errorf("create shop event: %w", err)
}

// openWaitingRoom puts the shop in queue mode, on sale at once.
func (s *shop) openWaitingRoom(ctx context.Context) error {
	org := s.token("jepsen-organizer", "organizer")
	body := map[string]any{"on_sale_at": time.Now().Add(-2 * time.Second).UTC().Format(time.RFC3339), "admit_per_second": shopAdmitPerSec}
	fctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	r := s.call(fctx, &fan{id: "jepsen-organizer", token: org}, "waiting-room", http.MethodPut, "/v1/events/"+shopEventID+"/waiting-room", body, "")
	if r.status != http.StatusOK {
		return fmt.Errorf("open the waiting room: %s", r.describe())
	}
	return nil
}

// token mints a bearer token as the identity provider would: HS256 with
// the gateways' --jwt-secret.
func (s *shop) token(subject, role string) string {
	now := time.Now()
	claims := jwt.MapClaims{"iss": "boxoffice-gateway", "aud": "api", "sub": subject, "role": role,
		"iat": now.Add(-time.Minute).Unix(), "exp": now.Add(2 * time.Hour).Unix()}
	if role != "fan" {
		claims["events"] = []string{shopEventID}
	}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(s.secrets.jwt)
	if err != nil {
		panic(err) // HMAC signing of a map cannot fail
	}
	return tok
}

func (s *shop) now() int64 { return time.Since(s.start).Nanoseconds() }

// fan is one phone.
type fan struct {
	id     string
	token  string
	gw     int // the gateway it talks to first
	xff    string
	rng    *rand.Rand
	keySeq int
	// admission is the waiting room's admission token, sent with holds.
	admission string
}

func (f *fan) key(step string) string {
	f.keySeq++
	return f.id + "-" + step + "-" + strconv.Itoa(f.keySeq)
}

// apiResult is the last answer of a call.
type apiResult struct {
	status  int // 0: no answer
	problem string
	body    []byte
	err     error
}

func (r apiResult) describe() string {
	if r.status == 0 {
		return fmt.Sprintf("no answer: %v", r.err)
	}
	return fmt.Sprintf("%d %s %s", r.status, r.problem, limitBytes(r.body, 200))
}

func limitBytes(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}

// retryable reports whether a phone sends the request again.
func (r apiResult) retryable() bool {
	return r.status == 0 || r.status >= 500 || r.status == http.StatusTooManyRequests ||
		r.status == http.StatusRequestTimeout || (r.status == http.StatusConflict && r.problem == "request-in-progress")
}

// call sends one request until it gets an answer that is not worth
// retrying or ctx ends, each attempt to the next gateway, with key as
// its Idempotency-Key (empty for reads). Every attempt is recorded.
func (s *shop) call(ctx context.Context, f *fan, step, method, path string, body any, key string) apiResult {
	var payload []byte
	if body != nil {
		payload, _ = json.Marshal(body)
	}
	var last apiResult
	for attempt := 0; ; attempt++ {
		g := s.gws.procs[(f.gw+attempt)%len(s.gws.procs)]
		started := s.now()
		last = s.attempt(ctx, f, g, method, path, payload, key)
		rec := PurchaseCall{Fan: f.id, Step: step, Gateway: g.id, Key: key, Method: method, Path: path, Attempt: attempt + 1,
			Start: started, End: s.now(), Status: last.status, Problem: last.problem}
		if last.err != nil {
			rec.Error = last.err.Error()
		}
		s.mu.Lock()
		s.hist.Calls = append(s.hist.Calls, rec)
		s.mu.Unlock()
		if !last.retryable() || ctx.Err() != nil {
			return last
		}
		backoff := min(100*time.Millisecond<<min(attempt, 4), 1500*time.Millisecond)
		if !sleepCtx(ctx, backoff) {
			return last
		}
	}
}

func (s *shop) attempt(ctx context.Context, f *fan, g *gatewayProc, method, path string, payload []byte, key string) apiResult {
	actx, cancel := context.WithTimeout(ctx, shopAttemptLimit)
	defer cancel()
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(actx, method, "http://"+g.addr+path, rd)
	if err != nil {
		return apiResult{err: err}
	}
	req.Header.Set("Authorization", "Bearer "+f.token)
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
		req.Header.Set("X-Request-Id", key)
	}
	if f.xff != "" {
		req.Header.Set("X-Forwarded-For", f.xff)
	}
	if f.admission != "" {
		req.Header.Set("X-Admission-Token", f.admission)
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return apiResult{err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return apiResult{err: err}
	}
	r := apiResult{status: resp.StatusCode, body: b}
	if resp.StatusCode >= 400 {
		var p struct {
			Type string `json:"type"`
		}
		if json.Unmarshal(b, &p) == nil {
			r.problem = p.Type[strings.LastIndexByte(p.Type, '/')+1:]
		}
	}
	return r
}

// Views of the gateway's answers (the fields the fans use).
type (
	holdAnswer struct {
		HoldID string   `json:"hold_id"`
		Seats  []string `json:"seats"`
	}
	orderAnswer struct {
		OrderID     string   `json:"order_id"`
		State       string   `json:"state"`
		Seats       []string `json:"seats"`
		AmountCents int64    `json:"amount_cents"`
		Payment     struct {
			IntentID     string `json:"intent_id"`
			ClientSecret string `json:"client_secret"`
		} `json:"payment"`
		Tickets []struct {
			TicketID string `json:"ticket_id"`
			SeatID   string `json:"seat_id"`
		} `json:"tickets"`
	}
	ticketAnswer struct {
		TicketID string `json:"ticket_id"`
		OrderID  string `json:"order_id"`
		SeatID   string `json:"seat_id"`
		Owner    string `json:"owner"`
		State    string `json:"state"`
		QRID     string `json:"qr_id"`
		QRText   string `json:"qr_text"`
	}
	queueAnswer struct {
		State          string `json:"state"`
		AdmissionToken string `json:"admission_token"`
	}
)

// run starts the fan workers; they start purchases until traffic ends and
// finish the one in hand until finish ends. done closes when all stopped.
func (s *shop) run(traffic, finish context.Context) (done chan struct{}) {
	done = make(chan struct{})
	var wg sync.WaitGroup
	for w := range s.cfg.Fans {
		rng := rand.New(rand.NewPCG(uint64(s.cfg.Seed), 0x73686f70+uint64(w)))
		wg.Go(func() {
			for traffic.Err() == nil && finish.Err() == nil {
				s.session(traffic, finish, w, rng)
			}
		})
	}
	go func() { wg.Wait(); close(done) }()
	return done
}

// session is one fan: queue, then one to three purchases.
func (s *shop) session(traffic, finish context.Context, worker int, rng *rand.Rand) {
	n := s.fanSeq.Add(1)
	f := &fan{id: fmt.Sprintf("fan-%d-%d", worker, n), gw: rng.IntN(len(s.gws.procs)), rng: rng,
		xff: fmt.Sprintf("100.%d.%d.%d", 64+(n>>16)%64, (n>>8)%256, n%256)}
	f.token = s.token(f.id, "fan")
	s.mu.Lock()
	s.counts.Fans++
	s.mu.Unlock()
	// Queue: join, then poll until admitted (traffic bounds the wait: no
	// purchase is in hand yet).
	r := s.call(traffic, f, "join", http.MethodPost, "/v1/events/"+shopEventID+"/waiting-room/join", nil, f.key("join"))
	if r.status != http.StatusOK {
		return
	}
	s.mu.Lock()
	s.fans = append(s.fans, f.id)
	s.mu.Unlock()
	var joined queueAnswer
	if json.Unmarshal(r.body, &joined) == nil && joined.State == "admitted" {
		f.admission = joined.AdmissionToken // admitted by the join itself
	}
	for f.admission == "" {
		r := s.call(traffic, f, "queue", http.MethodGet, "/v1/events/"+shopEventID+"/waiting-room/me", nil, "")
		var q queueAnswer
		if r.status != http.StatusOK || json.Unmarshal(r.body, &q) != nil || q.State == "expired" {
			return
		}
		if q.State == "admitted" {
			f.admission = q.AdmissionToken
			break
		}
		if !sleepCtx(traffic, 250*time.Millisecond) {
			return
		}
	}
	for range 1 + rng.IntN(3) {
		if traffic.Err() != nil {
			return
		}
		s.purchase(traffic, finish, f)
	}
}

// purchase is one hold → order → pay → tickets, and what the fan then
// does with them.
func (s *shop) purchase(traffic, finish context.Context, f *fan) {
	qty := 1 + f.rng.IntN(2)
	if f.rng.IntN(10) == 0 {
		qty = 3
	}
	var hold holdAnswer
	for try := 0; hold.HoldID == "" && try < 3; try++ {
		var body any
		section := s.sections[f.rng.IntN(len(s.sections))]
		if f.rng.IntN(3) == 0 {
			rows := s.rows[section]
			row := rows[f.rng.IntN(len(rows))]
			first := f.rng.IntN(len(row) - qty + 1)
			body = map[string]any{"seats": row[first : first+qty]}
		} else {
			body = map[string]any{"best": map[string]any{"quantity": qty, "section_id": section}}
		}
		r := s.call(traffic, f, "hold", http.MethodPost, "/v1/events/"+shopEventID+"/holds", body, f.key("hold"))
		switch {
		case r.status == http.StatusCreated || r.status == http.StatusOK:
			_ = json.Unmarshal(r.body, &hold)
		case r.problem == "ticket-limit-exceeded":
			s.count(func(c *purchaseCounts) { c.LimitRefused++ })
			return
		case r.problem == "seat-unavailable" || r.problem == "not-enough-seats":
			s.count(func(c *purchaseCounts) { c.HoldRefused++ })
		default:
			return
		}
	}
	if hold.HoldID == "" {
		return
	}
	s.count(func(c *purchaseCounts) { c.Holds++ })
	if f.rng.IntN(10) == 0 {
		s.call(traffic, f, "release", http.MethodPost, "/v1/holds/"+hold.HoldID+"/release", map[string]any{}, f.key("release"))
		s.count(func(c *purchaseCounts) { c.Abandoned++ })
		return
	}
	// From here on the fan finishes what it started, even after traffic.
	r := s.call(finish, f, "order", http.MethodPost, "/v1/orders", map[string]any{"hold_id": hold.HoldID}, f.key("order"))
	var o orderAnswer
	if (r.status != http.StatusCreated && r.status != http.StatusOK) || json.Unmarshal(r.body, &o) != nil || o.OrderID == "" {
		if r.retryable() {
			s.count(func(c *purchaseCounts) { c.GaveUp++ })
		}
		return
	}
	s.mu.Lock()
	s.counts.Orders++
	s.hist.Orders = append(s.hist.Orders, OrderSeen{OrderID: o.OrderID, Fan: f.id, IntentID: o.Payment.IntentID, Seats: o.Seats, At: s.now()})
	s.mu.Unlock()
	if o.State == "pending" && o.Payment.ClientSecret != "" {
		s.confirm(finish, f, o)
	}
	paid := s.awaitOrder(finish, f, o.OrderID)
	if paid == nil || traffic.Err() != nil {
		return
	}
	switch x := f.rng.Float64(); {
	case x < 0.10:
		s.refund(finish, f, *paid)
	case x < 0.25:
		s.transfer(finish, f, *paid)
	case x < 0.65:
		s.checkIn(finish, f, *paid)
	}
}

func (s *shop) count(change func(c *purchaseCounts)) {
	s.mu.Lock()
	change(&s.counts)
	s.mu.Unlock()
}

// confirm pays the order's intent as the phone's Stripe SDK does: half
// the fans through fakestripe.Confirm, half over HTTP as Stripe.js sends
// it (where the provider's API faults apply), one in twenty with a card
// that is always declined. A decline is final for most fans; a third try
// again at once with another card (the gateway may be cancelling the
// intent meanwhile). A full webhook queue is retried.
func (s *shop) confirm(ctx context.Context, f *fan, o orderAnswer) {
	retryDecline := f.rng.IntN(3) == 0
	overHTTP := f.rng.IntN(2) == 0
	card := ""
	if f.rng.IntN(20) == 0 {
		card, overHTTP = declinedTestCard, true
	}
	for attempt := 0; attempt < 20; attempt++ {
		rec := ConfirmRecord{OrderID: o.OrderID, IntentID: o.Payment.IntentID, Fan: f.id, Start: s.now()}
		var status string
		var err error
		if overHTTP {
			status, err = s.confirmHTTP(ctx, f, o, card)
		} else {
			status, err = s.pay.Confirm(ctx, o.Payment.IntentID, o.Payment.ClientSecret)
		}
		rec.End, rec.Status = s.now(), status
		declined := errors.Is(err, fakestripe.ErrDeclined)
		if declined {
			rec.Status = ConfirmDeclined
		} else if err != nil {
			rec.Err = err.Error()
		}
		s.mu.Lock()
		s.hist.Confirms = append(s.hist.Confirms, rec)
		switch {
		case err == nil:
			s.counts.Confirmed++
		case declined:
			s.counts.Declined++
		}
		s.mu.Unlock()
		switch {
		case declined && retryDecline:
			retryDecline, card = false, "" // another card
			continue
		case errors.Is(err, fakestripe.ErrQueueFull):
			if !sleepCtx(ctx, 200*time.Millisecond) {
				return
			}
			continue
		}
		return
	}
}

// declinedTestCard is Stripe's test payment method that always declines.
const declinedTestCard = "pm_card_chargeDeclined"

// confirmHTTP is the confirmation as Stripe.js sends it: POST
// /v1/payment_intents/{id}/confirm with the publishable key, the client
// secret and the card, under one Idempotency-Key, sent again (same key)
// after no answer or a 5xx until it is answered. Its answer is read as
// Confirm's: the status, fakestripe.ErrDeclined for a decline (402), or
// fakestripe.ErrUnexpectedState.
func (s *shop) confirmHTTP(ctx context.Context, f *fan, o orderAnswer, card string) (string, error) {
	form := url.Values{"client_secret": {o.Payment.ClientSecret}}
	if card != "" {
		form.Set("payment_method", card)
	}
	key := f.key("confirm")
	for attempt := 0; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, shopAttemptLimit)
		req, _ := http.NewRequestWithContext(actx, http.MethodPost, s.pay.URL()+"/v1/payment_intents/"+url.PathEscape(o.Payment.IntentID)+"/confirm",
			strings.NewReader(form.Encode()))
		req.Header.Set("Authorization", "Bearer pk_test_jepsen")
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Idempotency-Key", key)
		started := s.now()
		resp, err := s.http.Do(req)
		var body []byte
		status := 0
		if err == nil {
			body, err = io.ReadAll(io.LimitReader(resp.Body, 1<<20))
			resp.Body.Close()
			status = resp.StatusCode
		}
		cancel()
		rec := PurchaseCall{Fan: f.id, Step: "confirm", Gateway: "provider", Key: key, Method: http.MethodPost,
			Path: "/v1/payment_intents/{id}/confirm", Attempt: attempt + 1, Start: started, End: s.now(), Status: status}
		if err != nil {
			rec.Error = err.Error()
		}
		s.mu.Lock()
		s.hist.Calls = append(s.hist.Calls, rec)
		s.mu.Unlock()
		if err == nil && status < 500 {
			var answer struct {
				Status string `json:"status"`
				Error  struct {
					Code string `json:"code"`
				} `json:"error"`
			}
			_ = json.Unmarshal(body, &answer)
			switch {
			case status == http.StatusOK:
				return answer.Status, nil
			case status == http.StatusPaymentRequired:
				return "requires_payment_method", fakestripe.ErrDeclined
			case answer.Error.Code == "payment_intent_unexpected_state":
				return "", fakestripe.ErrUnexpectedState
			}
			return "", fmt.Errorf("confirm: %d %s", status, limitBytes(body, 200))
		}
		if ctx.Err() != nil || !sleepCtx(ctx, min(100*time.Millisecond<<min(attempt, 4), 1500*time.Millisecond)) {
			return "", fmt.Errorf("confirm: no answer: %v", err)
		}
	}
}

// awaitOrder polls the order until it leaves pending; it answers the paid
// order with its tickets, nil otherwise.
func (s *shop) awaitOrder(ctx context.Context, f *fan, orderID string) *orderAnswer {
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		r := s.call(wctx, f, "order-poll", http.MethodGet, "/v1/orders/"+orderID, nil, "")
		var o orderAnswer
		if r.status == http.StatusOK && json.Unmarshal(r.body, &o) == nil {
			switch {
			case o.State == "paid" && len(o.Tickets) > 0:
				return &o
			case o.State != "pending" && o.State != "paid":
				return nil
			}
		}
		if !sleepCtx(wctx, 300*time.Millisecond) {
			return nil
		}
	}
}

// ticket reads one of the fan's tickets (with its current QR).
func (s *shop) ticket(ctx context.Context, f *fan, id string) (ticketAnswer, bool) {
	r := s.call(ctx, f, "ticket", http.MethodGet, "/v1/tickets/"+id, nil, "")
	var t ticketAnswer
	if r.status != http.StatusOK || json.Unmarshal(r.body, &t) != nil || t.QRText == "" {
		return t, false
	}
	return t, true
}

func (s *shop) refund(ctx context.Context, f *fan, o orderAnswer) {
	rec := RefundRecord{OrderID: o.OrderID, Fan: f.id, Start: s.now()}
	for _, t := range o.Tickets {
		rec.TicketIDs = append(rec.TicketIDs, t.TicketID)
	}
	r := s.call(ctx, f, "refund", http.MethodPost, "/v1/orders/"+o.OrderID+"/refund", map[string]any{}, f.key("refund"))
	rec.End, rec.Status, rec.Problem = s.now(), r.status, r.problem
	var after orderAnswer
	rec.OK = r.status == http.StatusOK && json.Unmarshal(r.body, &after) == nil && after.State == "refunded"
	s.mu.Lock()
	s.hist.Refunds = append(s.hist.Refunds, rec)
	if rec.OK {
		s.counts.Refunds++
	} else if r.status != 0 {
		s.counts.RefundsRefused++
	}
	s.mu.Unlock()
}

// transfer gives the first ticket to an earlier fan, then has the door
// scan the QR the sender still has (it must be refused) and, sometimes,
// the recipient's new one.
func (s *shop) transfer(ctx context.Context, f *fan, o orderAnswer) {
	t, ok := s.ticket(ctx, f, o.Tickets[0].TicketID)
	if !ok {
		return
	}
	s.mu.Lock()
	var to string
	if len(s.fans) > 1 {
		to = s.fans[f.rng.IntN(len(s.fans))]
	}
	s.mu.Unlock()
	if to == "" || to == f.id {
		return
	}
	rec := TransferRecord{TicketID: t.TicketID, From: f.id, To: to, OldQRID: t.QRID, Start: s.now()}
	r := s.call(ctx, f, "transfer", http.MethodPost, "/v1/tickets/"+t.TicketID+"/transfer", map[string]any{"to": to}, f.key("transfer"))
	rec.End, rec.Status, rec.Problem, rec.OK = s.now(), r.status, r.problem, r.status == http.StatusOK
	s.mu.Lock()
	s.hist.Transfers = append(s.hist.Transfers, rec)
	if rec.OK {
		s.counts.Transfers++
	}
	s.mu.Unlock()
	if !rec.OK {
		return
	}
	// The sender's screenshot at the door.
	s.scanAt(ctx, f, t, s.gws.procs[f.rng.IntN(len(s.gws.procs))].index-1)
	if f.rng.IntN(2) == 0 {
		recipient := &fan{id: to, token: s.token(to, "fan"), gw: f.rng.IntN(len(s.gws.procs)), rng: f.rng, xff: f.xff}
		if nt, ok := s.ticket(ctx, recipient, t.TicketID); ok {
			s.scanAt(ctx, recipient, nt, recipient.gw)
		}
	}
}

// checkIn scans the first ticket at one gateway, or at both at once (two
// doors, one QR), and sometimes scans it again later.
func (s *shop) checkIn(ctx context.Context, f *fan, o orderAnswer) {
	t, ok := s.ticket(ctx, f, o.Tickets[0].TicketID)
	if !ok {
		return
	}
	if len(s.gws.procs) > 1 && f.rng.IntN(4) == 0 {
		// The keys are drawn before the doors scan: the fan is not safe
		// for concurrent use.
		keys := [2]string{f.key("scan-door-1"), f.key("scan-door-2")}
		var wg sync.WaitGroup
		for gi := range 2 {
			wg.Go(func() { s.scan(ctx, f, t, gi, keys[gi]) })
		}
		wg.Wait()
	} else {
		s.scanAt(ctx, f, t, f.rng.IntN(len(s.gws.procs)))
	}
	if f.rng.IntN(5) == 0 {
		s.scanAt(ctx, f, t, f.rng.IntN(len(s.gws.procs)))
	}
	if f.rng.IntN(5) == 0 {
		s.refund(ctx, f, o) // refused: a ticket was checked in
	}
}

// scanAt is scan with the fan's next Idempotency-Key.
func (s *shop) scanAt(ctx context.Context, f *fan, t ticketAnswer, gi int) {
	s.scan(ctx, f, t, gi, f.key(fmt.Sprintf("scan-door-%d", gi+1)))
}

// scan is one door scanner at gateway gi reading t's QR, with
// Idempotency-Key key.
func (s *shop) scan(ctx context.Context, f *fan, t ticketAnswer, gi int, key string) {
	door := fmt.Sprintf("door-%d", gi+1)
	scanner := &fan{id: door, token: s.token(door, "scanner"), gw: gi, xff: f.xff}
	rec := ScanRecord{TicketID: t.TicketID, QRID: t.QRID, Key: key, Scanner: door, Start: s.now()}
	r := s.call(ctx, scanner, "checkin", http.MethodPost, "/v1/checkins", map[string]any{"qr": t.QRText, "gate": door}, key)
	rec.End, rec.Status, rec.Problem = s.now(), r.status, r.problem
	rec.Admitted = r.status == http.StatusOK
	s.mu.Lock()
	s.hist.Scans = append(s.hist.Scans, rec)
	if rec.Admitted {
		s.counts.CheckIns++
	} else if r.status != 0 {
		s.counts.ScansRefused++
	}
	s.mu.Unlock()
}

// afterHeal sets the provider back to its base faults and restarts or
// resumes any gateway a fault left down.
func (s *shop) afterHeal() error {
	s.pay.SetFaults(basePaymentFaults)
	return s.gws.heal()
}
