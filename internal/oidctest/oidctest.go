// Package oidctest starts a real OpenID provider for tests: zitadel/oidc's
// OpenID-certified op package on a loopback TLS port, serving discovery
// and JWKS, and signing JWT access tokens (RS256, ES256 or EdDSA) for the
// identities a test asks for.
//
// Tokens are minted through the provider's token endpoint with the OAuth
// client-credentials grant (no browser): each identity is registered as a
// client of its own whose token request carries the identity's subject,
// audience, lifetime and extra claims (role, events, amr). The op builds
// and signs the JWT; this package only stores clients and keys.
//
// The example storage shipped in zitadel/oidc's module (example/server)
// was not used: it hard-codes its clients, an RSA key and a five-minute
// token lifetime, and adds no custom claims to client-credentials tokens.
package oidctest

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// Identity is who a token names and what it claims.
type Identity struct {
	Subject string
	// Audience of the token (the gateway's client id).
	Audience []string
	// Claims are added to the token (role, events, amr, ...).
	Claims map[string]any
	// Lifetime is exp - iat (default 5 minutes).
	Lifetime time.Duration
}

// Provider is a running OpenID provider.
type Provider struct {
	// Issuer is the provider's issuer URL (https://127.0.0.1:port).
	Issuer string
	// Client trusts the provider's TLS certificate; give it to the relying
	// party for discovery and keys.
	Client *http.Client
	// CAPEM is the provider's TLS certificate in PEM, for a relying party
	// in another process (boxoffice gateway --oidc-ca-file).
	CAPEM []byte

	storage     *storage
	keysFetched atomic.Int64
}

// KeysFetched counts the requests to the provider's JWKS endpoint.
func (p *Provider) KeysFetched() int { return int(p.keysFetched.Load()) }

func (p *Provider) countKeyFetches(next http.Handler, jwksPath string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == jwksPath {
			p.keysFetched.Add(1)
		}
		next.ServeHTTP(w, r)
	})
}

// Start runs a provider signing with alg (jose.RS256, jose.ES256 or
// jose.EdDSA) until the test ends.
func Start(t testing.TB, alg jose.SignatureAlgorithm) *Provider {
	t.Helper()
	key, err := newSigningKey(alg)
	if err != nil {
		t.Fatal(err)
	}
	st := &storage{key: key, clients: map[string]*client{}}
	srv := httptest.NewUnstartedServer(nil)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	config := &op.Config{SupportedScopes: []string{oidc.ScopeOpenID}}
	if _, err := rand.Read(config.CryptoKey[:]); err != nil {
		t.Fatal(err)
	}
	provider, err := op.NewOpenIDProvider(srv.URL, config, st)
	if err != nil {
		t.Fatal(err)
	}
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	p := &Provider{Issuer: srv.URL, Client: srv.Client(), CAPEM: caPEM, storage: st}
	srv.Config.Handler = p.countKeyFetches(provider, op.DefaultEndpoints.JwksURI.Relative())
	return p
}

// Token asks the provider's token endpoint for a JWT access token naming
// id, as a client would.
func (p *Provider) Token(t testing.TB, id Identity) string {
	t.Helper()
	if id.Lifetime == 0 {
		id.Lifetime = 5 * time.Minute
	}
	clientID, secret := p.storage.register(id)
	var discovery struct {
		TokenEndpoint string `json:"token_endpoint"`
	}
	if err := p.getJSON(p.Issuer+oidc.DiscoveryEndpoint, &discovery); err != nil {
		t.Fatal(err)
	}
	form := url.Values{"grant_type": {string(oidc.GrantTypeClientCredentials)}, "scope": {oidc.ScopeOpenID}}
	req, _ := http.NewRequest(http.MethodPost, discovery.TokenEndpoint, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(clientID, secret)
	resp, err := p.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		AccessToken string `json:"access_token"`
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.AccessToken == "" {
		t.Fatalf("token endpoint: %s %s %s (%v)", resp.Status, out.Error, out.Description, err)
	}
	return out.AccessToken
}

func (p *Provider) getJSON(u string, v any) error {
	resp, err := p.Client.Get(u)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

type signingKey struct {
	id  string
	alg jose.SignatureAlgorithm
	key crypto.Signer
}

func newSigningKey(alg jose.SignatureAlgorithm) (*signingKey, error) {
	var key crypto.Signer
	var err error
	switch alg {
	case jose.RS256:
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	case jose.ES256:
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case jose.EdDSA:
		_, key, err = ed25519.GenerateKey(rand.Reader)
	default:
		return nil, fmt.Errorf("oidctest: algorithm %s not supported", alg)
	}
	return &signingKey{id: randomID(), alg: alg, key: key}, err
}

func (k *signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return k.alg }
func (k *signingKey) Key() any                                    { return k.key }
func (k *signingKey) ID() string                                  { return k.id }

type publicKey struct{ *signingKey }

func (k publicKey) Algorithm() jose.SignatureAlgorithm { return k.alg }
func (k publicKey) Use() string                        { return "sig" }
func (k publicKey) Key() any                           { return k.key.Public() }

func randomID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// client is one registered identity: a confidential client allowed the
// client-credentials grant, whose tokens are JWTs.
type client struct {
	id, secret string
	identity   Identity
}

func (c *client) GetID() string                       { return c.id }
func (c *client) RedirectURIs() []string              { return nil }
func (c *client) PostLogoutRedirectURIs() []string    { return nil }
func (c *client) ApplicationType() op.ApplicationType { return op.ApplicationTypeWeb }
func (c *client) AuthMethod() oidc.AuthMethod         { return oidc.AuthMethodBasic }
func (c *client) ResponseTypes() []oidc.ResponseType  { return nil }
func (c *client) GrantTypes() []oidc.GrantType {
	return []oidc.GrantType{oidc.GrantTypeClientCredentials}
}
func (c *client) LoginURL(string) string                                   { return "" }
func (c *client) AccessTokenType() op.AccessTokenType                      { return op.AccessTokenTypeJWT }
func (c *client) IDTokenLifetime() time.Duration                           { return c.identity.Lifetime }
func (c *client) DevMode() bool                                            { return false }
func (c *client) RestrictAdditionalIdTokenScopes() func([]string) []string { return nil }
func (c *client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *client) IsScopeAllowed(string) bool           { return false }
func (c *client) IDTokenUserinfoClaimsAssertion() bool { return false }
func (c *client) ClockSkew() time.Duration             { return 0 }

// tokenRequest is a client-credentials request on behalf of an identity.
type tokenRequest struct {
	identity Identity
	scopes   []string
}

func (r *tokenRequest) GetSubject() string    { return r.identity.Subject }
func (r *tokenRequest) GetAudience() []string { return r.identity.Audience }
func (r *tokenRequest) GetScopes() []string   { return r.scopes }

var errUnsupported = errors.New("oidctest: not supported")

// storage implements op.Storage, op.ClientCredentialsStorage and
// op.CanGetPrivateClaimsFromRequest in memory.
type storage struct {
	key     *signingKey
	mu      sync.Mutex
	clients map[string]*client
}

var (
	_ op.Storage                        = (*storage)(nil)
	_ op.ClientCredentialsStorage       = (*storage)(nil)
	_ op.CanGetPrivateClaimsFromRequest = (*storage)(nil)
)

func (s *storage) register(id Identity) (clientID, secret string) {
	c := &client{id: "client-" + randomID(), secret: randomID(), identity: id}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clients[c.id] = c
	return c.id, c.secret
}

func (s *storage) lookup(clientID string) (*client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[clientID]
	if !ok {
		return nil, errors.New("oidctest: unknown client")
	}
	return c, nil
}

func (s *storage) ClientCredentials(_ context.Context, clientID, clientSecret string) (op.Client, error) {
	c, err := s.lookup(clientID)
	if err != nil || c.secret != clientSecret {
		return nil, errors.New("oidctest: wrong client id or secret")
	}
	return c, nil
}

func (s *storage) ClientCredentialsTokenRequest(_ context.Context, clientID string, scopes []string) (op.TokenRequest, error) {
	c, err := s.lookup(clientID)
	if err != nil {
		return nil, err
	}
	return &tokenRequest{identity: c.identity, scopes: scopes}, nil
}

func (s *storage) GetPrivateClaimsFromRequest(_ context.Context, request op.TokenRequest, _ []string) (map[string]any, error) {
	if r, ok := request.(*tokenRequest); ok {
		return r.identity.Claims, nil
	}
	return nil, nil
}

func (s *storage) CreateAccessToken(_ context.Context, request op.TokenRequest) (string, time.Time, error) {
	r, ok := request.(*tokenRequest)
	if !ok {
		return "", time.Time{}, errUnsupported
	}
	return randomID(), time.Now().Add(r.identity.Lifetime), nil
}

func (s *storage) SigningKey(context.Context) (op.SigningKey, error) { return s.key, nil }
func (s *storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{s.key.alg}, nil
}
func (s *storage) KeySet(context.Context) ([]op.Key, error) {
	return []op.Key{publicKey{s.key}}, nil
}

func (s *storage) GetClientByClientID(_ context.Context, clientID string) (op.Client, error) {
	return s.lookup(clientID)
}

func (s *storage) AuthorizeClientIDSecret(ctx context.Context, clientID, clientSecret string) error {
	_, err := s.ClientCredentials(ctx, clientID, clientSecret)
	return err
}

func (s *storage) Health(context.Context) error { return nil }

// The rest of op.Storage serves flows these tests do not use.

func (s *storage) CreateAuthRequest(context.Context, *oidc.AuthRequest, string) (op.AuthRequest, error) {
	return nil, errUnsupported
}
func (s *storage) AuthRequestByID(context.Context, string) (op.AuthRequest, error) {
	return nil, errUnsupported
}
func (s *storage) AuthRequestByCode(context.Context, string) (op.AuthRequest, error) {
	return nil, errUnsupported
}
func (s *storage) SaveAuthCode(context.Context, string, string) error { return errUnsupported }
func (s *storage) DeleteAuthRequest(context.Context, string) error    { return nil }
func (s *storage) CreateAccessAndRefreshTokens(context.Context, op.TokenRequest, string) (string, string, time.Time, error) {
	return "", "", time.Time{}, errUnsupported
}
func (s *storage) TokenRequestByRefreshToken(context.Context, string) (op.RefreshTokenRequest, error) {
	return nil, errUnsupported
}
func (s *storage) TerminateSession(context.Context, string, string) error { return nil }
func (s *storage) RevokeToken(context.Context, string, string, string) *oidc.Error {
	return oidc.ErrUnsupportedGrantType()
}
func (s *storage) GetRefreshTokenInfo(context.Context, string, string) (string, string, error) {
	return "", "", op.ErrInvalidRefreshToken
}
func (s *storage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}
func (s *storage) SetUserinfoFromToken(context.Context, *oidc.UserInfo, string, string, string) error {
	return errUnsupported
}
func (s *storage) SetIntrospectionFromToken(context.Context, *oidc.IntrospectionResponse, string, string, string) error {
	return errUnsupported
}
func (s *storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}
func (s *storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errUnsupported
}
func (s *storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errUnsupported
}
