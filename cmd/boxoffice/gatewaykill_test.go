package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/checkout"
	"github.com/boxoffice/boxoffice/cluster"
	"github.com/boxoffice/boxoffice/internal/testport"
)

// TestGatewayKilledMidPurchase is the gateway's crash promise over real
// processes: three `boxoffice start` nodes and two `boxoffice gateway`
// processes of one deployment (same secrets, records in the cluster, one
// payment provider) serve fans buying two seats each; one gateway is
// SIGKILLed while purchases are in flight; its fans carry on through the
// other gateway, retrying with the same Idempotency-Keys as an app behind
// a load balancer does; the provider delivers its webhooks to whichever
// gateway answers. Some fans walk away after holding, some after ordering.
// Once the fans stop, the surviving gateway's reconciler (every 500 ms,
// orders unpaid after 15 s) and the holds' 20 s lifetime must leave:
//
//   - no paid order without tickets: every payment that succeeded (and
//     was not refunded) has its order paid, its seats SOLD to it in the
//     cluster and one ticket per seat listed to its fan;
//   - no tickets without payment: every seat SOLD in the cluster belongs
//     to an order whose payment succeeded and was not refunded;
//   - no seat left held: no seat of the event is HELD.
//
// The payment provider is a Stripe stand-in in this test process
// (fakeStripe) that both gateways reach with --stripe-url: the gateways'
// in-memory fake provider lives and dies with each process, so a payment
// taken by the killed gateway would be unknowable to the other one, which
// is not the deployment the promise is about.
func TestGatewayKilledMidPurchase(t *testing.T) {
	if testing.Short() {
		t.Skip("starts node and gateway processes; skipped with -short")
	}
	pc := newProcessCluster(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	admin := pc.client(ctx)
	const eventID = "kill_arena"
	if _, err := admin.CreateEvent(ctx, &boxofficev1.CreateEventRequest{RequestId: "kill-create", EventId: eventID, Name: "Kill arena",
		Venue: cluster.OnSaleVenue(4, 10, 10)}); err != nil {
		t.Fatal(err)
	}

	stripe := newFakeStripe(t)
	secret := func() string {
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		return base64.StdEncoding.EncodeToString(b)
	}
	jwt, ticketKey, recordKey, scanSecret := secret(), secret(), secret(), secret()
	ports := testport.Ports(t, 2)
	gws := make([]*killGateway, 2)
	for i := range gws {
		addr := fmt.Sprintf("127.0.0.1:%d", ports[i])
		args := []string{"gateway", "--demo", "--cluster", strings.Join([]string{pc.grpcAddr(0), pc.grpcAddr(1), pc.grpcAddr(2)}, ","),
			"--http-addr", addr, "--jwt-secret", jwt, "--ticket-key", ticketKey, "--record-key", recordKey, "--scan-secret", scanSecret,
			"--stripe-secret-key", "sk_test_kill", "--stripe-webhook-secret", stripe.webhookSecret, "--stripe-url", stripe.srv.URL,
			"--trusted-proxies", "127.0.0.1", "--reconcile-interval", "500ms", "--payment-window", "15s", "--hold-ttl", "20s",
			"--log-level", "warn"}
		gws[i] = startKillGateway(t, pc.bin, filepath.Join(pc.dir, fmt.Sprintf("g%d.log", i+1)), "http://"+addr, args)
	}
	for _, g := range gws {
		g.waitReady(t)
	}
	stripe.gateways = gws

	// Fans: each plays one fan after another on its home gateway until
	// stopped, moving to the other gateway when its own stops answering.
	fanCtx, stopFans := context.WithCancel(ctx)
	defer stopFans()
	run := &killRun{t: t, gws: gws, stripe: stripe, eventID: eventID, tokens: map[string]string{}}
	var wg sync.WaitGroup
	const slots = 8
	for slot := range slots {
		wg.Go(func() {
			for n := 0; fanCtx.Err() == nil; n++ {
				if !run.playFan(fanCtx, slot, n) {
					return // sold out
				}
			}
		})
	}
	// Mid-purchase: a POST (login, hold, order) on its way through it.
	waitFor(t, ctx, 3*time.Minute, "15 purchases before the kill, and a POST in flight on gateway 1", func() (bool, string) {
		return run.completed.Load() >= 15 && gws[0].postsInFlight.Load() > 0, fmt.Sprintf("%d purchases", run.completed.Load())
	})
	before, inFlight := run.completed.Load(), gws[0].inFlight.Load()
	gws[0].kill()
	t.Logf("SIGKILLed gateway 1 after %d purchases, with %d requests in flight on it", before, inFlight)
	waitFor(t, ctx, 3*time.Minute, "15 purchases after the kill", func() (bool, string) {
		return run.completed.Load() >= before+15, fmt.Sprintf("%d purchases", run.completed.Load())
	})
	stopFans()
	wg.Wait()
	t.Logf("fans stopped: %d purchases completed, %d holds walked away from, %d orders left unpaid, %d requests moved to gateway 2",
		run.completed.Load(), run.walkedAway.Load(), run.unpaid.Load(), run.failovers.Load())

	// Settle: webhooks delivered, holds expired or released, unpaid
	// orders unwound by the reconciler.
	var sm *boxofficev1.SeatMap
	waitFor(t, ctx, 3*time.Minute, "every webhook delivered and no seat held", func() (bool, string) {
		var err error
		sm, err = admin.GetSeatMap(ctx, &boxofficev1.GetSeatMapRequest{EventId: eventID, Consistency: boxofficev1.ReadConsistency_READ_CONSISTENCY_LINEARIZABLE})
		if err != nil {
			return false, err.Error()
		}
		held := 0
		for _, s := range killSeats(sm) {
			if s.GetState() == boxofficev1.SeatState_SEAT_STATE_HELD {
				held++
			}
		}
		undelivered := stripe.undelivered()
		open := run.openOrders(ctx, gws[1])
		return held == 0 && undelivered == 0 && len(open) == 0,
			fmt.Sprintf("%d seats held, %d webhooks undelivered, orders still pending %v", held, undelivered, open)
	})

	// The invariants, against the provider, the cluster and the gateway
	// that lives.
	paid := stripe.paidOrders() // order id -> buyer, succeeded and not refunded
	soldTo := map[string][]string{}
	for _, s := range killSeats(sm) {
		if s.GetState() == boxofficev1.SeatState_SEAT_STATE_SOLD {
			soldTo[s.GetOrderId()] = append(soldTo[s.GetOrderId()], s.GetSeatId())
			if _, ok := paid[s.GetOrderId()]; !ok {
				t.Errorf("seat %s is SOLD to order %s, whose payment did not succeed (or was refunded)", s.GetSeatId(), s.GetOrderId())
			}
		}
	}
	survivor := gws[1]
	tickets := 0
	for orderID, buyer := range paid {
		token := run.token(buyer)
		if token == "" {
			t.Errorf("paid order %s of unknown buyer %s", orderID, buyer)
			continue
		}
		var order struct {
			State string   `json:"state"`
			Seats []string `json:"seats"`
		}
		if st, body := survivor.get(t, ctx, "/v1/orders/"+orderID, token, &order); st != http.StatusOK {
			t.Errorf("paid order %s: GET answered %d %s", orderID, st, body)
			continue
		}
		if order.State != "paid" {
			t.Errorf("order %s: payment succeeded, state %q", orderID, order.State)
		}
		if got, want := slices.Sorted(slices.Values(soldTo[orderID])), slices.Sorted(slices.Values(order.Seats)); !slices.Equal(got, want) || len(want) != 2 {
			t.Errorf("order %s of seats %v: the cluster sold it %v", orderID, want, got)
		}
		var list struct {
			Tickets []struct {
				OrderID string `json:"order_id"`
				SeatID  string `json:"seat_id"`
			} `json:"tickets"`
		}
		if st, body := survivor.get(t, ctx, "/v1/tickets", token, &list); st != http.StatusOK {
			t.Errorf("tickets of %s: %d %s", buyer, st, body)
			continue
		}
		var seats []string
		for _, tk := range list.Tickets {
			if tk.OrderID == orderID {
				seats = append(seats, tk.SeatID)
			}
		}
		if slices.Sort(seats); !slices.Equal(seats, slices.Sorted(slices.Values(order.Seats))) {
			t.Errorf("paid order %s of seats %v: tickets listed for %v", orderID, order.Seats, seats)
		}
		tickets += len(seats)
	}
	if len(paid) < int(run.completed.Load()) {
		t.Errorf("%d payments succeeded, fewer than the %d purchases the fans completed", len(paid), run.completed.Load())
	}
	stripe.mu.Lock()
	moved := stripe.moved
	stripe.mu.Unlock()
	t.Logf("settled: %d paid orders, %d tickets, %d seats sold, %d intents canceled, %d refunded; %d webhook deliveries moved to the other gateway",
		len(paid), tickets, len(killSeatsSold(sm)), stripe.count("canceled"), stripe.refundedCount(), moved)
}

func killSeats(sm *boxofficev1.SeatMap) []*boxofficev1.Seat {
	var out []*boxofficev1.Seat
	for _, section := range sm.GetSections() {
		for _, row := range section.GetRows() {
			out = append(out, row.GetSeats()...)
		}
	}
	return out
}

func killSeatsSold(sm *boxofficev1.SeatMap) []string {
	var out []string
	for _, s := range killSeats(sm) {
		if s.GetState() == boxofficev1.SeatState_SEAT_STATE_SOLD {
			out = append(out, s.GetSeatId())
		}
	}
	return out
}

// waitFor polls cond every 200 ms until it holds; past within, it fails
// with cond's last word.
func waitFor(t *testing.T, ctx context.Context, within time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		ok, detail := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			t.Fatalf("waiting for %s: still %s after %v", what, detail, within)
		}
		time.Sleep(200 * time.Millisecond) // poll interval of the condition
	}
}

// killGateway is one `boxoffice gateway` process.
type killGateway struct {
	base, logPath string
	cmd           *exec.Cmd
	dead          atomic.Bool
	inFlight      atomic.Int64
	postsInFlight atomic.Int64
	hc            *http.Client
}

func startKillGateway(t *testing.T, bin, logPath, base string, args []string) *killGateway {
	t.Helper()
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { logFile.Close() })
	g := &killGateway{base: base, logPath: logPath, cmd: exec.Command(bin, args...),
		hc: &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 32}}}
	g.cmd.Stdout, g.cmd.Stderr = logFile, logFile
	if err := g.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.kill)
	return g
}

func (g *killGateway) waitReady(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if resp, err := g.hc.Get(g.base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(g.logPath)
			t.Fatalf("gateway %s not ready after 60s:\n%s", g.base, log)
		}
		time.Sleep(50 * time.Millisecond) // poll interval of /readyz
	}
}

// kill sends SIGKILL: no shutdown code runs.
func (g *killGateway) kill() {
	if g.dead.Swap(true) {
		return
	}
	_ = g.cmd.Process.Signal(syscall.SIGKILL)
	_ = g.cmd.Wait()
}

// do sends one request; err means no answer.
func (g *killGateway) do(ctx context.Context, method, path, token, ip, key string, body any) (int, []byte, http.Header, error) {
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, g.base+path, rd)
	if err != nil {
		return 0, nil, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	req.Header.Set("X-Forwarded-For", ip)
	g.inFlight.Add(1)
	defer g.inFlight.Add(-1)
	if method == "POST" {
		g.postsInFlight.Add(1)
		defer g.postsInFlight.Add(-1)
	}
	resp, err := g.hc.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, nil, err
	}
	return resp.StatusCode, b, resp.Header, nil
}

// get reads a resource for the final check (the gateway lives).
func (g *killGateway) get(t *testing.T, ctx context.Context, path, token string, out any) (int, string) {
	t.Helper()
	for attempt := 0; ; attempt++ {
		st, b, h, err := g.do(ctx, "GET", path, token, "10.200.0.1", "", nil)
		if err == nil && (st == http.StatusTooManyRequests || st == http.StatusServiceUnavailable) && attempt < 20 {
			time.Sleep(retryAfter(h)) // the gateway's Retry-After
			continue
		}
		if err != nil {
			t.Fatalf("GET %s%s: %v", g.base, path, err)
		}
		if st == http.StatusOK && out != nil {
			if err := json.Unmarshal(b, out); err != nil {
				t.Fatalf("GET %s: %v: %s", path, err, b)
			}
		}
		return st, string(b)
	}
}

func retryAfter(h http.Header) time.Duration {
	if secs, err := strconv.Atoi(h.Get("Retry-After")); err == nil && secs > 0 {
		return min(time.Duration(secs)*time.Second, time.Second)
	}
	return 100 * time.Millisecond
}

// killRun is the fans' shared state.
type killRun struct {
	t       *testing.T
	gws     []*killGateway
	stripe  *fakeStripe
	eventID string

	mu     sync.Mutex
	tokens map[string]string // subject -> bearer token

	fans, completed, walkedAway, unpaid, failovers atomic.Int64
}

// openOrders lists the orders of intents that did not succeed whose
// order the gateway still shows pending (an intent whose order was never
// written, its gateway killed in between, has no order to finish).
func (r *killRun) openOrders(ctx context.Context, g *killGateway) []string {
	var open []string
	for _, in := range r.stripe.unpaidIntents() {
		token := r.token(in.Buyer)
		if token == "" {
			open = append(open, in.OrderID+" (unknown buyer "+in.Buyer+")")
			continue
		}
		st, b, _, err := g.do(ctx, "GET", "/v1/orders/"+in.OrderID, token, "10.200.0.2", "", nil)
		var o struct {
			State string `json:"state"`
		}
		switch {
		case err != nil, st != http.StatusOK && st != http.StatusNotFound:
			open = append(open, in.OrderID+" (unanswered)")
		case st == http.StatusOK && (json.Unmarshal(b, &o) != nil || o.State == "pending" || in.Status != "canceled"):
			open = append(open, in.OrderID+" ("+o.State+", intent "+in.Status+")")
		}
	}
	return open
}

func (r *killRun) token(subject string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.tokens[subject]
}

var errSoldOut = errors.New("sold out")

// playFan plays fan n of a slot: login, hold 2, then walk away (1 in 10),
// or order, then leave it unpaid (1 in 10), or pay and wait for the
// tickets. false: the venue is sold out.
func (r *killRun) playFan(ctx context.Context, slot, n int) bool {
	subject := fmt.Sprintf("killfan-%d-%d", slot, n)
	k := r.fans.Add(1) // which fans walk away or leave orders unpaid
	f := &killFan{run: r, gw: slot % 2, ip: fmt.Sprintf("10.%d.%d.%d", slot, n/250, n%250+1)}
	var tok struct {
		Token string `json:"token"`
	}
	if f.call(ctx, "POST", "/v1/dev/login", "login-"+subject, map[string]string{"subject": subject, "role": "fan"}, http.StatusOK, &tok) != nil {
		return true
	}
	f.token = tok.Token
	r.mu.Lock()
	r.tokens[subject] = tok.Token
	r.mu.Unlock()
	var hold struct {
		HoldID string `json:"hold_id"`
	}
	err := f.call(ctx, "POST", "/v1/events/"+r.eventID+"/holds", "hold-"+subject, map[string]any{"best": map[string]any{"quantity": 2}}, http.StatusCreated, &hold)
	if errors.Is(err, errSoldOut) {
		return false
	}
	if err != nil {
		return true
	}
	if k%10 == 3 {
		r.walkedAway.Add(1)
		return true
	}
	var order struct {
		OrderID string `json:"order_id"`
		Payment struct {
			IntentID string `json:"intent_id"`
		} `json:"payment"`
	}
	if f.call(ctx, "POST", "/v1/orders", "order-"+subject, map[string]string{"hold_id": hold.HoldID}, http.StatusCreated, &order) != nil {
		return true
	}
	if k%10 == 7 || order.Payment.IntentID == "" {
		r.unpaid.Add(1)
		return true
	}
	// The app confirms the payment with the provider, which tells a
	// gateway by webhook; the app then watches the order.
	if err := r.stripe.confirm(order.Payment.IntentID, f.gw); err != nil {
		r.t.Logf("confirming %s of %s: %v", order.Payment.IntentID, order.OrderID, err)
		return true
	}
	for ctx.Err() == nil {
		var o struct {
			State   string            `json:"state"`
			Tickets []json.RawMessage `json:"tickets"`
		}
		if f.call(ctx, "GET", "/v1/orders/"+order.OrderID, "", nil, http.StatusOK, &o) != nil {
			return true
		}
		if o.State == "paid" && len(o.Tickets) == 2 {
			r.completed.Add(1)
			return true
		}
		if o.State != "pending" && o.State != "paid" {
			r.t.Logf("order %s paid at the provider ended %q", order.OrderID, o.State)
			return true
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond): // the app's poll interval
		}
	}
	return true
}

// killFan is one fan: its token, its address and its current gateway.
type killFan struct {
	run   *killRun
	gw    int
	ip    string
	token string
}

// call sends a request as an app would: no answer moves it to the other
// gateway with the same Idempotency-Key; 429, 503 and 409
// request-in-progress are sent again after Retry-After.
func (f *killFan) call(ctx context.Context, method, path, key string, body any, want int, out any) error {
	for attempt := 0; attempt < 40; attempt++ {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		g := f.run.gws[f.gw]
		st, b, h, err := g.do(ctx, method, path, f.token, f.ip, key, body)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if g.dead.Load() {
				f.gw = 1 - f.gw
				f.run.failovers.Add(1)
			}
			time.Sleep(100 * time.Millisecond) // the app's pause before retrying
			continue
		}
		var p struct {
			Type string `json:"type"`
		}
		_ = json.Unmarshal(b, &p)
		switch {
		case st == want:
			if out != nil {
				return json.Unmarshal(b, out)
			}
			return nil
		case st == http.StatusTooManyRequests || st == http.StatusServiceUnavailable || (st == http.StatusConflict && strings.HasSuffix(p.Type, "/request-in-progress")):
			time.Sleep(retryAfter(h))
			continue
		case st == http.StatusConflict && strings.HasSuffix(p.Type, "/not-enough-seats"):
			return errSoldOut
		}
		return fmt.Errorf("%s %s: %d %s", method, path, st, b)
	}
	return fmt.Errorf("%s %s: no success after 40 attempts", method, path)
}

// fakeStripe stands in for Stripe's payment intents and refunds API (the
// parts StripePayments calls) and delivers signed webhooks, retrying
// until a gateway answers 2xx as Stripe does. Both gateways use it.
type fakeStripe struct {
	t             *testing.T
	srv           *httptest.Server
	webhookSecret string
	gateways      []*killGateway

	mu      sync.Mutex
	intents map[string]*fakeStripeIntent
	byKey   map[string]string // idempotency key -> intent id
	seq     int
	pending int // webhooks not yet delivered
	moved   int // deliveries that failed on one gateway and were sent to the other
	stop    chan struct{}
}

type fakeStripeIntent struct {
	ID, Status, OrderID, Buyer string
	Refunded                   bool
}

func newFakeStripe(t *testing.T) *fakeStripe {
	s := &fakeStripe{t: t, webhookSecret: "whsec_kill_test", intents: map[string]*fakeStripeIntent{}, byKey: map[string]string{}, stop: make(chan struct{})}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(func() { close(s.stop); s.srv.Close() })
	return s
}

func (s *fakeStripe) serve(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	s.mu.Lock()
	defer s.mu.Unlock()
	path := strings.TrimPrefix(r.URL.Path, "/v1/")
	fail := func(code int, errCode, msg string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"type": "invalid_request_error", "code": errCode, "message": msg}})
	}
	intentJSON := func(in *fakeStripeIntent) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"id": in.ID, "object": "payment_intent", "status": in.Status,
			"client_secret": in.ID + "_secret_x", "metadata": map[string]string{"order_id": in.OrderID, "buyer": in.Buyer}})
	}
	parts := strings.Split(path, "/")
	switch {
	case r.Method == "POST" && path == "payment_intents":
		if id, ok := s.byKey[r.Header.Get("Idempotency-Key")]; ok && r.Header.Get("Idempotency-Key") != "" {
			intentJSON(s.intents[id])
			return
		}
		s.seq++
		in := &fakeStripeIntent{ID: fmt.Sprintf("pi_kill_%d", s.seq), Status: "requires_payment_method",
			OrderID: r.Form.Get("metadata[order_id]"), Buyer: r.Form.Get("metadata[buyer]")}
		s.intents[in.ID] = in
		s.byKey[r.Header.Get("Idempotency-Key")] = in.ID
		intentJSON(in)
	case r.Method == "GET" && len(parts) == 2 && parts[0] == "payment_intents":
		in, ok := s.intents[parts[1]]
		if !ok {
			fail(http.StatusNotFound, "resource_missing", "no such payment_intent")
			return
		}
		intentJSON(in)
	case r.Method == "POST" && len(parts) == 3 && parts[0] == "payment_intents" && parts[2] == "cancel":
		in, ok := s.intents[parts[1]]
		switch {
		case !ok:
			fail(http.StatusNotFound, "resource_missing", "no such payment_intent")
		case in.Status == "succeeded":
			fail(http.StatusBadRequest, "payment_intent_unexpected_state", "this PaymentIntent has succeeded")
		default:
			in.Status = "canceled"
			intentJSON(in)
		}
	case r.Method == "POST" && path == "refunds":
		in, ok := s.intents[r.Form.Get("payment_intent")]
		if !ok || in.Status != "succeeded" {
			fail(http.StatusBadRequest, "charge_not_refundable", "the payment has not succeeded")
			return
		}
		in.Refunded = true
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"id": "re_" + in.ID, "object": "refund", "status": "succeeded", "payment_intent": in.ID})
	default:
		fail(http.StatusNotFound, "resource_missing", "unknown route "+r.Method+" "+r.URL.Path)
	}
}

// confirm makes an intent succeed (the app's card payment) and delivers
// the payment_intent.succeeded webhook, first to gateway first.
func (s *fakeStripe) confirm(intentID string, first int) error {
	s.mu.Lock()
	in, ok := s.intents[intentID]
	switch {
	case !ok:
		s.mu.Unlock()
		return fmt.Errorf("no intent %s", intentID)
	case in.Status == "canceled":
		s.mu.Unlock()
		return fmt.Errorf("intent %s was canceled", intentID)
	}
	in.Status = "succeeded"
	s.seq++
	eventID := fmt.Sprintf("evt_kill_%d", s.seq)
	s.pending++
	orderID := in.OrderID
	s.mu.Unlock()
	go s.deliver(eventID, intentID, orderID, first)
	return nil
}

func (s *fakeStripe) deliver(eventID, intentID, orderID string, gw int) {
	defer func() {
		s.mu.Lock()
		s.pending--
		s.mu.Unlock()
	}()
	for {
		select {
		case <-s.stop:
			return
		default:
		}
		body, sig := checkout.SignWebhook(s.webhookSecret, eventID, "payment_intent.succeeded", intentID, orderID, time.Now())
		g := s.gateways[gw]
		req, _ := http.NewRequest("POST", g.base+"/v1/webhooks/stripe", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Stripe-Signature", sig)
		req.Header.Set("X-Forwarded-For", "10.250.0.1")
		resp, err := g.hc.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode/100 == 2 {
				return
			}
		}
		s.mu.Lock()
		s.moved++
		s.mu.Unlock()
		gw = 1 - gw                        // Stripe retries; here on the other gateway of the deployment
		time.Sleep(200 * time.Millisecond) // the provider's retry pause
	}
}

func (s *fakeStripe) undelivered() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pending
}

// paidOrders maps the orders of succeeded, unrefunded intents to buyers.
func (s *fakeStripe) paidOrders() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]string{}
	for _, in := range s.intents {
		if in.Status == "succeeded" && !in.Refunded {
			out[in.OrderID] = in.Buyer
		}
	}
	return out
}

// unpaidIntents are the intents that did not succeed.
func (s *fakeStripe) unpaidIntents() []fakeStripeIntent {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []fakeStripeIntent
	for _, in := range s.intents {
		if in.Status != "succeeded" {
			out = append(out, *in)
		}
	}
	return out
}

func (s *fakeStripe) count(status string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, in := range s.intents {
		if in.Status == status {
			n++
		}
	}
	return n
}

func (s *fakeStripe) refundedCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, in := range s.intents {
		if in.Refunded {
			n++
		}
	}
	return n
}
