package checkout

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Bearer tokens come from two kinds of issuer, told apart by the token's
// iss claim:
//
//   - the gateway itself: HS256 JWTs signed with the shared JWTSecret, iss
//     "boxoffice-gateway", aud "api" (IssueToken: the demo's POST
//     /v1/dev/login and service tokens);
//   - each identity provider of Config.OIDC: JWTs it signed, verified with
//     its discovered keys (oidc.go).
//
// Whatever the issuer, a token must carry iat and exp, must not live
// longer than Config.TokenLifetimeMax (exp - iat), and names a subject (a
// valid id), a role (claim "role") and, for organizers and scanners, the
// events they may act on (claim "events": event ids, "*" for all; an
// organizer or scanner without it may act on none). Admins act on every
// event. With Config.RequireMFA an organizer's or admin's token must show a
// second factor (amr or acr). Every refusal of a token is 401 with a
// WWW-Authenticate challenge; a refusal of a valid token is 403.
//
// Admission tokens (waiting room) are HS256 JWTs too, with audience
// "admission", sub the fan and evt the event, short-lived. Using a separate
// audience keeps one kind of token from being accepted as the other.
const (
	tokenIssuer       = "boxoffice-gateway"
	admissionAudience = "admission"
	bearerAudience    = "api"
	devTokenTTL       = 12 * time.Hour
	// tokenBytesMax bounds a bearer token before any parsing.
	tokenBytesMax = 8 << 10
	// tokenLeeway absorbs clock skew between the token's issuer and us.
	tokenLeeway = 5 * time.Second
	// allEvents in an events claim: every event.
	allEvents = "*"
)

// secondFactorAMR are the amr values (RFC 8176) that show a second factor.
var secondFactorAMR = []string{"mfa", "otp", "hwk", "swk"}

type bearerClaims struct {
	Role   Role     `json:"role"`
	Events []string `json:"events,omitempty"`
	AMR    []string `json:"amr,omitempty"`
	jwt.RegisteredClaims
}

type admissionClaims struct {
	Event string `json:"evt"`
	jwt.RegisteredClaims
}

// bearer is what a verified bearer token says about its holder.
type bearer struct {
	subject             string
	role                Role
	events              []string
	amr                 []string
	acr                 string
	issuedAt, expiresAt time.Time
}

func knownRole(r Role) bool {
	return r == RoleFan || r == RoleOrganizer || r == RoleScanner || r == RoleAdmin
}

// invalidToken is the refusal of a bearer token; detail says why in words
// of this API, never a library's.
func invalidToken(detail string) error { return problem(ErrUnauthenticated, detail) }

func (g *Gateway) parser(audience string) *jwt.Parser {
	return jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithAudience(audience), jwt.WithIssuer(tokenIssuer),
		jwt.WithExpirationRequired(), jwt.WithTimeFunc(g.now), jwt.WithLeeway(tokenLeeway))
}

func (g *Gateway) keyFunc(*jwt.Token) (any, error) { return g.cfg.JWTSecret, nil }

// jwtReason says why golang-jwt refused a token.
func jwtReason(err error) string {
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return "the token is not a JWT"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid), errors.Is(err, jwt.ErrTokenUnverifiable):
		return "the token's signature does not verify"
	case errors.Is(err, jwt.ErrTokenExpired):
		return "the token has expired"
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return "the token is not valid yet"
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return "the token was issued for another audience"
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return "the token lacks a required claim (exp)"
	}
	return "the token is not valid"
}

// authorize authenticates the caller of a route with roles, checks the
// role, the second factor and, for routes of one event, the event scope,
// and records the caller in c.
func (g *Gateway) authorize(c *call, rt *route) error {
	b, err := g.authenticate(c.r)
	if err != nil {
		return err
	}
	if b.role != RoleAdmin && !slices.Contains(rt.roles, b.role) {
		return problem(ErrForbidden, fmt.Sprintf("role %q may not call %s %s", echo(string(b.role)), rt.method, rt.pattern))
	}
	if g.cfg.RequireMFA && (b.role == RoleOrganizer || b.role == RoleAdmin) && !g.secondFactor(b) {
		return problem(ErrSecondFactorRequired, fmt.Sprintf("an %s must sign in with a second factor: the token's amr must include one of %s%s",
			b.role, strings.Join(secondFactorAMR, ", "), g.acrHint()))
	}
	c.subject, c.role, c.events = b.subject, b.role, b.events
	if rt.eventScoped {
		return c.inEventScope(c.r.PathValue("event"))
	}
	return nil
}

func (g *Gateway) secondFactor(b bearer) bool {
	for _, m := range b.amr {
		if slices.Contains(secondFactorAMR, m) {
			return true
		}
	}
	return b.acr != "" && slices.Contains(g.cfg.MFAACRValues, b.acr)
}

func (g *Gateway) acrHint() string {
	if len(g.cfg.MFAACRValues) == 0 {
		return ""
	}
	return ", or its acr be one of " + strings.Join(g.cfg.MFAACRValues, ", ")
}

// inEventScope refuses an organizer or scanner acting on an event their
// token does not name. Other roles pass: a fan's routes check ownership,
// an admin acts on every event.
func (c *call) inEventScope(event string) error {
	if c.role != RoleOrganizer && c.role != RoleScanner {
		return nil
	}
	for _, e := range c.events {
		if e == allEvents || e == event {
			return nil
		}
	}
	if len(event) > 128 {
		event = event[:128] + "…"
	}
	return problem(ErrEventOutOfScope, fmt.Sprintf("this %s's token does not name event %q in its events claim", c.role, event), "event_id", event)
}

// authenticate verifies the bearer token of r and applies the rules every
// token follows, whatever its issuer.
func (g *Gateway) authenticate(r *http.Request) (bearer, error) {
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || raw == "" {
		return bearer{}, problem(ErrUnauthenticated, "send Authorization: Bearer <token>")
	}
	if len(raw) > tokenBytesMax {
		return bearer{}, invalidToken(fmt.Sprintf("the token is longer than %d bytes", tokenBytesMax))
	}
	sum := sha256.Sum256([]byte(raw))
	gen := g.keyGeneration()
	if b, ok := g.tokens.lookup(sum, g.now(), gen); ok {
		return b, nil
	}
	b, err := g.verifyBearer(r.Context(), raw)
	if err != nil {
		return b, err
	}
	now := g.now()
	switch lifetime := b.expiresAt.Sub(b.issuedAt); {
	case b.issuedAt.IsZero() || b.expiresAt.IsZero():
		return bearer{}, invalidToken("the token must carry iat and exp")
	case b.issuedAt.After(now.Add(tokenLeeway)):
		return bearer{}, invalidToken("the token is issued in the future (iat)")
	case lifetime > g.cfg.TokenLifetimeMax:
		return bearer{}, invalidToken(fmt.Sprintf("the token lives %v (exp - iat); this gateway accepts at most %v", lifetime, g.cfg.TokenLifetimeMax))
	case !knownRole(b.role):
		return bearer{}, invalidToken("the token names no role of this API (fan, organizer, scanner, admin)")
	}
	if err := validSubject(b.subject); err != nil {
		return bearer{}, invalidToken("the token's subject is not a valid id (1..128 bytes without '/', '{', '}', spaces or NUL)")
	}
	for _, e := range b.events {
		if e != allEvents && validID("event", e) != nil {
			return bearer{}, invalidToken("the token's events claim holds an invalid event id")
		}
	}
	g.tokens.add(sum, b, now, gen)
	return b, nil
}

// Verified bearer tokens are remembered, so that a caller's next request
// skips the signature check and the claims' parsing (most of a cheap
// request's CPU). The cache is keyed by the SHA-256 of the whole token,
// never its text: a token differing in any byte, a forged signature over
// the same claims included, is a miss and is verified in full. An entry is
// honoured only while the gateway's clock is at or after the moment the
// token verified and before its exp (so without tokenLeeway: a token near
// its end is verified again, and refused as before), and only under the
// key sets it verified with: a refetch of any identity provider's keys
// (oidc.go) ends every entry. JWTSecret does not change while a gateway
// runs. Tokens are not revocable (there is no logout or deny list): an
// entry is no weaker than the token it stands for.
const (
	// verifiedTokensMax bounds the cache's entries.
	verifiedTokensMax = 100_000
	// verifiedTokenBytesMax bounds the claims the entries hold (a token
	// may carry up to tokenBytesMax of event ids).
	verifiedTokenBytesMax = 64 << 20
)

// tokenCache holds verified bearer tokens, at most max of them and
// bytesMax of their claims; when full it evicts entries at random (map
// order). The bearer a lookup returns shares its slices with the entry:
// read only.
type tokenCache struct {
	max, bytesMax int

	mu      sync.RWMutex
	entries map[[sha256.Size]byte]verifiedToken
	bytes   int // sum of the entries' size
}

type verifiedToken struct {
	b          bearer
	verifiedAt time.Time // the gateway's clock when the token verified
	gen        uint64    // Gateway.keyGeneration when the token verified
	size       int       // approximate bytes held, for bytesMax
}

func newTokenCache(max, bytesMax int) *tokenCache {
	return &tokenCache{max: max, bytesMax: bytesMax, entries: map[[sha256.Size]byte]verifiedToken{}}
}

// lookup returns the bearer of the token whose SHA-256 is sum if it
// verified under key generation gen and now lies in [verifiedAt, exp). An
// entry past its exp or of another generation is dropped.
func (c *tokenCache) lookup(sum [sha256.Size]byte, now time.Time, gen uint64) (bearer, bool) {
	c.mu.RLock()
	e, ok := c.entries[sum]
	c.mu.RUnlock()
	if !ok {
		return bearer{}, false
	}
	if e.gen == gen && !now.Before(e.verifiedAt) && now.Before(e.b.expiresAt) {
		return e.b, true
	}
	if e.gen != gen || !now.Before(e.b.expiresAt) {
		c.mu.Lock()
		if cur, ok := c.entries[sum]; ok && cur.gen == e.gen && cur.verifiedAt.Equal(e.verifiedAt) {
			c.remove(sum, cur)
		}
		c.mu.Unlock()
	}
	return bearer{}, false
}

// add remembers b, verified at now under key generation gen, evicting
// entries at random while the cache is over either bound.
func (c *tokenCache) add(sum [sha256.Size]byte, b bearer, now time.Time, gen uint64) {
	size := 128 + len(b.subject) + len(b.acr)
	for _, s := range b.events {
		size += 16 + len(s)
	}
	for _, s := range b.amr {
		size += 16 + len(s)
	}
	if size > c.bytesMax || c.max <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.entries[sum]; ok {
		c.remove(sum, old)
	}
	for k, e := range c.entries {
		if len(c.entries) < c.max && c.bytes+size <= c.bytesMax {
			break
		}
		c.remove(k, e)
	}
	c.entries[sum] = verifiedToken{b: b, verifiedAt: now, gen: gen, size: size}
	c.bytes += size
}

// remove drops entry e of sum; c.mu is held.
func (c *tokenCache) remove(sum [sha256.Size]byte, e verifiedToken) {
	delete(c.entries, sum)
	c.bytes -= e.size
}

// keyGeneration changes whenever an identity provider's key set is
// fetched again: the sum of the issuers' counts of fetches, each only
// growing. Read it before verifying a token, so that a refetch during the
// verification leaves the token's entry already stale.
func (g *Gateway) keyGeneration() uint64 {
	var gen uint64
	for _, v := range g.oidc {
		gen += v.keysFetched()
	}
	return gen
}

// verifyBearer checks raw with the key of the issuer it names.
func (g *Gateway) verifyBearer(ctx context.Context, raw string) (bearer, error) {
	if len(g.oidc) > 0 {
		// The unverified iss only chooses the key: the chosen verifier
		// checks the signature and the issuer again.
		var peek jwt.RegisteredClaims
		if _, _, err := jwt.NewParser().ParseUnverified(raw, &peek); err != nil {
			return bearer{}, invalidToken("the token is not a JWT")
		}
		if peek.Issuer != tokenIssuer {
			for _, v := range g.oidc {
				if v.cfg.IssuerURL == peek.Issuer {
					return v.verify(ctx, raw)
				}
			}
			return bearer{}, invalidToken("the token's issuer is not trusted by this gateway")
		}
	}
	var claims bearerClaims
	if _, err := g.parser(bearerAudience).ParseWithClaims(raw, &claims, g.keyFunc); err != nil {
		return bearer{}, invalidToken(jwtReason(err))
	}
	b := bearer{subject: claims.Subject, role: claims.Role, events: claims.Events, amr: claims.AMR}
	if claims.IssuedAt != nil {
		b.issuedAt = claims.IssuedAt.Time
	}
	if claims.ExpiresAt != nil {
		b.expiresAt = claims.ExpiresAt.Time
	}
	return b, nil
}

// bearerChallenge sets the RFC 6750 challenge of a 401: invalid_token
// when the request sent a token.
func bearerChallenge(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="boxoffice"`)
		return
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="boxoffice", error="invalid_token"`)
}

// BearerToken describes a token for IssueToken.
type BearerToken struct {
	Subject string
	Role    Role
	// Events an organizer or scanner may act on ("*": all).
	Events []string
	// AMR lists how the holder authenticated (RFC 8176), e.g. "mfa".
	AMR []string
	// TTL is the token's lifetime, at most Config.TokenLifetimeMax.
	TTL time.Duration
}

// IssueToken mints an HS256 bearer token (service tokens, the demo login).
func (g *Gateway) IssueToken(t BearerToken) (string, error) {
	if t.TTL <= 0 || t.TTL > g.cfg.TokenLifetimeMax {
		return "", fmt.Errorf("token lifetime %v outside (0, %v]", t.TTL, g.cfg.TokenLifetimeMax)
	}
	now := g.now()
	return jwt.NewWithClaims(jwt.SigningMethodHS256, bearerClaims{Role: t.Role, Events: t.Events, AMR: t.AMR, RegisteredClaims: jwt.RegisteredClaims{
		Issuer: tokenIssuer, Subject: t.Subject, Audience: jwt.ClaimStrings{bearerAudience},
		IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(t.TTL)),
	}}).SignedString(g.cfg.JWTSecret)
}

func (g *Gateway) issueAdmission(fan, event string) (string, time.Time, error) {
	now := g.now()
	exp := now.Add(g.cfg.AdmissionTokenTTL)
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, admissionClaims{Event: event, RegisteredClaims: jwt.RegisteredClaims{
		Issuer: tokenIssuer, Subject: fan, Audience: jwt.ClaimStrings{admissionAudience},
		IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(exp),
	}}).SignedString(g.cfg.JWTSecret)
	return tok, exp, err
}

// checkAdmission verifies an admission token for fan and event.
func (g *Gateway) checkAdmission(raw, fan, event string) error {
	if raw == "" {
		return problem(ErrNotAdmitted, "event "+event+" is in queue mode: send X-Admission-Token from the waiting room")
	}
	var claims admissionClaims
	if _, err := g.parser(admissionAudience).ParseWithClaims(raw, &claims, g.keyFunc); err != nil {
		return problem(ErrNotAdmitted, "admission token: "+jwtReason(err))
	}
	if claims.Subject != fan || claims.Event != event {
		return problem(ErrNotAdmitted, "admission token was issued to another fan or event")
	}
	return nil
}

type devLoginRequest struct {
	Subject string `json:"subject"`
	Role    Role   `json:"role"`
	// Events an organizer or scanner may act on; default ["*"] (all) in
	// the demo.
	Events []string `json:"events,omitempty"`
	// AMR: how the holder "authenticated" (e.g. ["mfa"] to pass
	// RequireMFA).
	AMR []string `json:"amr,omitempty"`
}

type tokenResponse struct {
	Token     string    `json:"token"`
	Subject   string    `json:"subject"`
	Role      Role      `json:"role"`
	Events    []string  `json:"events,omitempty"`
	ExpiresAt time.Time `json:"expires_at"`
}

// validSubject refuses a fan or staff id that is not a valid id or holds
// '{' or '}': a subject is the placement tag of its records (fanTag), which
// a brace would end early or split.
func validSubject(id string) error {
	if err := validID("subject", id); err != nil {
		return err
	}
	if strings.ContainsAny(id, "{}") {
		return problem(ErrInvalid, fmt.Sprintf("subject %q: '{' and '}' are not allowed", echo(id)))
	}
	return nil
}

// devLogin mints a token for any subject and role: demo mode only.
func (g *Gateway) devLogin(c *call) (int, any, error) {
	var req devLoginRequest
	if err := c.decode(&req); err != nil {
		return 0, nil, err
	}
	if req.Role == "" {
		req.Role = RoleFan
	}
	if !knownRole(req.Role) {
		return 0, nil, problem(ErrInvalid, fmt.Sprintf("role %q: want fan, organizer, scanner or admin", req.Role))
	}
	if err := validSubject(req.Subject); err != nil {
		return 0, nil, err
	}
	if len(req.Events) > 100 || len(req.AMR) > 10 {
		return 0, nil, problem(ErrInvalid, "at most 100 events and 10 amr values")
	}
	for _, e := range req.Events {
		if e != allEvents {
			if err := validID("event", e); err != nil {
				return 0, nil, err
			}
		}
	}
	if req.Events == nil && (req.Role == RoleOrganizer || req.Role == RoleScanner) {
		req.Events = []string{allEvents}
	}
	// The Idempotency-Key's claim and the fan's record are written at once.
	// A claim refused (the key names another request) may leave the fan
	// record written: it says only that the subject signed in once.
	steps := []func() error{}
	if claim := c.claimOps(); claim != nil {
		steps = append(steps, func() error {
			_, err := g.cfg.Store.Batch(c.ctx, "", claim)
			return c.claimRefusal(err, len(claim))
		})
	}
	if req.Role == RoleFan {
		steps = append(steps, func() error { return g.rememberFan(c.ctx, req.Subject) })
	}
	if len(steps) > 0 {
		if err := inParallel(steps...); err != nil {
			return 0, nil, err
		}
	}
	ttl := min(devTokenTTL, g.cfg.TokenLifetimeMax)
	tok, err := g.IssueToken(BearerToken{Subject: req.Subject, Role: req.Role, Events: req.Events, AMR: req.AMR, TTL: ttl})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, tokenResponse{Token: tok, Subject: req.Subject, Role: req.Role, Events: req.Events, ExpiresAt: g.now().Add(ttl).UTC()}, nil
}
