package checkout_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"

	"github.com/boxoffice/boxoffice/checkout"
	"github.com/boxoffice/boxoffice/checkout/memstore"
	"github.com/boxoffice/boxoffice/cluster/client"
	"github.com/boxoffice/boxoffice/internal/oidctest"
)

// gatewayAudience is the client id the apps are registered with at the
// test identity provider.
const gatewayAudience = "boxoffice-app"

// refused asserts a refusal as a client sees it: the status, the problem
// type, and on 401 the RFC 6750 challenge.
func refused(t *testing.T, r resp, status int, problemType string) {
	t.Helper()
	if r.status != status || r.header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("got %d %s, want %d problem %s: %s", r.status, r.header.Get("Content-Type"), status, problemType, r.body)
	}
	if got := str(r.json(t), "type"); got != "https://boxoffice.dev/problems/"+problemType {
		t.Fatalf("problem type %q, want %s: %s", got, problemType, r.body)
	}
	if status == 401 && r.header.Get("WWW-Authenticate") != `Bearer realm="boxoffice", error="invalid_token"` {
		t.Fatalf("401 without the invalid_token challenge: %q", r.header.Get("WWW-Authenticate"))
	}
}

// hs256 signs claims with the gateways' shared secret, as a script holding
// the secret would.
func hs256(t *testing.T, claims jwt.MapClaims) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// buyTicket buys one seat of event for fan and returns its ticket.
func buyTicket(t *testing.T, g *gw, fan, event string) map[string]any {
	t.Helper()
	hold := g.must(201, "POST", "/v1/events/"+event+"/holds", fan, map[string]any{"best": map[string]any{"quantity": 1}})
	order := g.must(201, "POST", "/v1/orders", fan, map[string]any{"hold_id": hold["hold_id"]})
	g.must(200, "POST", "/v1/orders/"+str(order, "order_id")+"/fake-pay", fan, map[string]any{"outcome": "succeeded"})
	for _, tk := range g.must(200, "GET", "/v1/tickets", fan, nil)["tickets"].([]any) {
		if m := tk.(map[string]any); m["event_id"] == event {
			return m
		}
	}
	t.Fatalf("no ticket of %s for the buyer", event)
	return nil
}

// TestTokenLifetimeCapped: a long-lived token signed with the shared
// secret (10 years were accepted before the cap) is refused 401, as is one
// without iat; a capped one works.
func TestTokenLifetimeCapped(t *testing.T) {
	e := newEnv(t)
	g := e.gateway()
	now := time.Now()
	claims := func(lifetime time.Duration) jwt.MapClaims {
		return jwt.MapClaims{"iss": "boxoffice-gateway", "aud": "api", "sub": "fan-10y", "role": "fan",
			"iat": now.Unix(), "exp": now.Add(lifetime).Unix()}
	}
	tenYears := hs256(t, claims(10*365*24*time.Hour))
	r := g.do("GET", "/v1/events", tenYears, nil)
	refused(t, r, 401, "unauthenticated")
	if detail := str(r.json(t), "detail"); !strings.Contains(detail, "at most 24h0m0s") {
		t.Fatalf("detail does not name the cap: %q", detail)
	}
	noIAT := claims(time.Hour)
	delete(noIAT, "iat")
	refused(t, g.do("GET", "/v1/events", hs256(t, noIAT), nil), 401, "unauthenticated")
	g.must(200, "GET", "/v1/events", hs256(t, claims(time.Hour)), nil)

	// A stricter cap refuses the demo login's 12 h token too, and the
	// demo login then mints tokens within it.
	strict := e.gateway(func(c *checkout.Config) { c.TokenLifetimeMax = time.Hour })
	refused(t, strict.do("GET", "/v1/events", g.login("fan1", "fan"), nil), 401, "unauthenticated")
	strict.must(200, "GET", "/v1/events", strict.login("fan1", "fan"), nil)

	// No library error text reaches the client.
	r = g.do("GET", "/v1/events", "not.a.jwt", nil)
	refused(t, r, 401, "unauthenticated")
	if detail := str(r.json(t), "detail"); detail != "the token is not a JWT" {
		t.Fatalf("detail %q", detail)
	}
}

// TestTokenCachedUntilExp: through the API, a token used again (answered
// from the verified-token cache) is refused once the gateway's clock
// passes its exp, and a token with the same claims signed with another
// secret is refused while its twin is cached.
func TestTokenCachedUntilExp(t *testing.T) {
	e := newEnv(t)
	g := e.gateway()
	now := e.clock.now()
	claims := jwt.MapClaims{"iss": "boxoffice-gateway", "aud": "api", "sub": "fan-exp", "role": "fan",
		"iat": now.Unix(), "exp": now.Add(time.Minute).Unix()}
	tok := hs256(t, claims)
	g.must(200, "GET", "/v1/events", tok, nil)
	g.must(200, "GET", "/v1/events", tok, nil)

	forged, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte("not the gateways' secret, 32 byte"))
	if err != nil {
		t.Fatal(err)
	}
	r := g.do("GET", "/v1/events", forged, nil)
	refused(t, r, 401, "unauthenticated")
	if detail := str(r.json(t), "detail"); detail != "the token's signature does not verify" {
		t.Fatalf("forged token: detail %q", detail)
	}

	e.clock.advance(2 * time.Minute)
	r = g.do("GET", "/v1/events", tok, nil)
	refused(t, r, 401, "unauthenticated")
	if detail := str(r.json(t), "detail"); detail != "the token has expired" {
		t.Fatalf("expired token: detail %q", detail)
	}
}

// TestSubjectWithBraceIsRefused: a subject is the placement tag of the
// fan's records ({f:<subject>}), so a token or a demo login naming a
// subject with '{' or '}' is refused before anything is written: such a
// subject could end the tag early and put its records in another fan's
// placement.
func TestSubjectWithBraceIsRefused(t *testing.T) {
	e := newEnv(t)
	g := e.gateway()
	now := time.Now()
	for _, sub := range []string{"ann}x", "{f:ann}", "ann{"} {
		tok := hs256(t, jwt.MapClaims{"iss": "boxoffice-gateway", "aud": "api", "sub": sub, "role": "fan",
			"iat": now.Unix(), "exp": now.Add(time.Hour).Unix()})
		refused(t, g.do("GET", "/v1/events", tok, nil), 401, "unauthenticated")
		refused(t, g.do("POST", "/v1/dev/login", "", map[string]any{"subject": sub, "role": "fan"}), 400, "invalid-request")
	}
	kvs, err := e.store.Scan(t.Context(), "", "", checkout.ScanLimitMax)
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range kvs {
		if strings.Contains(kv.Key, "ann") {
			t.Fatalf("a record of a refused subject: %s", kv.Key)
		}
	}
}

// TestEventScopeHS256: an organizer and a scanner scoped to event A (the
// demo login's events) act on A and are refused B, with nothing changed
// on B; the default demo login and an admin act on both.
func TestEventScopeHS256(t *testing.T) {
	e := newEnv(t)
	e.event("scope_a")
	e.event("scope_b")
	g := e.gateway()
	loginScoped := func(subject, role string, events ...string) string {
		m := g.must(200, "POST", "/v1/dev/login", "", map[string]any{"subject": subject, "role": role, "events": events})
		return str(m, "token")
	}
	orgA := loginScoped("org-a", "organizer", "scope_a")
	scanA := loginScoped("scan-a", "scanner", "scope_a")
	fan := g.login("fan-scope", "fan")
	ticketA := buyTicket(t, g, fan, "scope_a")
	ticketB := buyTicket(t, g, fan, "scope_b")
	queue := map[string]any{"on_sale_at": e.clock.now().Add(time.Hour).Format(time.RFC3339), "admit_per_second": 10}
	checkOrganizerAndScannerScope(t, g, orgA, scanA, fan, queue, ticketA, ticketB, "scope_a", "scope_b")

	admin := g.login("root", "admin")
	g.must(200, "PUT", "/v1/events/scope_b/waiting-room", admin, queue)
	g.must(200, "GET", "/v1/events/scope_b/revocations", g.login("door-all", "scanner"), nil)
}

// checkOrganizerAndScannerScope runs the cross-event attacks with tokens
// scoped to event a: each succeeded before events were scoped.
func checkOrganizerAndScannerScope(t *testing.T, g *gw, org, scanner, fan string, queue map[string]any, ticketA, ticketB map[string]any, a, b string) {
	t.Helper()
	// The organizer of a configures a's waiting room; b's is refused and
	// b stays without one.
	g.must(200, "PUT", "/v1/events/"+a+"/waiting-room", org, queue)
	refused(t, g.do("PUT", "/v1/events/"+b+"/waiting-room", org, queue), 403, "event-out-of-scope")
	refused(t, g.do("POST", "/v1/events/"+b+"/waiting-room/join", fan, nil), 404, "not-found")
	refused(t, g.do("POST", "/v1/events/"+b+"/notices", org, map[string]any{"kind": "event.changed", "message": "moved"}), 403, "event-out-of-scope")
	g.must(202, "POST", "/v1/events/"+a+"/notices", org, map[string]any{"kind": "event.reminder", "message": "tonight"})

	// The scanner of a admits a's ticket; b's is refused and stays unused.
	refused(t, g.do("POST", "/v1/checkins", scanner, map[string]any{"qr": qrText(ticketB), "gate": "n"}), 403, "event-out-of-scope")
	if tk := g.must(200, "GET", "/v1/tickets/"+str(ticketB, "ticket_id"), fan, nil); tk["checked_in_at"] != nil {
		t.Fatalf("ticket of %s checked in by a scanner of %s: %v", b, a, tk)
	}
	g.must(200, "POST", "/v1/checkins", scanner, map[string]any{"qr": qrText(ticketA), "gate": "n"})
	refused(t, g.do("GET", "/v1/events/"+b+"/revocations", scanner, nil), 403, "event-out-of-scope")
	g.must(200, "GET", "/v1/events/"+a+"/revocations", scanner, nil)
}

// TestOIDCProvider runs the gateway against a real OpenID provider
// (zitadel/oidc's op) started on a loopback TLS port: the gateway
// discovers its keys and accepts the tokens it signs for this audience,
// scoped by their claims, and refuses other issuers, other audiences,
// expired and over-long tokens.
func TestOIDCProvider(t *testing.T) {
	e := newEnv(t)
	e.event("oidc_a")
	e.event("oidc_b")
	idp := oidctest.Start(t, jose.RS256)
	oidcConfig := func(c *checkout.Config) {
		c.OIDC = []checkout.OIDCIssuer{{IssuerURL: idp.Issuer, Audience: gatewayAudience, HTTPClient: idp.Client}}
	}
	g := e.gateway(oidcConfig)
	token := func(subject string, claims map[string]any) string {
		return idp.Token(t, oidctest.Identity{Subject: subject, Audience: []string{gatewayAudience}, Claims: claims})
	}
	fan := token("oidc-fan", nil) // no role claim: a fan
	org := token("oidc-org", map[string]any{"role": "organizer", "events": []string{"oidc_a"}})
	scanner := token("oidc-scan", map[string]any{"role": "scanner", "events": []string{"oidc_a"}})

	ticketA := buyTicket(t, g, fan, "oidc_a")
	ticketB := buyTicket(t, g, fan, "oidc_b")
	if ticketA["owner"] != "oidc-fan" {
		t.Fatalf("the token's subject is not the fan id: %v", ticketA)
	}
	queue := map[string]any{"on_sale_at": e.clock.now().Add(time.Hour).Format(time.RFC3339), "admit_per_second": 10}
	checkOrganizerAndScannerScope(t, g, org, scanner, fan, queue, ticketA, ticketB, "oidc_a", "oidc_b")

	t.Run("refused tokens", func(t *testing.T) {
		other := oidctest.Start(t, jose.RS256)
		fromOther := other.Token(t, oidctest.Identity{Subject: "oidc-fan", Audience: []string{gatewayAudience}})
		refused(t, g.do("GET", "/v1/events", fromOther, nil), 401, "unauthenticated")
		wrongAudience := idp.Token(t, oidctest.Identity{Subject: "oidc-fan", Audience: []string{"another-app"}})
		refused(t, g.do("GET", "/v1/events", wrongAudience, nil), 401, "unauthenticated")
		overLong := idp.Token(t, oidctest.Identity{Subject: "oidc-fan", Audience: []string{gatewayAudience}, Lifetime: 48 * time.Hour})
		r := g.do("GET", "/v1/events", overLong, nil)
		refused(t, r, 401, "unauthenticated")
		if detail := str(r.json(t), "detail"); !strings.Contains(detail, "exp - iat") {
			t.Fatalf("over-long token: %q", detail)
		}
		unknownRole := token("oidc-x", map[string]any{"role": "superuser"})
		refused(t, g.do("GET", "/v1/events", unknownRole, nil), 401, "unauthenticated")
		// A token the gateway accepts now is refused once it has expired.
		shortLived := idp.Token(t, oidctest.Identity{Subject: "oidc-fan", Audience: []string{gatewayAudience}, Lifetime: time.Minute})
		g.must(200, "GET", "/v1/events", shortLived, nil)
		e.clock.advance(2 * time.Minute)
		r = g.do("GET", "/v1/events", shortLived, nil)
		refused(t, r, 401, "unauthenticated")
		if detail := str(r.json(t), "detail"); detail != "the token has expired" {
			t.Fatalf("expired token: %q", detail)
		}
	})

	t.Run("second factor", func(t *testing.T) {
		mfa := e.gateway(oidcConfig, func(c *checkout.Config) { c.RequireMFA = true })
		refused(t, mfa.do("PUT", "/v1/events/oidc_a/waiting-room", org, queue), 403, "second-factor-required")
		withOTP := token("oidc-org", map[string]any{"role": "organizer", "events": []string{"oidc_a"}, "amr": []string{"pwd", "mfa"}})
		mfa.must(200, "PUT", "/v1/events/oidc_a/waiting-room", withOTP, queue)
		adminPassword := token("oidc-admin", map[string]any{"role": "admin", "amr": []string{"pwd"}})
		refused(t, mfa.do("GET", "/v1/events", adminPassword, nil), 403, "second-factor-required")
		// Fans and scanners need none.
		mfa.must(200, "GET", "/v1/events", fan, nil)
		mfa.must(200, "GET", "/v1/events/oidc_a/revocations", scanner, nil)
	})

	t.Run("groups map to roles", func(t *testing.T) {
		grouped := e.gateway(func(c *checkout.Config) {
			c.OIDC = []checkout.OIDCIssuer{{IssuerURL: idp.Issuer, Audience: gatewayAudience, HTTPClient: idp.Client,
				RoleClaim: "groups", EventsClaim: "shows", GroupRoles: map[string]checkout.Role{"box-office-staff": checkout.RoleOrganizer}}}
		})
		staff := token("oidc-staff", map[string]any{"groups": []string{"everyone", "box-office-staff"}, "shows": []string{"oidc_a"}})
		grouped.must(200, "PUT", "/v1/events/oidc_a/waiting-room", staff, queue)
		refused(t, grouped.do("PUT", "/v1/events/oidc_b/waiting-room", staff, queue), 403, "event-out-of-scope")
	})
}

// TestOIDCSigningAlgorithms: one gateway trusts an ES256 and an EdDSA
// provider at once (each subject prefixed, so the two cannot name the
// same fan), and HS256 tokens keep working beside them.
func TestOIDCSigningAlgorithms(t *testing.T) {
	e := newEnv(t)
	es, ed := oidctest.Start(t, jose.ES256), oidctest.Start(t, jose.EdDSA)
	g := e.gateway(func(c *checkout.Config) {
		c.OIDC = []checkout.OIDCIssuer{
			{IssuerURL: es.Issuer, Audience: gatewayAudience, HTTPClient: es.Client, SubjectPrefix: "es:"},
			{IssuerURL: ed.Issuer, Audience: gatewayAudience, HTTPClient: ed.Client, SubjectPrefix: "ed:"},
		}
	})
	for _, idp := range []*oidctest.Provider{es, ed} {
		g.must(200, "GET", "/v1/events", idp.Token(t, oidctest.Identity{Subject: "fan-1", Audience: []string{gatewayAudience}}), nil)
	}
	g.must(200, "GET", "/v1/events", g.login("fan-hs256", "fan"), nil)
}

// TestOIDCProviderUnreachable: tokens naming a provider that cannot be
// reached are answered 503 (retry), not accepted and not blamed on the
// caller; HS256 tokens keep working.
func TestOIDCProviderUnreachable(t *testing.T) {
	e := newEnv(t)
	down := "https://127.0.0.1:1"
	g := e.gateway(func(c *checkout.Config) {
		c.OIDC = []checkout.OIDCIssuer{{IssuerURL: down, Audience: gatewayAudience}}
	})
	now := time.Now()
	claimsOfDown := jwt.MapClaims{"iss": down, "aud": gatewayAudience, "sub": "fan-x", "iat": now.Unix(), "exp": now.Add(time.Minute).Unix()}
	r := g.do("GET", "/v1/events", hs256(t, claimsOfDown), nil)
	if r.status != 503 || r.header.Get("Retry-After") == "" {
		t.Fatalf("provider down: %d %v %s", r.status, r.header, r.body)
	}
	g.must(200, "GET", "/v1/events", g.login("fan-hs", "fan"), nil)
	untrusted := jwt.MapClaims{"iss": "https://evil.example", "aud": gatewayAudience, "sub": "fan-x", "iat": now.Unix(), "exp": now.Add(time.Minute).Unix()}
	refused(t, g.do("GET", "/v1/events", hs256(t, untrusted), nil), 401, "unauthenticated")
}

// TestOIDCConfigValidate: Validate names the field of an unusable
// identity provider setting.
func TestOIDCConfigValidate(t *testing.T) {
	_, key, _ := ed25519.GenerateKey(nil)
	valid := checkout.Config{Inventory: (*client.Client)(nil), Store: memstore.New(), Payments: checkout.NewFakePayments("x"), JWTSecret: testSecret, TicketKey: key,
		RecordKeys: checkout.NewKeyRing(testRecordKey), ScanSecret: testScanSecret}
	for name, issuers := range map[string][]checkout.OIDCIssuer{
		"plain http to a remote host": {{IssuerURL: "http://idp.example", Audience: "a"}},
		"no audience":                 {{IssuerURL: "https://idp.example"}},
		"unknown role in GroupRoles":  {{IssuerURL: "https://idp.example", Audience: "a", GroupRoles: map[string]checkout.Role{"g": "root"}}},
		"two issuers without prefixes": {
			{IssuerURL: "https://a.example", Audience: "a"}, {IssuerURL: "https://b.example", Audience: "a"}},
		"a brace in a prefix": {{IssuerURL: "https://idp.example", Audience: "a", SubjectPrefix: "{idp}:"}},
		"the same issuer twice": {
			{IssuerURL: "https://a.example", Audience: "a", SubjectPrefix: "a:"}, {IssuerURL: "https://a.example", Audience: "a", SubjectPrefix: "b:"}},
	} {
		cfg := valid
		cfg.OIDC = issuers
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "OIDC[") {
			t.Errorf("%s: %v", name, err)
		}
	}
	cfg := valid
	cfg.OIDC = []checkout.OIDCIssuer{{IssuerURL: "http://127.0.0.1:5556", Audience: "a"}}
	cfg.TokenLifetimeMax = 10 * 365 * 24 * time.Hour
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "TokenLifetimeMax") {
		t.Errorf("a 10-year cap: %v", err)
	}
	cfg.TokenLifetimeMax = 0
	if err := cfg.Validate(); err != nil {
		t.Errorf("loopback http issuer: %v", err)
	}
}

// TestOIDCForgedTokensDoNotFloodTheProvider: tokens naming the provider's
// issuer but signed with another key are refused 401 without a JWKS fetch
// each (go-oidc's RemoteKeySet fetched once per such token).
func TestOIDCForgedTokensDoNotFloodTheProvider(t *testing.T) {
	e := newEnv(t)
	idp := oidctest.Start(t, jose.RS256)
	g := e.gateway(func(c *checkout.Config) {
		c.OIDC = []checkout.OIDCIssuer{{IssuerURL: idp.Issuer, Audience: gatewayAudience, HTTPClient: idp.Client}}
	})
	g.must(200, "GET", "/v1/events", idp.Token(t, oidctest.Identity{Subject: "fan-1", Audience: []string{gatewayAudience}}), nil)
	fetched := idp.KeysFetched()
	attackerKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for i := range 20 {
		forged := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{"iss": idp.Issuer, "aud": gatewayAudience, "sub": "fan-1",
			"role": "admin", "iat": now.Unix(), "exp": now.Add(time.Minute).Unix()})
		forged.Header["kid"] = fmt.Sprint("kid-", i)
		raw, err := forged.SignedString(attackerKey)
		if err != nil {
			t.Fatal(err)
		}
		refused(t, g.do("GET", "/v1/events", raw, nil), 401, "unauthenticated")
	}
	if extra := idp.KeysFetched() - fetched; extra > 1 {
		t.Fatalf("20 forged tokens made the gateway fetch the JWKS %d times", extra)
	}
	g.must(200, "GET", "/v1/events", idp.Token(t, oidctest.Identity{Subject: "fan-2", Audience: []string{gatewayAudience}}), nil)
}
