package main

import (
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/boxoffice/boxoffice/checkout"
)

// authFlags are the gateway's bearer-token flags: an OpenID Connect
// provider beside the HS256 secret, the token lifetime cap and the second
// factor for organizers and admins. Each also reads BOXOFFICE_<FLAG>.
type authFlags struct {
	issuer, audience       *string
	roleClaim, eventsClaim *string
	roleMap, caFile        *string
	lifetimeMax            *time.Duration
	requireMFA             *bool
	mfaACR                 *string
}

func addAuthFlags(fs *flag.FlagSet) *authFlags {
	lifetime := checkout.TokenLifetimeMaxDefault
	if v, err := time.ParseDuration(os.Getenv("BOXOFFICE_TOKEN_LIFETIME_MAX")); err == nil {
		lifetime = v
	}
	return &authFlags{
		issuer:      fs.String("oidc-issuer", os.Getenv("BOXOFFICE_OIDC_ISSUER"), "OpenID Connect issuer URL whose tokens are accepted beside HS256 ones (https; discovery and JWKS); empty: HS256 only"),
		audience:    fs.String("oidc-audience", os.Getenv("BOXOFFICE_OIDC_AUDIENCE"), "client id the apps use at --oidc-issuer: a token's aud must contain it"),
		roleClaim:   fs.String("oidc-role-claim", envOr("BOXOFFICE_OIDC_ROLE_CLAIM", checkout.RoleClaimDefault), "claim holding the role (fan, organizer, scanner, admin), or the groups mapped by --oidc-role-map; absent: fan"),
		eventsClaim: fs.String("oidc-events-claim", envOr("BOXOFFICE_OIDC_EVENTS_CLAIM", checkout.EventsClaimDefault), `claim holding the event ids an organizer or scanner may act on ("*": all)`),
		roleMap:     fs.String("oidc-role-map", os.Getenv("BOXOFFICE_OIDC_ROLE_MAP"), "comma-separated group=role pairs mapping --oidc-role-claim values to roles (e.g. staff=organizer,door=scanner)"),
		caFile:      fs.String("oidc-ca-file", os.Getenv("BOXOFFICE_OIDC_CA_FILE"), "PEM CA bundle trusted for --oidc-issuer's TLS (default: the system roots)"),
		lifetimeMax: fs.Duration("token-lifetime-max", lifetime, "longest bearer token accepted (exp - iat), any issuer"),
		requireMFA:  fs.Bool("require-mfa", os.Getenv("BOXOFFICE_REQUIRE_MFA") == "true", "organizer and admin tokens must show a second factor (amr mfa, otp, hwk or swk, or an --mfa-acr value)"),
		mfaACR:      fs.String("mfa-acr", os.Getenv("BOXOFFICE_MFA_ACR"), "comma-separated acr values that count as a second factor"),
	}
}

// apply sets the auth fields of cfg; checkout.Config.Validate checks them.
func (f *authFlags) apply(cfg *checkout.Config) error {
	cfg.TokenLifetimeMax = *f.lifetimeMax
	cfg.RequireMFA = *f.requireMFA
	cfg.MFAACRValues = splitCommaList(*f.mfaACR)
	if *f.issuer == "" {
		if *f.audience != "" || *f.roleMap != "" || *f.caFile != "" {
			return fmt.Errorf("--oidc-audience, --oidc-role-map and --oidc-ca-file need --oidc-issuer")
		}
		return nil
	}
	issuer := checkout.OIDCIssuer{IssuerURL: *f.issuer, Audience: *f.audience, RoleClaim: *f.roleClaim, EventsClaim: *f.eventsClaim}
	for _, pair := range splitCommaList(*f.roleMap) {
		group, role, ok := strings.Cut(pair, "=")
		if !ok || group == "" {
			return fmt.Errorf("--oidc-role-map: %q is not group=role", pair)
		}
		if issuer.GroupRoles == nil {
			issuer.GroupRoles = map[string]checkout.Role{}
		}
		issuer.GroupRoles[group] = checkout.Role(role)
	}
	if *f.caFile != "" {
		pem, err := os.ReadFile(*f.caFile)
		if err != nil {
			return fmt.Errorf("--oidc-ca-file: %w", err)
		}
		roots := x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			return fmt.Errorf("--oidc-ca-file %s: no PEM certificate in it", *f.caFile)
		}
		issuer.HTTPClient = &http.Client{Timeout: 10 * time.Second,
			Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}}}
	}
	cfg.OIDC = []checkout.OIDCIssuer{issuer}
	return nil
}

func splitCommaList(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}
