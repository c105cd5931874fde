package checkout_test

import (
	"strings"
	"testing"

	"github.com/boxoffice/boxoffice/checkout"
)

func TestConventions(t *testing.T) {
	e := newEnv(t)
	e.event("conv")
	a := e.gateway()
	fan := a.login("fan1", "fan")
	scanner := a.login("scan1", "scanner")

	t.Run("problem json for unknown paths", func(t *testing.T) {
		r := a.do("GET", "/nope", fan, nil)
		if r.status != 404 || r.header.Get("Content-Type") != "application/problem+json" || r.json(t)["type"] == nil {
			t.Fatalf("got %d %s %s", r.status, r.header.Get("Content-Type"), r.body)
		}
	})
	t.Run("no token is 401, wrong role is 403", func(t *testing.T) {
		if r := a.do("GET", "/v1/events", "", nil); r.status != 401 {
			t.Fatalf("no token: %d %s", r.status, r.body)
		}
		if r := a.do("GET", "/v1/events", "garbage", nil); r.status != 401 {
			t.Fatalf("bad token: %d", r.status)
		}
		if r := a.do("POST", "/v1/events/conv/holds", scanner, map[string]any{"best": map[string]any{"quantity": 1}}); r.status != 403 {
			t.Fatalf("scanner holding: %d %s", r.status, r.body)
		}
		if r := a.do("POST", "/v1/checkins", fan, map[string]any{"qr": "x"}); r.status != 403 {
			t.Fatalf("fan checking in: %d %s", r.status, r.body)
		}
	})
	t.Run("Idempotency-Key required, replayed, and 422 on reuse", func(t *testing.T) {
		r := a.do("POST", "/v1/events/conv/holds", fan, map[string]any{"best": map[string]any{"quantity": 1}}, "Idempotency-Key", "")
		if r.status != 400 || !strings.Contains(string(r.body), "idempotency") {
			t.Fatalf("missing key: %d %s", r.status, r.body)
		}
		body := map[string]any{"best": map[string]any{"quantity": 1, "section_id": "A"}}
		first := a.must(201, "POST", "/v1/events/conv/holds", fan, body, "Idempotency-Key", "same")
		// Another gateway answers the retry the same way: the record is in the store.
		b := e.gateway()
		r2 := b.do("POST", "/v1/events/conv/holds", fan, body, "Idempotency-Key", "same")
		if r2.status != 201 || r2.header.Get("Idempotent-Replayed") != "true" || r2.json(t)["hold_id"] != first["hold_id"] {
			t.Fatalf("replay: %d %v %s", r2.status, r2.header, r2.body)
		}
		other := map[string]any{"best": map[string]any{"quantity": 2, "section_id": "A"}}
		if r := a.do("POST", "/v1/events/conv/holds", fan, other, "Idempotency-Key", "same"); r.status != 422 {
			t.Fatalf("reuse with another body: %d %s", r.status, r.body)
		}
	})
	t.Run("rate limits answer 429 with Retry-After", func(t *testing.T) {
		limited := e.gateway(func(c *checkout.Config) { c.RatePerFan = 2 })
		tok := limited.login("fan-rl", "fan")
		var last resp
		for range 5 {
			last = limited.do("GET", "/v1/events", tok, nil)
		}
		if last.status != 429 || last.header.Get("Retry-After") == "" {
			t.Fatalf("got %d %v", last.status, last.header)
		}
		ipLimited := e.gateway(func(c *checkout.Config) { c.RatePerIP = 1 })
		for range 3 {
			last = ipLimited.do("GET", "/healthz", "", nil)
		}
		if last.status != 429 || last.header.Get("Retry-After") == "" {
			t.Fatalf("per IP: got %d", last.status)
		}
	})
	t.Run("dev login only in demo mode", func(t *testing.T) {
		prod := e.gateway(func(c *checkout.Config) { c.DemoMode = false })
		if r := prod.do("POST", "/v1/dev/login", "", map[string]string{"subject": "x"}); r.status != 404 {
			t.Fatalf("dev login outside demo: %d", r.status)
		}
	})
	t.Run("health, readiness, metrics", func(t *testing.T) {
		a.must(200, "GET", "/healthz", "", nil)
		a.must(200, "GET", "/readyz", "", nil)
		r := a.do("GET", "/metrics", "", nil)
		if r.status != 200 || !strings.Contains(string(r.body), "boxoffice_gateway_requests_total") {
			t.Fatalf("metrics: %d", r.status)
		}
	})
}
