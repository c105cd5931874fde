package main

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice/checkout"
)

func parseAuthFlags(t *testing.T, args ...string) (checkout.Config, error) {
	t.Helper()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	auth := addAuthFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	var cfg checkout.Config
	err := auth.apply(&cfg)
	return cfg, err
}

func TestGatewayAuthFlags(t *testing.T) {
	cfg, err := parseAuthFlags(t)
	if err != nil || cfg.OIDC != nil || cfg.TokenLifetimeMax != checkout.TokenLifetimeMaxDefault || cfg.RequireMFA {
		t.Fatalf("defaults: %+v %v", cfg, err)
	}
	cfg, err = parseAuthFlags(t, "--oidc-issuer", "https://idp.example", "--oidc-audience", "app",
		"--oidc-role-claim", "groups", "--oidc-events-claim", "shows", "--oidc-role-map", "staff=organizer, door=scanner",
		"--token-lifetime-max", "2h", "--require-mfa", "--mfa-acr", "phr,phrh")
	if err != nil {
		t.Fatal(err)
	}
	o := cfg.OIDC[0]
	if len(cfg.OIDC) != 1 || o.IssuerURL != "https://idp.example" || o.Audience != "app" || o.RoleClaim != "groups" || o.EventsClaim != "shows" ||
		o.GroupRoles["staff"] != checkout.RoleOrganizer || o.GroupRoles["door"] != checkout.RoleScanner ||
		cfg.TokenLifetimeMax != 2*time.Hour || !cfg.RequireMFA || strings.Join(cfg.MFAACRValues, ",") != "phr,phrh" {
		t.Fatalf("parsed: %+v", cfg)
	}
	for _, bad := range [][]string{
		{"--oidc-audience", "app"}, // no issuer
		{"--oidc-issuer", "https://idp.example", "--oidc-role-map", "staff"},       // not group=role
		{"--oidc-issuer", "https://idp.example", "--oidc-ca-file", "/nonexistent"}, // unreadable
	} {
		if _, err := parseAuthFlags(t, bad...); err == nil {
			t.Fatalf("%v accepted", bad)
		}
	}
	notPEM := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := parseAuthFlags(t, "--oidc-issuer", "https://idp.example", "--oidc-ca-file", notPEM); err == nil || !strings.Contains(err.Error(), "no PEM") {
		t.Fatalf("a CA file without PEM: %v", err)
	}
}
