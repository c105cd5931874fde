package fakestripe_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76"
	stripeclient "github.com/stripe/stripe-go/v76/client"
	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/boxoffice/boxoffice/jepsen/fakestripe"
)

const (
	secretKey     = "sk_test_fakestripe"
	webhookSecret = "whsec_fakestripe"
)

func start(t *testing.T) *fakestripe.Server {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := fakestripe.New(fakestripe.Options{WebhookSecret: webhookSecret, SecretKey: secretKey, Seed: 1, Logf: t.Logf})
	served := make(chan error, 1)
	go func() { served <- s.Serve(l) }()
	t.Cleanup(func() {
		_ = s.Close()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return s
}

// api is stripe-go's client of s, retrying network errors retries times.
func api(s *fakestripe.Server, retries int64) *stripeclient.API {
	bc := &stripe.BackendConfig{URL: stripe.String(s.URL()), MaxNetworkRetries: stripe.Int64(retries),
		LeveledLogger: &stripe.LeveledLogger{Level: stripe.LevelNull}}
	return stripeclient.New(secretKey, &stripe.Backends{
		API:     stripe.GetBackendWithConfig(stripe.APIBackend, bc),
		Connect: stripe.GetBackendWithConfig(stripe.ConnectBackend, bc),
		Uploads: stripe.GetBackendWithConfig(stripe.UploadsBackend, bc),
	})
}

func newIntent(t *testing.T, c *stripeclient.API, key, order string, amount int64) (*stripe.PaymentIntent, error) {
	t.Helper()
	p := &stripe.PaymentIntentParams{Amount: stripe.Int64(amount), Currency: stripe.String("usd"),
		AutomaticPaymentMethods: &stripe.PaymentIntentAutomaticPaymentMethodsParams{Enabled: stripe.Bool(true)},
		Description:             stripe.String("order " + order)}
	p.SetIdempotencyKey(key)
	p.AddMetadata("order_id", order)
	p.AddMetadata("event_id", "show")
	p.AddMetadata("buyer", "alice")
	return c.PaymentIntents.New(p)
}

func stripeError(t *testing.T, err error) *stripe.Error {
	t.Helper()
	var se *stripe.Error
	if !errors.As(err, &se) {
		t.Fatalf("want a Stripe error, got %v", err)
	}
	return se
}

func TestIntentLifecycleSpokenByStripeGo(t *testing.T) {
	s := start(t)
	c := api(s, 0)
	pi, err := newIntent(t, c, "create-1", "ord_1", 5000)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(pi.ID, "pi_") || !strings.HasPrefix(pi.ClientSecret, pi.ID+"_secret_") ||
		pi.Status != stripe.PaymentIntentStatusRequiresPaymentMethod || pi.Amount != 5000 || pi.Currency != "usd" ||
		pi.Metadata["order_id"] != "ord_1" {
		t.Fatalf("created: %+v", pi)
	}
	got, err := c.PaymentIntents.Get(pi.ID, nil)
	if err != nil || got.ID != pi.ID || got.ClientSecret != pi.ClientSecret {
		t.Fatalf("get: %+v %v", got, err)
	}
	_, err = c.PaymentIntents.Get("pi_missing", nil)
	if se := stripeError(t, err); se.HTTPStatusCode != 404 || se.Code != stripe.ErrorCodeResourceMissing {
		t.Fatalf("get of a missing intent: %+v", se)
	}

	status, err := s.Confirm(context.Background(), pi.ID, "pi_wrong_secret")
	if !errors.Is(err, fakestripe.ErrBadClientSecret) {
		t.Fatalf("confirm with another secret: %q %v", status, err)
	}
	if status, err = s.Confirm(context.Background(), pi.ID, pi.ClientSecret); err != nil || status != "succeeded" {
		t.Fatalf("confirm: %q %v", status, err)
	}
	if status, err = s.Confirm(context.Background(), pi.ID, pi.ClientSecret); !errors.Is(err, fakestripe.ErrUnexpectedState) || status != "succeeded" {
		t.Fatalf("second confirm: %q %v", status, err)
	}
	got, _ = c.PaymentIntents.Get(pi.ID, nil)
	if got.Status != stripe.PaymentIntentStatusSucceeded || got.AmountReceived != 5000 || got.LatestCharge == nil || !strings.HasPrefix(got.LatestCharge.ID, "ch_") {
		t.Fatalf("after confirm: %+v", got)
	}
	cp := &stripe.PaymentIntentCancelParams{}
	cp.SetIdempotencyKey("cancel-1")
	_, err = c.PaymentIntents.Cancel(pi.ID, cp)
	if se := stripeError(t, err); se.HTTPStatusCode != 400 || se.Code != stripe.ErrorCodePaymentIntentUnexpectedState {
		t.Fatalf("cancel of a succeeded intent: %+v", se)
	}

	other, _ := newIntent(t, c, "create-2", "ord_2", 7000)
	cp = &stripe.PaymentIntentCancelParams{}
	cp.SetIdempotencyKey("cancel-2")
	canceled, err := c.PaymentIntents.Cancel(other.ID, cp)
	if err != nil || canceled.Status != stripe.PaymentIntentStatusCanceled || canceled.CanceledAt == 0 {
		t.Fatalf("cancel: %+v %v", canceled, err)
	}
	if status, err := s.Confirm(context.Background(), other.ID, other.ClientSecret); !errors.Is(err, fakestripe.ErrUnexpectedState) || status != "canceled" {
		t.Fatalf("confirm of a canceled intent: %q %v", status, err)
	}

	ledger := s.Ledger()
	if len(ledger) != 2 || ledger[0].IntentID != pi.ID || !ledger[0].Captured || ledger[0].Status != "succeeded" ||
		ledger[0].OrderID != "ord_1" || ledger[0].Buyer != "alice" || ledger[0].EventID != "show" ||
		ledger[1].Captured || ledger[1].Status != "canceled" || len(ledger[1].Events) != 1 {
		t.Fatalf("ledger: %+v", ledger)
	}
}

func TestIdempotencyKeys(t *testing.T) {
	s := start(t)
	c := api(s, 0)
	first, err := newIntent(t, c, "k1", "ord_1", 5000)
	if err != nil {
		t.Fatal(err)
	}
	again, err := newIntent(t, c, "k1", "ord_1", 5000)
	if err != nil || again.ID != first.ID || again.ClientSecret != first.ClientSecret {
		t.Fatalf("same key, same params: %+v %v, first %s", again, err, first.ID)
	}
	if again.LastResponse.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("a replay is not marked Idempotent-Replayed")
	}
	_, err = newIntent(t, c, "k1", "ord_1", 6000)
	if se := stripeError(t, err); se.HTTPStatusCode != 400 || se.Type != stripe.ErrorTypeIdempotency {
		t.Fatalf("same key, other params: %+v", se)
	}
	if n := len(s.Ledger()); n != 1 {
		t.Fatalf("%d intents after one create and two retries, want 1", n)
	}
	if st := s.Stats(); st["idempotent_replays"] != 1 || st["idempotency_conflicts"] != 1 {
		t.Fatalf("stats: %v", st)
	}
}

// A request carried out whose answer is lost: stripe-go retries with the
// same key and gets the first intent, so there is one intent, not two.
func TestLostResponseThenRetryFindsTheSameIntent(t *testing.T) {
	s := start(t)
	s.SetFaults(fakestripe.Faults{LostResponseRate: 1})
	_, err := newIntent(t, api(s, 0), "create-ord_1", "ord_1", 5000)
	if err == nil {
		t.Fatal("the answer was lost, yet the client got one")
	}
	ledger := s.Ledger()
	if len(ledger) != 1 {
		t.Fatalf("a lost answer was not carried out: ledger %+v", ledger)
	}
	s.SetFaults(fakestripe.Faults{})
	pi, err := newIntent(t, api(s, 0), "create-ord_1", "ord_1", 5000)
	if err != nil || pi.ID != ledger[0].IntentID {
		t.Fatalf("retry: %+v %v, want intent %s", pi, err, ledger[0].IntentID)
	}
	if n := len(s.Ledger()); n != 1 {
		t.Fatalf("%d intents, want 1", n)
	}
	if st := s.Stats(); st["lost_responses_injected"] != 1 {
		t.Fatalf("stats: %v", st)
	}
}

func TestInjectedErrorChangesNothing(t *testing.T) {
	s := start(t)
	s.SetFaults(fakestripe.Faults{ErrorRate: 1})
	_, err := newIntent(t, api(s, 0), "k", "ord_1", 5000)
	if se := stripeError(t, err); se.HTTPStatusCode != 500 || se.Type != stripe.ErrorTypeAPI {
		t.Fatalf("injected error: %+v", se)
	}
	if n := len(s.Ledger()); n != 0 {
		t.Fatalf("an injected 500 created %d intents", n)
	}
	// The 500 was not remembered under the key: the retry is carried out.
	s.SetFaults(fakestripe.Faults{})
	if _, err := newIntent(t, api(s, 0), "k", "ord_1", 5000); err != nil {
		t.Fatal(err)
	}
	if n := len(s.Ledger()); n != 1 {
		t.Fatalf("%d intents, want 1", n)
	}
}

func TestAuthenticationAndUnknownParameters(t *testing.T) {
	s := start(t)
	bad := stripeclient.New("sk_test_wrong", &stripe.Backends{API: stripe.GetBackendWithConfig(stripe.APIBackend,
		&stripe.BackendConfig{URL: stripe.String(s.URL()), MaxNetworkRetries: stripe.Int64(0), LeveledLogger: &stripe.LeveledLogger{Level: stripe.LevelNull}})})
	_, err := bad.PaymentIntents.Get("pi_x", nil)
	if se := stripeError(t, err); se.HTTPStatusCode != 401 || !strings.Contains(se.Msg, "Invalid API Key") {
		t.Fatalf("wrong key: %+v", se)
	}
	// Basic auth with the key as user, as curl -u sk_…: does.
	req, _ := http.NewRequest("POST", s.URL()+"/v1/payment_intents", strings.NewReader("amount=100&currency=usd&colour=red"))
	req.SetBasicAuth(secretKey, "")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(body), `"code":"parameter_unknown"`) || !strings.Contains(string(body), "colour") {
		t.Fatalf("unknown parameter: %d %s", resp.StatusCode, body)
	}
	_, err = newIntent(t, api(s, 0), "k", "ord", 0)
	if se := stripeError(t, err); se.HTTPStatusCode != 400 || se.Param != "amount" {
		t.Fatalf("zero amount: %+v", se)
	}
	if n := len(s.Ledger()); n != 0 {
		t.Fatalf("refused requests created %d intents", n)
	}
}

func refund(c *stripeclient.API, intentID, key string, amount int64) (*stripe.Refund, error) {
	p := &stripe.RefundParams{PaymentIntent: stripe.String(intentID)}
	if amount > 0 {
		p.Amount = stripe.Int64(amount)
	}
	p.SetIdempotencyKey(key)
	return c.Refunds.New(p)
}

func TestRefundsReturnMoneyOnce(t *testing.T) {
	s := start(t)
	c := api(s, 0)
	pi, _ := newIntent(t, c, "create", "ord_1", 5000)
	_, err := refund(c, pi.ID, "refund-early", 0)
	if se := stripeError(t, err); se.HTTPStatusCode != 400 {
		t.Fatalf("refund of an unpaid intent: %+v", se)
	}
	if _, err := s.Confirm(context.Background(), pi.ID, pi.ClientSecret); err != nil {
		t.Fatal(err)
	}
	part, err := refund(c, pi.ID, "refund-part", 2000)
	if err != nil || !strings.HasPrefix(part.ID, "re_") || part.Amount != 2000 || part.PaymentIntent.ID != pi.ID || part.Status != stripe.RefundStatusSucceeded {
		t.Fatalf("partial refund: %+v %v", part, err)
	}
	_, err = refund(c, pi.ID, "refund-too-much", 4000)
	if se := stripeError(t, err); se.Code != stripe.ErrorCodeAmountTooLarge {
		t.Fatalf("refund beyond the amount: %+v", se)
	}
	rest, err := refund(c, pi.ID, "refund-rest", 0)
	if err != nil || rest.Amount != 3000 {
		t.Fatalf("refund of the rest: %+v %v", rest, err)
	}
	replay, err := refund(c, pi.ID, "refund-rest", 0)
	if err != nil || replay.ID != rest.ID {
		t.Fatalf("refund with a reused key: %+v %v, want %s", replay, err, rest.ID)
	}
	_, err = refund(c, pi.ID, "refund-again", 0)
	if se := stripeError(t, err); se.Code != stripe.ErrorCodeChargeAlreadyRefunded {
		t.Fatalf("refund of a refunded intent: %+v", se)
	}
	p := s.Ledger()[0]
	if p.RefundedCents != 5000 || len(p.Refunds) != 2 || !p.Captured || p.Status != "succeeded" {
		t.Fatalf("ledger: %+v", p)
	}
}

// receiver is a webhook endpoint that verifies signatures as the gateway
// does and fails the first failFirst attempts of every event.
type receiver struct {
	mu        sync.Mutex
	failFirst int
	attempts  map[string]int
	accepted  []string // event ids, in acceptance order
	types     map[string]string
	bad       []string
}

func newReceiver(t *testing.T, failFirst int) (*receiver, string) {
	r := &receiver{failFirst: failFirst, attempts: map[string]int{}, types: map[string]string{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		ev, err := webhook.ConstructEventWithOptions(body, req.Header.Get("Stripe-Signature"), webhookSecret,
			webhook.ConstructEventOptions{IgnoreAPIVersionMismatch: true})
		r.mu.Lock()
		defer r.mu.Unlock()
		if err != nil {
			r.bad = append(r.bad, err.Error())
			w.WriteHeader(400)
			return
		}
		r.attempts[ev.ID]++
		if r.attempts[ev.ID] <= r.failFirst {
			w.WriteHeader(503)
			return
		}
		r.accepted = append(r.accepted, ev.ID)
		r.types[ev.ID] = string(ev.Type)
	}))
	t.Cleanup(srv.Close)
	return r, srv.URL + "/v1/webhooks/stripe"
}

func TestWebhooksDeliveredAtLeastOnceUnderFaults(t *testing.T) {
	s := start(t)
	r, url := newReceiver(t, 2)
	s.SetWebhookURLs([]string{url})
	s.SetFaults(fakestripe.Faults{DeclineRate: 0.3, DuplicateWebhookRate: 0.5, WebhookDelayMax: 100 * time.Millisecond, WebhookFailRate: 0.3})
	c := api(s, 0)
	for i := range 20 {
		pi, err := newIntent(t, c, "k"+string(rune('a'+i)), "ord", 5000)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = s.Confirm(context.Background(), pi.ID, pi.ClientSecret)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.WaitDelivered(ctx); err != nil {
		t.Fatal(err)
	}
	if n := s.Undelivered(); n != 0 {
		t.Fatalf("undelivered after WaitDelivered: %d", n)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.bad) > 0 {
		t.Fatalf("the receiver refused signatures: %v", r.bad)
	}
	emitted := 0
	for _, p := range s.Ledger() {
		for _, id := range p.Events {
			emitted++
			want := "payment_intent.succeeded"
			if p.Declines > 0 {
				want = "payment_intent.payment_failed"
			}
			if r.types[id] != want {
				t.Errorf("event %s of %s (declines %d): received as %q, want %q", id, p.IntentID, p.Declines, r.types[id], want)
			}
		}
	}
	st := s.Stats()
	if emitted != 20 || st["webhook_events"] != 20 || st["declines"] == 0 || st["webhook_duplicates_injected"] == 0 ||
		st["webhook_attempts_dropped"] == 0 || st["webhook_delays_injected"] == 0 {
		t.Fatalf("emitted %d; stats %v", emitted, st)
	}
	if len(r.accepted) != 20+st["webhook_duplicates_injected"] {
		t.Fatalf("accepted %d deliveries, want one per copy: %d", len(r.accepted), 20+st["webhook_duplicates_injected"])
	}
}

func TestUndeliveredWhileNoEndpointAnswers(t *testing.T) {
	s := start(t)
	c := api(s, 0)
	pi, _ := newIntent(t, c, "k", "ord", 5000)
	if _, err := s.Confirm(context.Background(), pi.ID, pi.ClientSecret); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := s.WaitDelivered(ctx); err == nil || s.Undelivered() != 1 {
		t.Fatalf("with no endpoint: WaitDelivered %v, undelivered %d", err, s.Undelivered())
	}
	r, url := newReceiver(t, 0)
	s.SetWebhookURLs([]string{url})
	ctx, cancel = context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.WaitDelivered(ctx); err != nil {
		t.Fatal(err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.accepted) != 1 || r.types[r.accepted[0]] != "payment_intent.succeeded" {
		t.Fatalf("accepted %v", r.types)
	}
}

// The phone's confirm over HTTP, as Stripe.js sends it: a publishable key
// and the client secret.
func TestConfirmOverHTTP(t *testing.T) {
	s := start(t)
	pi, _ := newIntent(t, api(s, 0), "k", "ord", 5000)
	confirm := func(secret, paymentMethod string) (int, string) {
		form := url.Values{"client_secret": {secret}}
		if paymentMethod != "" {
			form.Set("payment_method", paymentMethod)
		}
		req, _ := http.NewRequest("POST", s.URL()+"/v1/payment_intents/"+pi.ID+"/confirm", strings.NewReader(form.Encode()))
		req.Header.Set("Authorization", "Bearer pk_test_phone")
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if code, body := confirm("pi_other_secret_x", ""); code != 400 || !strings.Contains(body, "client_secret") {
		t.Fatalf("wrong secret: %d %s", code, body)
	}
	if code, body := confirm(pi.ClientSecret, "pm_card_chargeDeclined"); code != 402 || !strings.Contains(body, `"code":"card_declined"`) {
		t.Fatalf("declining card: %d %s", code, body)
	}
	if code, body := confirm(pi.ClientSecret, "pm_card_visa"); code != 200 || !strings.Contains(body, `"status":"succeeded"`) {
		t.Fatalf("paying card: %d %s", code, body)
	}
	if p := s.Ledger()[0]; p.Declines != 1 || !p.Captured || len(p.Events) != 2 {
		t.Fatalf("ledger: %+v", p)
	}
	// Without a client secret, a publishable key may not read or pay.
	req, _ := http.NewRequest("GET", s.URL()+"/v1/payment_intents/"+pi.ID, nil)
	req.Header.Set("Authorization", "Bearer pk_test_phone")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("publishable key reading an intent: %d", resp.StatusCode)
	}
}

func TestSameSeedSameIDs(t *testing.T) {
	ids := func() []string {
		s := start(t)
		c := api(s, 0)
		var out []string
		for _, k := range []string{"a", "b", "c"} {
			pi, err := newIntent(t, c, k, "ord", 5000)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, pi.ID)
		}
		return out
	}
	a, b := ids(), ids()
	if strings.Join(a, ",") != strings.Join(b, ",") {
		t.Fatalf("seed 1 gave %v then %v", a, b)
	}
}

// A full webhook queue refuses the request that would emit an event, loudly
// and before changing anything.
func TestFullWebhookQueueRefusesBeforeChanging(t *testing.T) {
	s := start(t)
	fakestripe.SetDeliveriesQueuedMax(s, 3)
	c := api(s, 0)
	first, _ := newIntent(t, c, "a", "ord_a", 5000)
	second, _ := newIntent(t, c, "b", "ord_b", 5000)
	if _, err := s.Confirm(context.Background(), first.ID, first.ClientSecret); err != nil {
		t.Fatal(err)
	}
	status, err := s.Confirm(context.Background(), second.ID, second.ClientSecret)
	if !errors.Is(err, fakestripe.ErrQueueFull) || status != "requires_payment_method" {
		t.Fatalf("confirm with a full queue: %q %v", status, err)
	}
	cp := &stripe.PaymentIntentCancelParams{}
	cp.SetIdempotencyKey("cancel-b")
	_, err = c.PaymentIntents.Cancel(second.ID, cp)
	if se := stripeError(t, err); se.HTTPStatusCode != 503 {
		t.Fatalf("cancel with a full queue: %+v", se)
	}
	if p := s.Ledger()[1]; p.Status != "requires_payment_method" || p.Captured || len(p.Events) != 0 {
		t.Fatalf("refused requests changed the intent: %+v", p)
	}
	if st := s.Stats(); st["webhook_queue_full"] != 2 {
		t.Fatalf("stats: %v", st)
	}
	_, url := newReceiver(t, 0)
	s.SetWebhookURLs([]string{url})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.WaitDelivered(ctx); err != nil {
		t.Fatal(err)
	}
	// The key was not spent on the refusal: the same cancel now works.
	if pi, err := c.PaymentIntents.Cancel(second.ID, cp); err != nil || pi.Status != stripe.PaymentIntentStatusCanceled {
		t.Fatalf("cancel once delivered: %+v %v", pi, err)
	}
}

// A slow answer the client gave up on was still carried out, like a lost one.
func TestSlowAnswerOutlivesTheClient(t *testing.T) {
	s := start(t)
	s.SetFaults(fakestripe.Faults{SlowResponse: time.Second})
	bc := &stripe.BackendConfig{URL: stripe.String(s.URL()), MaxNetworkRetries: stripe.Int64(0),
		HTTPClient: &http.Client{Timeout: 50 * time.Millisecond}, LeveledLogger: &stripe.LeveledLogger{Level: stripe.LevelNull}}
	c := stripeclient.New(secretKey, &stripe.Backends{API: stripe.GetBackendWithConfig(stripe.APIBackend, bc)})
	if _, err := newIntent(t, c, "slow", "ord", 5000); err == nil {
		t.Fatal("the client got an answer before its timeout")
	}
	if n := len(s.Ledger()); n != 1 {
		t.Fatalf("%d intents, want 1", n)
	}
	if st := s.Stats(); st["slow_responses_injected"] != 1 {
		t.Fatalf("stats: %v", st)
	}
}
