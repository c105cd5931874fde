package checkout

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Bearer tokens are HS256 JWTs: sub (the fan, organizer, scanner or admin
// id), role, exp. An identity provider mints them in production with the
// shared JWTSecret; the demo mints them at POST /v1/dev/login.
//
// Admission tokens (waiting room) are HS256 JWTs too, with audience
// "admission", sub the fan and evt the event, short-lived. Using a separate
// audience keeps one kind of token from being accepted as the other.
const (
	tokenIssuer       = "boxoffice-gateway"
	admissionAudience = "admission"
	bearerAudience    = "api"
	devTokenTTL       = 12 * time.Hour
)

type bearerClaims struct {
	Role Role `json:"role"`
	jwt.RegisteredClaims
}

type admissionClaims struct {
	Event string `json:"evt"`
	jwt.RegisteredClaims
}

func (g *Gateway) parser(audience string) *jwt.Parser {
	return jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithAudience(audience), jwt.WithIssuer(tokenIssuer),
		jwt.WithExpirationRequired(), jwt.WithTimeFunc(g.now), jwt.WithLeeway(5*time.Second))
}

func (g *Gateway) keyFunc(*jwt.Token) (any, error) { return g.cfg.JWTSecret, nil }

func (g *Gateway) authenticate(r *http.Request) (string, Role, error) {
	h := r.Header.Get("Authorization")
	raw, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || raw == "" {
		return "", "", problem(ErrUnauthenticated, "send Authorization: Bearer <token>")
	}
	var claims bearerClaims
	if _, err := g.parser(bearerAudience).ParseWithClaims(raw, &claims, g.keyFunc); err != nil {
		return "", "", problem(ErrUnauthenticated, err.Error())
	}
	switch claims.Role {
	case RoleFan, RoleOrganizer, RoleScanner, RoleAdmin:
	default:
		return "", "", problem(ErrUnauthenticated, fmt.Sprintf("unknown role %q", claims.Role))
	}
	if err := validID("subject", claims.Subject); err != nil {
		return "", "", problem(ErrUnauthenticated, "bad subject")
	}
	return claims.Subject, claims.Role, nil
}

// IssueToken mints a bearer token (what an identity provider would do).
func (g *Gateway) IssueToken(subject string, role Role, ttl time.Duration) (string, error) {
	now := g.now()
	return jwt.NewWithClaims(jwt.SigningMethodHS256, bearerClaims{Role: role, RegisteredClaims: jwt.RegisteredClaims{
		Issuer: tokenIssuer, Subject: subject, Audience: jwt.ClaimStrings{bearerAudience},
		IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
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
		return problem(ErrNotAdmitted, "admission token: "+err.Error())
	}
	if claims.Subject != fan || claims.Event != event {
		return problem(ErrNotAdmitted, "admission token was issued to another fan or event")
	}
	return nil
}

type devLoginRequest struct {
	Subject string `json:"subject"`
	Role    Role   `json:"role"`
}

type tokenResponse struct {
	Token     string    `json:"token"`
	Subject   string    `json:"subject"`
	Role      Role      `json:"role"`
	ExpiresAt time.Time `json:"expires_at"`
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
	switch req.Role {
	case RoleFan, RoleOrganizer, RoleScanner, RoleAdmin:
	default:
		return 0, nil, problem(ErrInvalid, fmt.Sprintf("role %q: want fan, organizer, scanner or admin", req.Role))
	}
	if err := validID("subject", req.Subject); err != nil {
		return 0, nil, err
	}
	if req.Role == RoleFan {
		if err := g.rememberFan(c.ctx, req.Subject); err != nil {
			return 0, nil, err
		}
	}
	tok, err := g.IssueToken(req.Subject, req.Role, devTokenTTL)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, tokenResponse{Token: tok, Subject: req.Subject, Role: req.Role, ExpiresAt: g.now().Add(devTokenTTL).UTC()}, nil
}
