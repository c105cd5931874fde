package checkout_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice/checkout"
	"github.com/boxoffice/boxoffice/checkout/internal/clustertest"
	"github.com/boxoffice/boxoffice/checkout/memstore"
	"github.com/boxoffice/boxoffice/cluster/client"
)

var (
	testSecret     = []byte("0123456789abcdef0123456789abcdef-test")
	testRecordKey  = []byte("record-key-0123456789abcdef-0123456789")
	testScanSecret = []byte("scan-secret-0123456789abcdef-012345678")
)

const webhookSecret = "whsec_test_secret"

// env is one cluster, one store, one payment provider and any number of
// gateways sharing them.
type env struct {
	t        *testing.T
	cluster  *client.Client
	store    *memstore.Store
	payments checkout.Payments
	key      ed25519.PrivateKey
	clock    *testClock
}

type testClock struct{ offset atomic.Int64 }

func (c *testClock) now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *testClock) advance(d time.Duration) { c.offset.Add(int64(d)) }

func newEnv(t *testing.T) *env {
	t.Helper()
	_, key, _ := ed25519.GenerateKey(nil)
	c := clustertest.Start(t)
	return &env{t: t, cluster: c, store: memstore.New(), payments: checkout.NewFakePayments(webhookSecret), key: key, clock: &testClock{}}
}

type gw struct {
	t   *testing.T
	g   *checkout.Gateway
	srv *httptest.Server
}

func (e *env) gateway(mod ...func(*checkout.Config)) *gw {
	e.t.Helper()
	cfg := checkout.Config{Inventory: e.cluster, Store: e.store, Payments: e.payments, JWTSecret: testSecret, TicketKey: e.key,
		RecordKeys: checkout.NewKeyRing(testRecordKey), ScanSecret: testScanSecret,
		DemoMode: true, RatePerFan: -1, RatePerIP: -1, Now: e.clock.now}
	for _, m := range mod {
		m(&cfg)
	}
	g, err := checkout.New(cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	srv := httptest.NewServer(g.Handler())
	e.t.Cleanup(srv.Close)
	return &gw{t: e.t, g: g, srv: srv}
}

func (e *env) event(id string) {
	e.t.Helper()
	clustertest.CreateEvent(e.t, e.cluster, id, 4, 10)
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("response %d is not a JSON object: %s", r.status, r.body)
	}
	return m
}

var keySeq atomic.Int64

// do sends a request; for POST without an explicit key it makes a fresh
// Idempotency-Key.
func (g *gw) do(method, path, token string, body any, headers ...string) resp {
	g.t.Helper()
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	req, _ := http.NewRequestWithContext(context.Background(), method, g.srv.URL+path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	hasKey := false
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
		hasKey = hasKey || headers[i] == "Idempotency-Key"
	}
	if method == "POST" && !hasKey {
		req.Header.Set("Idempotency-Key", fmt.Sprintf("k-%d", keySeq.Add(1)))
	}
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		g.t.Fatal(err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	out := resp{r.StatusCode, r.Header, b}
	checkProblemWording(g.t, method+" "+path, out)
	return out
}

// problemInternalText is wording that must never reach a client in a
// problem: package prefixes of the cluster, Go type names and formatting
// errors, and the libraries' own error texts.
var problemInternalText = []string{"fsm:", "node:", "Go struct", "Go value", "%!", "proto:", "json:", "jsontext", "rpc error:", "desc =", "x509:", "tls:",
	// golang-jwt, go-jose and stripe-go wording
	"token is malformed", "token signature is invalid", "token has invalid claims", "illegal base64", "go-jose", "square/go-jose",
	"webhook had", "webhook has", "wasn't within tolerance", "Failed to parse"}

// checkProblemWording fails t when r is a problem whose title or detail
// shows internal text. Every request a checkout test sends through gw.do
// or gw.rawPost passes here, so every refusal the tests provoke (bad
// input, bad tokens, conflicts) is scanned.
func checkProblemWording(t *testing.T, what string, r resp) {
	t.Helper()
	if leak := problemLeak(r); leak != "" {
		t.Errorf("%s: %s", what, leak)
	}
}

// problemLeak describes the internal text r shows, or returns "" when r is
// not a problem or shows none.
func problemLeak(r resp) string {
	if r.header.Get("Content-Type") != "application/problem+json" {
		return ""
	}
	var p struct{ Title, Detail string }
	if err := json.Unmarshal(r.body, &p); err != nil {
		return fmt.Sprintf("problem body is not JSON: %v: %s", err, r.body)
	}
	for _, s := range problemInternalText {
		if strings.Contains(p.Title, s) || strings.Contains(p.Detail, s) {
			return fmt.Sprintf("problem %q / %q shows internal text %q", p.Title, p.Detail, s)
		}
	}
	return ""
}

// must sends a request and fails the test unless the status is want.
func (g *gw) must(want int, method, path, token string, body any, headers ...string) map[string]any {
	g.t.Helper()
	r := g.do(method, path, token, body, headers...)
	if r.status != want {
		g.t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.status, want, r.body)
	}
	if len(r.body) == 0 || r.body[0] != '{' {
		return nil
	}
	return r.json(g.t)
}

func (g *gw) login(subject, role string) string {
	g.t.Helper()
	m := g.must(200, "POST", "/v1/dev/login", "", map[string]string{"subject": subject, "role": role})
	return m["token"].(string)
}

func str(m map[string]any, k string) string { s, _ := m[k].(string); return s }

func envInt(name string) int {
	var n int
	_, _ = fmt.Sscan(os.Getenv(name), &n)
	return n
}

func decodeJSON(b []byte, v any) error { return json.Unmarshal(b, v) }

// qrText is what a ticket's QR shows now: the signed payload from the
// ticket view and the current code of its TOTP secret, as the app makes it.
func qrText(ticket map[string]any) string {
	code, err := checkout.QRCode(str(ticket, "totp_secret"), time.Now())
	if err != nil {
		panic(err)
	}
	return str(ticket, "qr_payload") + "." + code
}

// sealedBody is the JSON of a sealed record (<key id>.<mac>.<JSON>).
func sealedBody(value []byte) []byte {
	parts := bytes.SplitN(value, []byte("."), 3)
	if len(parts) != 3 {
		return value
	}
	return parts[2]
}
