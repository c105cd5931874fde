package checkout_test

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice/checkout"
	"github.com/boxoffice/boxoffice/checkout/clusterstore"
	"github.com/boxoffice/boxoffice/checkout/internal/clustertest"
)

var (
	// jwtPattern is a JWT or any JWS in compact form: three base64url
	// segments, the first a JSON header ("{"... is "eyJ").
	jwtPattern = regexp.MustCompile(`eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+`)
	// clientSecretPattern is a Stripe PaymentIntent client secret.
	clientSecretPattern = regexp.MustCompile(`pi_[A-Za-z0-9]+_secret_[A-Za-z0-9]+`)
)

// credentialsIn lists the tokens, client secrets and given strings in b.
func credentialsIn(b []byte, also []string) []string {
	var found []string
	for _, m := range jwtPattern.FindAll(b, -1) {
		found = append(found, "JWT "+string(m))
	}
	for _, m := range clientSecretPattern.FindAll(b, -1) {
		found = append(found, "client secret "+string(m))
	}
	for _, s := range also {
		if bytes.Contains(b, []byte(s)) {
			found = append(found, "QR "+s)
		}
	}
	return found
}

// TestNoCredentialAtRest walks the whole fan flow against a real one-node
// cluster holding the gateway's records (clusterstore) and a real
// stripe-mock, replays the POSTs whose answers carry a credential, then
// reads every record and every byte the node wrote to disk (its bbolt Raft
// log, snapshots) and finds no bearer or admission token, no payment client
// secret and no QR. Before, the idempotency records kept the dev login's
// JWTs, a join's admission token and the order's answer with its
// client_secret, and the order record kept the client_secret too, all in
// the Raft log.
func TestNoCredentialAtRest(t *testing.T) {
	if testing.Short() {
		t.Skip("starts stripe-mock; skipped with -short")
	}
	sp, err := checkout.NewStripePayments(checkout.StripeConfig{SecretKey: "sk_test_123", WebhookSecret: webhookSecret, BaseURL: startStripeMock(t)})
	if err != nil {
		t.Fatal(err)
	}
	dataDir := t.TempDir()
	e := newEnv(t)
	e.cluster = clustertest.StartIn(t, dataDir)
	records := clusterstore.New(e.cluster)
	e.event("atrest")
	onCluster := func(cfg *checkout.Config) { cfg.Store, cfg.Payments = records, sp }
	a, b := e.gateway(onCluster), e.gateway(onCluster)

	fan := a.must(200, "POST", "/v1/dev/login", "", map[string]string{"subject": "alice", "role": "fan"}, "Idempotency-Key", "login-alice")["token"].(string)
	if len(credentialsIn([]byte(fan), nil)) != 1 {
		t.Fatalf("the scanner does not recognise a bearer token: %s", fan)
	}
	organizer, scanner, bob := a.login("org", "organizer"), b.login("door", "scanner"), b.login("bob", "fan")

	// Waiting room: alice joins before the sale and is admitted by a poll;
	// bob joins after it and is admitted by the join itself.
	a.must(200, "PUT", "/v1/events/atrest/waiting-room", organizer, map[string]any{
		"on_sale_at": e.clock.now().Add(time.Second).Format(time.RFC3339Nano), "admit_per_second": 100})
	a.must(200, "POST", "/v1/events/atrest/waiting-room/join", fan, nil)
	e.clock.advance(3 * time.Second)
	admission := str(b.must(200, "GET", "/v1/events/atrest/waiting-room/me", fan, nil), "admission_token")
	if admission == "" {
		t.Fatal("alice was not admitted")
	}
	joined := b.must(200, "POST", "/v1/events/atrest/waiting-room/join", bob, nil, "Idempotency-Key", "join-bob")
	if joined["state"] != "admitted" || str(joined, "admission_token") == "" {
		t.Fatalf("bob's join after the on-sale: %v", joined)
	}
	rejoined := a.do("POST", "/v1/events/atrest/waiting-room/join", bob, nil, "Idempotency-Key", "join-bob")
	if rejoined.status != 200 || str(rejoined.json(t), "admission_token") == "" {
		t.Fatalf("bob's repeated join: %d %v %s", rejoined.status, rejoined.header, rejoined.body)
	}

	// Order and pay with Stripe: the client secret is in every answer
	// that shows the pending order, fetched from Stripe each time.
	hold := a.must(201, "POST", "/v1/events/atrest/holds", fan, map[string]any{"best": map[string]any{"quantity": 2, "section_id": "A"}},
		"X-Admission-Token", admission)
	order := b.must(201, "POST", "/v1/orders", fan, map[string]any{"hold_id": hold["hold_id"]}, "Idempotency-Key", "order-alice")
	payment := order["payment"].(map[string]any)
	if !clientSecretPattern.MatchString(str(payment, "client_secret")) {
		t.Fatalf("order answer without a client secret: %v", payment)
	}
	for name, r := range map[string]resp{
		"repeated POST /v1/orders": a.do("POST", "/v1/orders", fan, map[string]any{"hold_id": hold["hold_id"]}, "Idempotency-Key", "order-alice"),
		"GET /v1/orders/{order}":   b.do("GET", "/v1/orders/"+str(order, "order_id"), fan, nil),
	} {
		if r.status/100 != 2 || !clientSecretPattern.Match(r.body) {
			t.Fatalf("%s: %d %s", name, r.status, r.body)
		}
		if name[0] == 'r' && r.header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("%s was not a replay: %v", name, r.header)
		}
	}
	body, sig := checkout.SignWebhook(webhookSecret, "evt_atrest_1", "payment_intent.succeeded", str(payment, "intent_id"), str(order, "order_id"), time.Now())
	if r := deliver(t, a, body, sig); r.status != 200 {
		t.Fatalf("webhook: %d %s", r.status, r.body)
	}
	if got := orderState(t, b, fan, order); got["state"] != "paid" {
		t.Fatalf("order after the webhook: %v", got)
	}

	// A repeated login answers with a working token.
	relogin := b.do("POST", "/v1/dev/login", "", map[string]string{"subject": "alice", "role": "fan"}, "Idempotency-Key", "login-alice")
	again := str(relogin.json(t), "token")
	if relogin.status != 200 || relogin.header.Get("Idempotent-Replayed") != "true" || again == "" {
		t.Fatalf("repeated login: %d %v %s", relogin.status, relogin.header, relogin.body)
	}
	tickets := b.must(200, "GET", "/v1/tickets", again, nil)["tickets"].([]any)
	if len(tickets) != 2 {
		t.Fatalf("tickets: %v", tickets)
	}
	var qrs []string
	for _, tk := range tickets {
		qrs = append(qrs, str(tk.(map[string]any), "qr_payload"))
	}
	t1, t2 := tickets[0].(map[string]any), tickets[1].(map[string]any)
	a.must(200, "POST", "/v1/tickets/"+str(t1, "ticket_id")+"/transfer", fan, map[string]any{"to": "bob"})
	a.must(200, "POST", "/v1/checkins", scanner, map[string]any{"qr": qrText(t2), "gate": "north"})

	// Every record, through the store.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	scanned := 0
	for after := ""; ; {
		kvs, err := records.Scan(ctx, "", after, 200)
		if err != nil {
			t.Fatal(err)
		}
		for _, kv := range kvs {
			scanned++
			if found := credentialsIn(append([]byte(kv.Key+"\x00"), kv.Value...), qrs); len(found) > 0 {
				t.Errorf("record %s holds %v", kv.Key, found)
			}
		}
		if len(kvs) < 200 {
			break
		}
		after = kvs[len(kvs)-1].Key
	}
	if scanned < 20 {
		t.Fatalf("scanned only %d records; the flow wrote more", scanned)
	}
	// Every byte on disk, where the Raft log keeps every version of
	// every record until it is compacted.
	files := 0
	err = filepath.WalkDir(dataDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		if found := credentialsIn(raw, qrs); len(found) > 0 {
			t.Errorf("%s holds %d credentials, the first %s", path, len(found), found[0])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files == 0 {
		t.Fatal("the node wrote no file; the test read nothing")
	}
}
