package checkout

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// tokenTestGateway is the part of a gateway authenticate uses: the
// shared secret, a clock the test moves, and a verified-token cache of
// max entries.
func tokenTestGateway(t *testing.T, max int) (*Gateway, *atomic.Int64) {
	t.Helper()
	var offset atomic.Int64
	base := time.Unix(1_800_000_000, 0)
	now := func() time.Time { return base.Add(time.Duration(offset.Load())) }
	g := &Gateway{cfg: Config{JWTSecret: []byte("0123456789abcdef0123456789abcdef"), TokenLifetimeMax: 24 * time.Hour, Now: now},
		tokens: newTokenCache(max, verifiedTokenBytesMax)}
	return g, &offset
}

func signedBearer(t *testing.T, secret []byte, sub string, iat time.Time, ttl time.Duration) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, bearerClaims{Role: RoleScanner, Events: []string{"ev1"}, RegisteredClaims: jwt.RegisteredClaims{
		Issuer: tokenIssuer, Subject: sub, Audience: jwt.ClaimStrings{bearerAudience},
		IssuedAt: jwt.NewNumericDate(iat), ExpiresAt: jwt.NewNumericDate(iat.Add(ttl)),
	}}).SignedString(secret)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func bearerRequest(tok string) *http.Request {
	r := httptest.NewRequest("GET", "/v1/events", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	return r
}

// TestTokenCacheHonoursExpAndSignature: a verified token is remembered
// under its SHA-256 (not its text) with what it says; the entry answers
// until exp by the gateway's clock and not after it (nor before the moment
// it verified), and a token with the same claims signed with another
// secret misses the entry and is refused.
func TestTokenCacheHonoursExpAndSignature(t *testing.T) {
	g, offset := tokenTestGateway(t, 10)
	tok := signedBearer(t, g.cfg.JWTSecret, "scan-1", g.now(), time.Minute)
	b, err := g.authenticate(bearerRequest(tok))
	if err != nil || b.subject != "scan-1" || b.role != RoleScanner || len(b.events) != 1 {
		t.Fatalf("first use: %+v %v", b, err)
	}
	sum := sha256.Sum256([]byte(tok))
	if _, ok := g.tokens.entries[sum]; !ok || len(g.tokens.entries) != 1 {
		t.Fatalf("the verified token is not cached under its SHA-256: %d entries", len(g.tokens.entries))
	}
	if b, ok := g.tokens.lookup(sum, g.now(), g.keyGeneration()); !ok || b.subject != "scan-1" || b.events[0] != "ev1" {
		t.Fatalf("no hit for the cached token: %+v", b)
	}

	forged := signedBearer(t, []byte("another secret, same claims, 32b"), "scan-1", g.now(), time.Minute)
	if forged == tok {
		t.Fatal("the forged token equals the genuine one")
	}
	if _, err := g.authenticate(bearerRequest(forged)); err == nil {
		t.Fatal("a token signed with another secret is accepted while its claims' twin is cached")
	}

	// Before the moment it verified (a clock set back) the entry does
	// not answer; the token is verified again (and passes).
	if _, ok := g.tokens.lookup(sum, g.now().Add(-time.Second), g.keyGeneration()); ok {
		t.Fatal("an entry answers before the moment its token verified")
	}

	// At exp the entry no longer answers, though the full check's leeway
	// would still pass the token; past the leeway it is refused.
	offset.Store(int64(time.Minute))
	if _, ok := g.tokens.lookup(sum, g.now(), g.keyGeneration()); ok {
		t.Fatal("a cached token answers at its exp")
	}
	offset.Store(int64(time.Minute + tokenLeeway + time.Second))
	if _, err := g.authenticate(bearerRequest(tok)); err == nil {
		t.Fatal("a cached token past its exp is accepted")
	}
	if len(g.tokens.entries) != 0 {
		t.Fatalf("the expired entry is kept: %d entries", len(g.tokens.entries))
	}
}

// TestTokenCacheBounded: many distinct valid tokens keep the cache within
// its bound of entries, and claims' bytes within their bound; the last
// token is cached.
func TestTokenCacheBounded(t *testing.T) {
	g, _ := tokenTestGateway(t, 50)
	var last string
	for i := range 500 {
		last = signedBearer(t, g.cfg.JWTSecret, fmt.Sprintf("scan-%d", i), g.now(), time.Hour)
		if _, err := g.authenticate(bearerRequest(last)); err != nil {
			t.Fatal(err)
		}
		if n := len(g.tokens.entries); n > 50 {
			t.Fatalf("%d entries after %d tokens, bound 50", n, i+1)
		}
	}
	if _, ok := g.tokens.entries[sha256.Sum256([]byte(last))]; !ok {
		t.Fatal("the newest token is not cached")
	}

	c := newTokenCache(1000, 2000)
	big := bearer{subject: "s", events: make([]string, 10), expiresAt: time.Unix(2_000_000_000, 0)}
	for i := range 100 {
		c.add(sha256.Sum256(fmt.Appendf(nil, "t%d", i)), big, time.Unix(1, 0), 0)
		total := 0
		for _, e := range c.entries {
			total += e.size
		}
		if c.bytes > 2000 || total != c.bytes {
			t.Fatalf("after %d adds: %d bytes counted, %d held, bound 2000", i+1, c.bytes, total)
		}
	}
}

// TestTokenCacheKeyRotation: an entry answers only under the key
// generation it verified with, and a refetch of an identity provider's
// key set moves the gateway's generation.
func TestTokenCacheKeyRotation(t *testing.T) {
	jwks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"keys":[]}`))
	}))
	defer jwks.Close()
	v := newOIDCVerifier(OIDCIssuer{IssuerURL: jwks.URL, Audience: "app"}, time.Now)
	keys := &keySet{url: jwks.URL, client: jwks.Client()}
	v.keys.Store(keys)
	g := &Gateway{oidc: []*oidcVerifier{v}, tokens: newTokenCache(10, verifiedTokenBytesMax)}

	now := time.Unix(1_800_000_000, 0)
	sum := sha256.Sum256([]byte("a token"))
	gen := g.keyGeneration()
	g.tokens.add(sum, bearer{subject: "fan", role: RoleFan, expiresAt: now.Add(time.Hour)}, now, gen)
	if _, ok := g.tokens.lookup(sum, now, g.keyGeneration()); !ok {
		t.Fatal("no hit under the same key set")
	}
	if _, err := keys.refetch(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if g.keyGeneration() == gen {
		t.Fatal("a refetch of the key set leaves the generation unchanged")
	}
	if _, ok := g.tokens.lookup(sum, now, g.keyGeneration()); ok {
		t.Fatal("an entry verified under the previous key set answers")
	}
}

// TestTokenCacheConcurrent: requests on many goroutines over more tokens
// than the cache holds each get their own token's subject, and the cache
// stays within its bound (run with -race).
func TestTokenCacheConcurrent(t *testing.T) {
	g, _ := tokenTestGateway(t, 20)
	toks := make([]string, 100)
	for i := range toks {
		toks[i] = signedBearer(t, g.cfg.JWTSecret, fmt.Sprintf("scan-%d", i), g.now(), time.Hour)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for w := range 4 {
		wg.Go(func() {
			for i := range 300 {
				n := (i*7 + w*13) % len(toks)
				b, err := g.authenticate(bearerRequest(toks[n]))
				if err != nil || b.subject != fmt.Sprintf("scan-%d", n) {
					errs <- fmt.Errorf("token %d: %+v %v", n, b, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := len(g.tokens.entries); n > 20 {
		t.Fatalf("%d entries, bound 20", n)
	}
}
