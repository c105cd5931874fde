package checkout_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"unicode"
)

// rawPost sends body exactly as given.
func (g *gw) rawPost(path, token, body string) resp {
	g.t.Helper()
	req, _ := http.NewRequest("POST", g.srv.URL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Idempotency-Key", fmt.Sprintf("raw-%d", keySeq.Add(1)))
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		g.t.Fatal(err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	out := resp{r.StatusCode, r.Header, b}
	checkProblemWording(g.t, "POST "+path, out)
	return out
}

// problemDetail checks that r is a 400 invalid-request problem and
// returns its detail.
func problemDetail(t *testing.T, r resp) string {
	t.Helper()
	if r.status != 400 || r.header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("want a 400 problem, got %d %s: %s", r.status, r.header.Get("Content-Type"), r.body)
	}
	m := r.json(t)
	if m["type"] != problemTypePrefix+"invalid-request" {
		t.Fatalf("type %v: %s", m["type"], r.body)
	}
	return str(m, "detail")
}

// TestAmbiguousBodiesAreRefused: a body with a key twice, or a second
// value after the first, means one thing to a parser that keeps the first
// copy (a WAF, a proxy, an audit log) and another to one that keeps the
// last (encoding/json). Before, the gateway took the last copy and held
// 4 seats where the first copy asked for 1; now such bodies are refused
// with a problem that names the problem, and no hold is made.
func TestAmbiguousBodiesAreRefused(t *testing.T) {
	e := newEnv(t)
	e.event("json_arena")
	g := e.gateway()
	fan := g.login("jsonfan", "fan")
	for _, tc := range []struct{ name, body, want string }{
		{"duplicate key", `{"best":{"quantity":1},"best":{"quantity":4}}`, `body: duplicate key at "/best"`},
		{"nested duplicate key", `{"best":{"quantity":1,"quantity":4}}`, `body: duplicate key at "/best/quantity"`},
		{"second value", `{"best":{"quantity":1}}{"best":{"quantity":4}}`, "body: data after the JSON value at byte 23"},
		{"trailing garbage", `{"best":{"quantity":1}} x`, "body: data after the JSON value at byte 23"},
		{"invalid UTF-8", "{\"best\":{\"section_id\":\"\xff\",\"quantity\":1}}", `body: invalid UTF-8 at "/best/section_id"`},
		{"cut short", `{"best":{"quantity":1}`, "body: the JSON value ends early"},
		{"unknown field", `{"best":{"quantity":1},"bogus":true}`, `body: unknown field "bogus"`},
		{"wrong type", `{"best":{"quantity":"four"}}`, `body: "best.quantity": want an integer`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			detail := problemDetail(t, g.rawPost("/v1/events/json_arena/holds", fan, tc.body))
			if detail != tc.want {
				t.Fatalf("detail %q, want %q", detail, tc.want)
			}
			for _, internal := range []string{"json:", "jsontext", "Go ", "holdRequest", "uint32", "struct"} {
				if strings.Contains(detail, internal) {
					t.Fatalf("detail %q shows library wording %q", detail, internal)
				}
			}
		})
	}
	if holds := g.must(200, "GET", "/v1/holds", fan, nil)["holds"]; holds != nil && len(holds.([]any)) != 0 {
		t.Fatalf("a refused body made holds: %v", holds)
	}
	// The same request, unambiguous, works.
	g.must(201, "POST", "/v1/events/json_arena/holds", fan, map[string]any{"best": map[string]any{"quantity": 1}})
}

// TestEchoedValuesAreTruncated: a value a client sent comes back in a
// problem detail cut to 64 bytes plus "…", with its control characters
// (here a terminal escape and a line break) replaced.
func TestEchoedValuesAreTruncated(t *testing.T) {
	e := newEnv(t)
	g := e.gateway()
	fan := g.login("echofan", "fan")
	long := "\x1b[31m" + strings.Repeat("A", 300) + "\nforged log line"
	for _, tc := range []struct {
		name string
		r    resp
	}{
		{"unknown field", g.rawPost("/v1/orders", fan, `{"hold_id":"h","`+strings.ReplaceAll(strings.ReplaceAll(long, "\x1b", `\u001b`), "\n", `\n`)+`":1}`)},
		{"id in the body", g.rawPost("/v1/orders", fan, `{"hold_id":"`+strings.ReplaceAll(strings.ReplaceAll(long, "\x1b", `\u001b`), "\n", `\n`)+`"}`)},
		{"query parameter", g.do("GET", "/v1/events?limit="+strings.Repeat("9", 300), fan, nil)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var detail string
			if tc.r.status == 400 {
				detail = str(tc.r.json(t), "detail")
			} else {
				t.Fatalf("status %d: %s", tc.r.status, tc.r.body)
			}
			if !strings.Contains(detail, "…") || strings.Contains(detail, strings.Repeat("A", 65)) || strings.Contains(detail, strings.Repeat("9", 65)) {
				t.Fatalf("echo not cut to 64 bytes: %q", detail)
			}
			if strings.ContainsFunc(detail, unicode.IsControl) || strings.Contains(detail, "forged") {
				t.Fatalf("detail carries control characters or the tail: %q", detail)
			}
			if len(detail) > 200 {
				t.Fatalf("detail is %d bytes: %q", len(detail), detail)
			}
		})
	}
}
