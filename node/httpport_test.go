package node

import (
	"crypto/tls"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice/node/nodetls"
)

// TestHTTPPortRoles: with TLS the HTTP port speaks HTTPS; /healthz and
// /readyz answer without a client certificate, /metrics only to the node,
// operator and reader roles (a scrape job's certificate) and /debug/pprof
// only to operators. Before, /metrics (and pprof when enabled) answered
// anyone who reached the port, in plain HTTP.
func TestHTTPPortRoles(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cluster")
	}
	certs := t.TempDir()
	if err := nodetls.DevCerts(certs, "server.boxoffice", []string{"n1"},
		[]nodetls.ClientCert{{Name: "gw", Role: nodetls.RoleGateway}, {Name: "ops", Role: nodetls.RoleOperator}, {Name: "ro", Role: nodetls.RoleReader}}, time.Hour); err != nil {
		t.Fatal(err)
	}
	tc := NewTestCluster(t, 1, func(i int, c *Config) {
		c.Plaintext, c.GossipKeyFile = false, writeGossipKeys(t, filepath.Join(certs, "gossip.key"), gossipKey(1))
		c.Pprof = true
		c.TLS = &TLSConfig{CAFile: filepath.Join(certs, "ca.pem"),
			CertFile: filepath.Join(certs, c.NodeID+".pem"), KeyFile: filepath.Join(certs, c.NodeID+"-key.pem")}
	})
	base := "https://" + tc.hosts[0].HTTPAddr()
	get := func(cert, path string) int {
		t.Helper()
		cfg := loadClientTLS(t, certs, "ops")
		cfg.ServerName = "localhost"
		if cert == "" {
			cfg.Certificates = nil
		} else {
			cfg.Certificates = loadClientTLS(t, certs, cert).Certificates
		}
		c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg}}
		resp, err := c.Get(base + path)
		if err != nil {
			t.Fatalf("GET %s as %q: %v", path, cert, err)
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.StatusCode
	}
	for _, tt := range []struct {
		cert, path string
		want       int
	}{
		{"", "/healthz", 200},
		{"", "/metrics", 403},
		{"gw", "/metrics", 403},
		{"ro", "/metrics", 200},
		{"ops", "/metrics", 200},
		{"n1", "/metrics", 200},
		{"", "/debug/pprof/cmdline", 403},
		{"ro", "/debug/pprof/cmdline", 403},
		{"ops", "/debug/pprof/cmdline", 200},
	} {
		if got := get(tt.cert, tt.path); got != tt.want {
			t.Errorf("GET %s as %q: HTTP %d, want %d", tt.path, tt.cert, got, tt.want)
		}
	}
	if got := permissionDenials(tc, "/metrics", "none"); got != 1 {
		t.Errorf("refusals of /metrics without a certificate counted %v, want 1", got)
	}
	if got := permissionDenials(tc, "/metrics", "gateway"); got != 1 {
		t.Errorf("refusals of /metrics to a gateway counted %v, want 1", got)
	}
	// Plain HTTP gets nothing from a TLS node.
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://" + tc.hosts[0].HTTPAddr() + "/metrics")
	if err == nil {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == 200 || strings.Contains(string(body), "boxoffice_") {
			t.Fatalf("plain HTTP read metrics from a TLS node: %d", resp.StatusCode)
		}
	}
	_ = tls.VersionTLS12
}
