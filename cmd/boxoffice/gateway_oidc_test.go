package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/cluster"
	"github.com/boxoffice/boxoffice/cluster/client"
	"github.com/boxoffice/boxoffice/internal/oidctest"
)

// TestGatewayProcessWithOIDCProvider runs `boxoffice gateway` as a process
// with the OIDC flags against a real OpenID provider (TLS with its own
// CA, given by --oidc-ca-file) and the demo's cluster: the provider's
// tokens are accepted, scoped to their events, a second factor is
// required of organizers, and an over-long token is refused.
func TestGatewayProcessWithOIDCProvider(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the demo and gateway processes; skipped with -short")
	}
	_, grpcAddr := startDemoWithCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, client.Config{Addrs: []string{grpcAddr}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.CreateEvent(ctx, &boxofficev1.CreateEventRequest{RequestId: "oidc-create", EventId: "other_arena", Name: "Other arena",
		Venue: cluster.DemoArena("Other")}); err != nil {
		t.Fatal(err)
	}

	idp := oidctest.Start(t, jose.ES256)
	caFile := filepath.Join(t.TempDir(), "idp-ca.pem")
	if err := os.WriteFile(caFile, idp.CAPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	seed := make([]byte, 32)
	_, _ = rand.Read(seed)
	gw := exec.Command(buildBinary(t), "gateway", "--cluster", grpcAddr, "--http-addr", "127.0.0.1:0", "--fake-payments",
		"--jwt-secret", base64.StdEncoding.EncodeToString(append(seed, seed...)), "--ticket-key", base64.StdEncoding.EncodeToString(seed),
		"--record-key", base64.StdEncoding.EncodeToString(append(seed, 'r')), "--scan-secret", base64.StdEncoding.EncodeToString(append(seed, 's')),
		"--oidc-issuer", idp.Issuer, "--oidc-audience", "boxoffice-app", "--oidc-ca-file", caFile,
		"--require-mfa", "--token-lifetime-max", "1h")
	stdout, err := gw.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := gw.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = gw.Process.Kill(); _ = gw.Wait() })
	lines := bufio.NewScanner(stdout)
	base := ""
	for base == "" && lines.Scan() {
		if rest, ok := strings.CutPrefix(lines.Text(), "Boxoffice gateway on "); ok {
			base, _, _ = strings.Cut(rest, " ")
		}
	}
	if base == "" {
		t.Fatal("the gateway process printed no address")
	}
	w := walker{t: t, base: base}
	token := func(subject string, lifetime time.Duration, claims map[string]any) string {
		return idp.Token(t, oidctest.Identity{Subject: subject, Audience: []string{"boxoffice-app"}, Lifetime: lifetime, Claims: claims})
	}
	problemType := func(status int, body []byte) string {
		var p struct{ Type string }
		_ = json.Unmarshal(body, &p)
		return strings.TrimPrefix(p.Type, "https://boxoffice.dev/problems/")
	}
	queue := map[string]any{"on_sale_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339), "admit_per_second": 10}

	w.must(200, "GET", "/v1/events", token("fan-1", 0, nil), "", nil)
	organizer := token("org-1", 0, map[string]any{"role": "organizer", "events": []string{"demo_arena"}, "amr": []string{"pwd", "otp"}})
	w.must(200, "PUT", "/v1/events/demo_arena/waiting-room", organizer, "", queue)
	if status, body := w.call("PUT", "/v1/events/other_arena/waiting-room", organizer, "", queue); status != 403 || problemType(status, body) != "event-out-of-scope" {
		t.Fatalf("organizer of demo_arena on other_arena: %d %s", status, body)
	}
	noFactor := token("org-2", 0, map[string]any{"role": "organizer", "events": []string{"demo_arena"}})
	if status, body := w.call("PUT", "/v1/events/demo_arena/waiting-room", noFactor, "", queue); status != 403 || problemType(status, body) != "second-factor-required" {
		t.Fatalf("organizer without a second factor: %d %s", status, body)
	}
	if status, body := w.call("GET", "/v1/events", token("fan-2", 2*time.Hour, nil), "", nil); status != 401 || problemType(status, body) != "unauthenticated" {
		t.Fatalf("a 2 h token with a 1 h cap: %d %s", status, body)
	}
}
