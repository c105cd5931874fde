package checkout

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
)

// Tokens from an OpenID Connect identity provider. The gateway discovers
// the provider's keys (/.well-known/openid-configuration, then jwks_uri)
// with github.com/coreos/go-oidc and accepts a JWT it signed (RS256, ES256
// or EdDSA) whose iss is the configured issuer, whose aud names the
// configured audience (the client id the apps log in with), and which has
// not expired; then the common rules of auth.go apply (iat and exp
// present, lifetime capped, subject a valid id). ID tokens and JWT access
// tokens both qualify.
//
// Discovery happens on the first token that names the issuer, not in New,
// so a gateway starts (and serves HS256 tokens) while its identity
// provider is unreachable; a failed discovery is retried at most every
// oidcDiscoveryRetry, and tokens of that issuer meanwhile get 503.
//
// The keys are held by keySet rather than go-oidc's RemoteKeySet, which
// fetches the JWKS again for every token its cached keys do not verify:
// a flood of forged tokens naming the issuer would become a flood of
// requests to the provider. keySet fetches at most once per
// jwksRefetchMin; a key the provider rotates in is picked up by the first
// token signed with it after that.
const (
	oidcDiscoveryTimeout = 10 * time.Second
	oidcDiscoveryRetry   = 5 * time.Second
	jwksRefetchMin       = 30 * time.Second
	jwksBytesMax         = 1 << 20
	// oidcEventsMax bounds the events claim a token may carry.
	oidcEventsMax = 1000
)

// Defaults of OIDCIssuer.
const (
	RoleClaimDefault   = "role"
	EventsClaimDefault = "events"
)

// OIDCIssuer is one identity provider whose tokens the gateway accepts.
type OIDCIssuer struct {
	// IssuerURL is the provider's issuer (the iss of its tokens), from
	// which discovery reads /.well-known/openid-configuration. https, or
	// http to a loopback address only. Required.
	IssuerURL string
	// Audience is the value the token's aud must contain: the client id
	// the apps are registered with at the provider. Required.
	Audience string
	// RoleClaim names the claim that carries the caller's role (default
	// "role"): a string or an array of strings. Without GroupRoles each
	// value must be a role name (fan, organizer, scanner, admin); with
	// GroupRoles each value is looked up there (e.g. a "groups" claim).
	// Values that name no role are ignored; of several roles the most
	// powerful wins (admin, organizer, scanner, fan). A token without the
	// claim is a fan's.
	RoleClaim string
	// EventsClaim names the claim with the event ids an organizer or
	// scanner may act on (default "events"): an array of strings, "*"
	// meaning every event.
	EventsClaim string
	// GroupRoles maps values of RoleClaim (IdP group names) to roles.
	GroupRoles map[string]Role
	// SubjectPrefix is put before the token's sub to make the fan or
	// staff id, so that two providers' subjects cannot name the same
	// records. Required, and distinct, when Config.OIDC lists more than
	// one issuer; the id must still be 1..128 bytes without '/'.
	SubjectPrefix string
	// HTTPClient fetches discovery and keys (a custom CA, a proxy); give
	// it a Timeout. nil: the system roots and a 10 s timeout.
	HTTPClient *http.Client
}

// validate names the first field that cannot be used; i is the issuer's
// index in Config.OIDC.
func (o OIDCIssuer) validate(i int) error {
	u, err := url.Parse(o.IssuerURL)
	switch {
	case o.IssuerURL == "" || err != nil || u.Host == "":
		return fmt.Errorf("checkout config: OIDC[%d].IssuerURL %q is not an absolute URL", i, o.IssuerURL)
	case u.Scheme != "https" && !(u.Scheme == "http" && isLoopbackHost(u.Hostname())):
		return fmt.Errorf("checkout config: OIDC[%d].IssuerURL %q: want https (http only to a loopback address)", i, o.IssuerURL)
	case strings.ContainsAny(o.SubjectPrefix, "/\x00 {}"):
		return fmt.Errorf("checkout config: OIDC[%d].SubjectPrefix %q holds '/', '{', '}', a space or NUL", i, o.SubjectPrefix)
	case o.Audience == "":
		return fmt.Errorf("checkout config: OIDC[%d].Audience is empty: want the client id registered at %s", i, o.IssuerURL)
	}
	for group, role := range o.GroupRoles {
		if !knownRole(role) {
			return fmt.Errorf("checkout config: OIDC[%d].GroupRoles[%q] = %q: want fan, organizer, scanner or admin", i, group, role)
		}
	}
	return nil
}

func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// oidcVerifier verifies the tokens of one issuer.
type oidcVerifier struct {
	cfg OIDCIssuer
	now func() time.Time

	ready    atomic.Pointer[oidc.IDTokenVerifier] // nil until discovery succeeds
	keys     atomic.Pointer[keySet]               // ready's key set
	mu       sync.Mutex                           // one discovery at a time
	failedAt time.Time                            // last failed discovery, under mu
}

func newOIDCVerifier(cfg OIDCIssuer, now func() time.Time) *oidcVerifier {
	if cfg.RoleClaim == "" {
		cfg.RoleClaim = RoleClaimDefault
	}
	if cfg.EventsClaim == "" {
		cfg.EventsClaim = EventsClaimDefault
	}
	return &oidcVerifier{cfg: cfg, now: now}
}

// errIdPUnavailable: discovery or the key set could not be fetched.
var errIdPUnavailable = problem(ErrUnavailable, "the identity provider that issued this token cannot be reached; retry later")

// discovered returns the verifier, discovering the provider first if
// needed. One caller at a time discovers; the others wait for it.
func (v *oidcVerifier) discovered(ctx context.Context) (*oidc.IDTokenVerifier, error) {
	if verifier := v.ready.Load(); verifier != nil {
		return verifier, nil
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if verifier := v.ready.Load(); verifier != nil {
		return verifier, nil
	}
	if !v.failedAt.IsZero() && time.Since(v.failedAt) < oidcDiscoveryRetry {
		return nil, errIdPUnavailable
	}
	client := v.cfg.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: oidcDiscoveryTimeout}
	}
	dctx, cancel := context.WithTimeout(oidc.ClientContext(context.WithoutCancel(ctx), client), oidcDiscoveryTimeout)
	defer cancel()
	provider, err := oidc.NewProvider(dctx, v.cfg.IssuerURL)
	var meta struct {
		JWKSURL string `json:"jwks_uri"`
	}
	if err == nil {
		err = provider.Claims(&meta)
	}
	if err != nil || meta.JWKSURL == "" {
		v.failedAt = time.Now()
		return nil, errIdPUnavailable
	}
	// The audience is checked by verify, to say precisely what is wrong.
	keys := &keySet{url: meta.JWKSURL, client: client}
	v.keys.Store(keys)
	verifier := oidc.NewVerifier(v.cfg.IssuerURL, keys, &oidc.Config{
		SkipClientIDCheck:    true,
		SupportedSigningAlgs: []string{oidc.RS256, oidc.ES256, oidc.EdDSA},
		Now:                  v.now,
	})
	v.ready.Store(verifier)
	return verifier, nil
}

// keysFetched counts the fetches of the issuer's key set that replaced
// it: the verified-token cache (auth.go) honours an entry only under the
// count it was verified with.
func (v *oidcVerifier) keysFetched() uint64 {
	if k := v.keys.Load(); k != nil {
		return k.fetches.Load()
	}
	return 0
}

// verify checks raw's signature, issuer, audience and expiry, and reads
// its claims into a bearer.
func (v *oidcVerifier) verify(ctx context.Context, raw string) (bearer, error) {
	verifier, err := v.discovered(ctx)
	if err != nil {
		return bearer{}, err
	}
	tok, err := verifier.Verify(ctx, raw)
	if err != nil {
		var expired *oidc.TokenExpiredError
		switch {
		case errors.As(err, &expired):
			return bearer{}, invalidToken("the token has expired")
		case strings.Contains(err.Error(), errKeysUnavailable.Error()):
			return bearer{}, errIdPUnavailable
		}
		return bearer{}, invalidToken("the token's signature or claims do not verify with the keys of " + v.cfg.IssuerURL)
	}
	if !slices.Contains(tok.Audience, v.cfg.Audience) {
		return bearer{}, invalidToken("the token was issued for another audience, not " + v.cfg.Audience)
	}
	var claims map[string]any
	if err := tok.Claims(&claims); err != nil {
		return bearer{}, invalidToken("the token's claims are not a JSON object")
	}
	b := bearer{subject: v.cfg.SubjectPrefix + tok.Subject, issuedAt: tok.IssuedAt, expiresAt: tok.Expiry}
	if b.role, err = v.role(claims[v.cfg.RoleClaim]); err != nil {
		return bearer{}, err
	}
	if b.events, err = stringsClaim(v.cfg.EventsClaim, claims[v.cfg.EventsClaim], oidcEventsMax); err != nil {
		return bearer{}, err
	}
	if b.amr, err = stringsClaim("amr", claims["amr"], 20); err != nil {
		return bearer{}, err
	}
	b.acr, _ = claims["acr"].(string)
	return b, nil
}

// role maps the role claim's value to the most powerful role it names.
func (v *oidcVerifier) role(value any) (Role, error) {
	if value == nil {
		return RoleFan, nil
	}
	names, err := stringsClaim(v.cfg.RoleClaim, value, 1000)
	if err != nil {
		return "", err
	}
	best := -1
	for _, name := range names {
		role := Role(name)
		if v.cfg.GroupRoles != nil {
			role = v.cfg.GroupRoles[name]
		}
		if i := slices.Index(rolesByPower, role); i >= 0 && (best < 0 || i < best) {
			best = i
		}
	}
	if best < 0 {
		return "", invalidToken(fmt.Sprintf("claim %q names no role of this API", v.cfg.RoleClaim))
	}
	return rolesByPower[best], nil
}

// rolesByPower lists the roles, most powerful first.
var rolesByPower = []Role{RoleAdmin, RoleOrganizer, RoleScanner, RoleFan}

// stringsClaim reads a claim that is a string or an array of strings.
func stringsClaim(name string, value any, max int) ([]string, error) {
	switch v := value.(type) {
	case nil:
		return nil, nil
	case string:
		return []string{v}, nil
	case []any:
		if len(v) > max {
			return nil, invalidToken(fmt.Sprintf("claim %q has more than %d values", name, max))
		}
		out := make([]string, 0, len(v))
		for _, item := range v {
			s, ok := item.(string)
			if !ok {
				return nil, invalidToken(fmt.Sprintf("claim %q: want strings", name))
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, invalidToken(fmt.Sprintf("claim %q: want a string or an array of strings", name))
}

var (
	errKeysUnavailable = errors.New("boxoffice: the provider's key set cannot be fetched")
	errNoKeyVerifies   = errors.New("boxoffice: no key of the provider verifies the signature")
)

// keySet is an oidc.KeySet: the provider's JWKS, fetched again at most
// once per jwksRefetchMin (see the top of this file). go-jose verifies.
type keySet struct {
	url    string
	client *http.Client

	keys      atomic.Pointer[[]jose.JSONWebKey] // the last fetched set; nil before the first
	mu        sync.Mutex                        // one fetch at a time
	fetchedAt time.Time                         // last fetch attempt, under mu
	fetches   atomic.Uint64                     // successful fetches, each replacing keys
}

var signingAlgorithms = []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.EdDSA}

// VerifySignature implements oidc.KeySet.
func (k *keySet) VerifySignature(ctx context.Context, raw string) ([]byte, error) {
	jws, err := jose.ParseSigned(raw, signingAlgorithms)
	if err != nil {
		return nil, err
	}
	cached := k.keys.Load()
	if payload, ok := verifyWith(jws, cached); ok {
		return payload, nil
	}
	keys, err := k.refetch(ctx, cached)
	if err != nil {
		return nil, err
	}
	if payload, ok := verifyWith(jws, keys); ok {
		return payload, nil
	}
	return nil, errNoKeyVerifies
}

func verifyWith(jws *jose.JSONWebSignature, keys *[]jose.JSONWebKey) ([]byte, bool) {
	if keys == nil || len(jws.Signatures) != 1 {
		return nil, false
	}
	kid := jws.Signatures[0].Header.KeyID
	for i := range *keys {
		key := &(*keys)[i]
		if kid != "" && key.KeyID != kid {
			continue
		}
		if payload, err := jws.Verify(key); err == nil {
			return payload, true
		}
	}
	return nil, false
}

// refetch fetches the key set unless another caller replaced seen
// meanwhile or the last fetch was less than jwksRefetchMin ago.
func (k *keySet) refetch(ctx context.Context, seen *[]jose.JSONWebKey) (*[]jose.JSONWebKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if current := k.keys.Load(); current != seen {
		return current, nil
	}
	if !k.fetchedAt.IsZero() && time.Since(k.fetchedAt) < jwksRefetchMin {
		if seen == nil {
			return nil, errKeysUnavailable
		}
		return nil, errNoKeyVerifies
	}
	k.fetchedAt = time.Now()
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), oidcDiscoveryTimeout)
	defer cancel()
	keys, err := k.fetch(fctx)
	if err != nil {
		return nil, errKeysUnavailable
	}
	k.keys.Store(&keys)
	k.fetches.Add(1)
	return &keys, nil
}

// fetch reads the JWKS, skipping keys it cannot use (other key types,
// encryption keys) rather than failing on them.
func (k *keySet) fetch(ctx context.Context) ([]jose.JSONWebKey, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := k.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", k.url, resp.Status)
	}
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, jwksBytesMax)).Decode(&set); err != nil {
		return nil, err
	}
	var keys []jose.JSONWebKey
	for _, raw := range set.Keys {
		var key jose.JSONWebKey
		if json.Unmarshal(raw, &key) == nil && key.Use != "enc" {
			keys = append(keys, key)
		}
	}
	return keys, nil
}
