package checkout_test

import (
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// TestEveryRefusedTokenSaysWhyAndChallenges: every way a bearer token is
// refused answers 401 with the RFC 6750 challenge (invalid_token when a
// token was sent) and a detail in this API's words, on a read and on a
// POST; a refused admission token answers 403 not-admitted, also in our
// words. gw.do scans each problem for library wording as well.
func TestEveryRefusedTokenSaysWhyAndChallenges(t *testing.T) {
	e := newEnv(t)
	e.event("gate401")
	g := e.gateway()
	now := time.Now()
	claims := func(edit func(jwt.MapClaims)) jwt.MapClaims {
		c := jwt.MapClaims{"iss": "boxoffice-gateway", "aud": "api", "sub": "fan401", "role": "fan",
			"iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
		if edit != nil {
			edit(c)
		}
		return c
	}
	unsigned, _ := jwt.NewWithClaims(jwt.SigningMethodNone, claims(nil)).SignedString(jwt.UnsafeAllowNoneSignatureType)
	otherKey, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, claims(nil)).SignedString([]byte("another-secret-0123456789abcdef-0123"))
	cases := []struct {
		name, header, detail string
	}{
		{"no header", "", "send Authorization: Bearer <token>"},
		{"basic scheme", "Basic Zm9vOmJhcg==", "send Authorization: Bearer <token>"},
		{"garbage", "Bearer garbage", "the token is not a JWT"},
		{"bad base64", "Bearer a.b!.c", "the token is not a JWT"},
		{"alg none", "Bearer " + unsigned, "the token's signature does not verify"},
		{"other key", "Bearer " + otherKey, "the token's signature does not verify"},
		{"expired", "Bearer " + hs256(t, claims(func(c jwt.MapClaims) { c["iat"], c["exp"] = now.Add(-2*time.Hour).Unix(), now.Add(-time.Hour).Unix() })), "the token has expired"},
		{"admission audience", "Bearer " + hs256(t, claims(func(c jwt.MapClaims) { c["aud"] = "admission" })), "the token was issued for another audience"},
		{"oversize", "Bearer " + strings.Repeat("a", 20_000), ""},
	}
	for _, c := range cases {
		for _, req := range []struct{ method, path string }{{"GET", "/v1/events"}, {"POST", "/v1/events/gate401/holds"}} {
			t.Run(c.name+" "+req.method, func(t *testing.T) {
				r := g.do(req.method, req.path, "", map[string]any{"best": map[string]any{"quantity": 1}}, "Authorization", c.header)
				if r.status != 401 {
					t.Fatalf("got %d %s, want 401", r.status, r.body)
				}
				challenge := `Bearer realm="boxoffice", error="invalid_token"`
				if c.header == "" {
					challenge = `Bearer realm="boxoffice"`
				}
				if got := r.header.Get("WWW-Authenticate"); got != challenge {
					t.Fatalf("WWW-Authenticate %q, want %q", got, challenge)
				}
				detail := str(r.json(t), "detail")
				if c.detail != "" && detail != c.detail {
					t.Fatalf("detail %q, want %q", detail, c.detail)
				}
				if c.detail == "" && !strings.Contains(detail, "longer than") {
					t.Fatalf("detail %q does not say the token is too long", detail)
				}
			})
		}
	}

	// Admission tokens: the event is in queue mode.
	admin, fan := g.login("root401", "admin"), g.login("fan401", "fan")
	g.must(200, "PUT", "/v1/events/gate401/waiting-room", admin,
		map[string]any{"on_sale_at": e.clock.now().Add(time.Hour).Format(time.RFC3339), "admit_per_second": 10})
	bearerAsAdmission := hs256(t, claims(nil))
	for _, c := range []struct{ name, token, detail string }{
		{"missing", "", "event gate401 is in queue mode: send X-Admission-Token from the waiting room"},
		{"garbage", "garbage", "admission token: the token is not a JWT"},
		{"bearer token", bearerAsAdmission, "admission token: the token was issued for another audience"},
		{"other key", otherKey, "admission token: the token's signature does not verify"},
	} {
		t.Run("admission "+c.name, func(t *testing.T) {
			r := g.do("POST", "/v1/events/gate401/holds", fan, map[string]any{"best": map[string]any{"quantity": 1}}, "X-Admission-Token", c.token)
			refused(t, r, 403, "not-admitted")
			if detail := str(r.json(t), "detail"); detail != c.detail {
				t.Fatalf("detail %q, want %q", detail, c.detail)
			}
		})
	}
}
