package checkout_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice/checkout"
	"github.com/boxoffice/boxoffice/internal/testport"
)

// TestOpenAPIMatchesHandlers: every operation in /openapi.json reaches a
// handler (not the mux's 404/405), every JSON property a handler returns is
// in its documented schema, every problem it answers (but an internal
// error) is one it documents, and a sample of undocumented paths is
// refused.
func TestOpenAPIMatchesHandlers(t *testing.T) {
	e := newEnv(t)
	e.event("doc")
	a := e.gateway()
	admin := a.login("root", "admin")
	type operation struct {
		Responses map[string]struct {
			Content map[string]struct {
				Schema struct {
					Properties map[string]any `json:"properties"`
				} `json:"schema"`
				Examples map[string]any `json:"examples"`
			} `json:"content"`
		} `json:"responses"`
	}
	var doc struct {
		Paths map[string]map[string]operation `json:"paths"`
	}
	// undocumentedProblem reports a problem (an internal error aside) whose
	// type op does not document for its status.
	undocumentedProblem := func(method, path string, op operation, got resp) {
		if got.status < 400 || got.status == 500 {
			return
		}
		var p struct{ Type string }
		_ = json.Unmarshal(got.body, &p)
		slug := strings.TrimPrefix(p.Type, "https://boxoffice.dev/problems/")
		if _, ok := op.Responses[strconv.Itoa(got.status)].Content["application/problem+json"].Examples[slug]; !ok {
			t.Errorf("%s %s answered %d %s, which it does not document: %s", method, path, got.status, slug, got.body)
		}
	}
	r := a.do("GET", "/openapi.json", "", nil)
	if err := json.Unmarshal(r.body, &doc); err != nil || len(doc.Paths) < 20 {
		t.Fatalf("openapi: %v %d paths", err, len(doc.Paths))
	}
	for path, ops := range doc.Paths {
		concrete := strings.NewReplacer("{event}", "doc", "{hold}", "h", "{order}", "o", "{ticket}", "t").Replace(path)
		for method, op := range ops {
			if strings.HasSuffix(path, "/stream") {
				continue // streams forever; covered by TestSeatStreamResumes
			}
			got := a.do(strings.ToUpper(method), concrete, admin, map[string]any{})
			if got.status == 405 || (got.status == 404 && strings.Contains(string(got.body), "no such endpoint")) {
				t.Errorf("%s %s is documented but has no handler: %d %s", method, path, got.status, got.body)
			}
			undocumentedProblem(method, path, op, got)
			if got.status/100 != 2 || !strings.HasPrefix(got.header.Get("Content-Type"), "application/json") {
				continue
			}
			var body map[string]any
			_ = json.Unmarshal(got.body, &body)
			for _, resp := range op.Responses {
				props := resp.Content["application/json"].Schema.Properties
				if props == nil {
					continue
				}
				for k := range body {
					if _, ok := props[k]; !ok {
						t.Errorf("%s %s returns %q, which its schema lacks", method, path, k)
					}
				}
			}
		}
	}
	// A fan and a caller without a token are refused in documented ways too.
	fan := a.login("docfan", "fan")
	for _, token := range []string{fan, ""} {
		for path, ops := range doc.Paths {
			concrete := strings.NewReplacer("{event}", "doc", "{hold}", "h", "{order}", "o", "{ticket}", "t").Replace(path)
			for method, op := range ops {
				if !strings.HasSuffix(path, "/stream") {
					undocumentedProblem(method, path, op, a.do(strings.ToUpper(method), concrete, token, map[string]any{}))
				}
			}
		}
	}
	for _, undocumented := range []string{"/v1/secret", "/v1/events/doc/admin"} {
		if got := a.do("GET", undocumented, admin, nil); got.status != 404 {
			t.Errorf("undocumented %s answered %d", undocumented, got.status)
		}
	}
}

// TestStripeAgainstStripeMock runs the Stripe implementation against a
// real stripe-mock: create with an idempotency key, read, cancel, refund,
// and a whole order created through the gateway with Stripe payments,
// settled by a signed webhook.
func TestStripeAgainstStripeMock(t *testing.T) {
	if testing.Short() {
		t.Skip("starts stripe-mock; skipped with -short")
	}
	base := startStripeMock(t)
	sp, err := checkout.NewStripePayments(checkout.StripeConfig{SecretKey: "sk_test_123", WebhookSecret: webhookSecret, BaseURL: base})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	in, err := sp.CreateIntent(ctx, checkout.IntentRequest{OrderID: "ord_1", EventID: "ev", Buyer: "fan", AmountCents: 10000, Currency: "USD", IdempotencyKey: "pi-ord_1"})
	if err != nil || in.ID == "" || in.ClientSecret == "" {
		t.Fatalf("create: %+v %v", in, err)
	}
	if _, err := sp.GetIntent(ctx, in.ID); err != nil {
		t.Fatalf("get: %v", err)
	}
	// stripe-mock is stateless: it answers from fixtures, so only the
	// call's shape (and that it succeeds) is checked here.
	if got, err := sp.CancelIntent(ctx, in.ID, "cancel-ord_1"); err != nil || got.ID == "" {
		t.Fatalf("cancel: %+v %v", got, err)
	}
	if err := sp.Refund(ctx, in.ID, "refund-ord_1"); err != nil {
		t.Fatalf("refund: %v", err)
	}

	e := newEnv(t)
	e.payments = sp
	e.event("stripe")
	a := e.gateway()
	tok := a.login("stripefan", "fan")
	order, _ := pendingOrder(t, a, tok, "stripe")
	pay := order["payment"].(map[string]any)
	if pay["provider"] != "stripe" || str(pay, "client_secret") == "" {
		t.Fatalf("order payment: %v", pay)
	}
	body, sig := checkout.SignWebhook(webhookSecret, "evt_stripe_1", "payment_intent.succeeded", str(pay, "intent_id"), str(order, "order_id"), time.Now())
	if r := deliver(t, a, body, sig); r.status != 200 {
		t.Fatalf("webhook: %d %s", r.status, r.body)
	}
	if got := orderState(t, a, tok, order); got["state"] != "paid" {
		t.Fatalf("order after webhook: %v", got)
	}
}

func startStripeMock(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("STRIPE_MOCK_BIN")
	if bin == "" {
		bin = t.TempDir() + "/stripe-mock"
		if out, err := exec.Command("go", "build", "-o", bin, "github.com/stripe/stripe-mock").CombinedOutput(); err != nil {
			t.Fatalf("building stripe-mock: %v\n%s", err, out)
		}
	}
	port := testport.Ports(t, 1)[0]
	cmd := exec.Command(bin, "-http-addr", fmt.Sprintf("127.0.0.1:%d", port), "-strict-version-check=false")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) { // poll until stripe-mock answers
		if r, err := http.Get(base + "/v1/charges"); err == nil {
			r.Body.Close()
			return base
		}
	}
	t.Fatal("stripe-mock did not start")
	return ""
}
