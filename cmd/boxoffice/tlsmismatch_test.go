package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice/cluster/client"
)

// TestTLSMismatchSaysWhichSettingToChange starts a TLS node and a plaintext
// node and connects to each with the other setting, through ctl and the Go
// client. gRPC alone answers "error reading server preface: EOF" (or a TLS
// record error); the answer must instead say which side speaks TLS and
// which flags (ctl) or field (Config.TLS) to change.
func TestTLSMismatchSaysWhichSettingToChange(t *testing.T) {
	if testing.Short() {
		t.Skip("starts node processes; skipped with -short")
	}
	certs := t.TempDir()
	var stdout, stderr bytes.Buffer
	if err := runCerts([]string{"--out", certs, "--nodes", "n1", "--clients", "ops:operator"}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	bin := buildBinary(t)
	tlsAddr, _ := startSingleNodeProcess(t, bin, "--tls-ca", filepath.Join(certs, "ca.pem"),
		"--tls-cert", filepath.Join(certs, "n1.pem"), "--tls-key", filepath.Join(certs, "n1-key.pem"),
		"--gossip-key-file", newGossipKeyFile(t, bin, certs))
	plainAddr, _ := startSingleNodeProcess(t, bin, "--plaintext")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	tlsFlags := []string{"--tls-ca", filepath.Join(certs, "ca.pem"),
		"--tls-cert", filepath.Join(certs, "ops.pem"), "--tls-key", filepath.Join(certs, "ops-key.pem")}

	// The setting that matches works, so the refusals below are about TLS.
	if _, _, err := ctl(t, ctx, append([]string{"--addr", tlsAddr, "status"}, tlsFlags...)...); err != nil {
		t.Fatalf("ctl status with TLS to the TLS node: %v", err)
	}
	if _, _, err := ctl(t, ctx, "--addr", plainAddr, "status"); err != nil {
		t.Fatalf("ctl status without TLS to the plaintext node: %v", err)
	}

	_, _, err := ctl(t, ctx, "--addr", tlsAddr, "--timeout", "3s", "status")
	if !errors.Is(err, client.ErrNodeRequiresTLS) {
		t.Fatalf("plaintext ctl to a TLS node: %v, want ErrNodeRequiresTLS", err)
	}
	for _, want := range []string{tlsAddr, "requires TLS", "--tls-ca", "--tls-cert", "--tls-key"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("plaintext ctl to a TLS node: %q does not say %q", err, want)
		}
	}
	_, _, err = ctl(t, ctx, append([]string{"--addr", plainAddr, "--timeout", "3s", "status"}, tlsFlags...)...)
	if !errors.Is(err, client.ErrNodeIsPlaintext) {
		t.Fatalf("TLS ctl to a plaintext node: %v, want ErrNodeIsPlaintext", err)
	}
	for _, want := range []string{plainAddr, "does not speak TLS", "drop --tls-ca"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("TLS ctl to a plaintext node: %q does not say %q", err, want)
		}
	}

	// The gateway names its --cluster-tls-* flags.
	var out bytes.Buffer
	err = runGateway(ctx, []string{"--cluster", tlsAddr, "--demo", "--fake-payments", "--http-addr", "127.0.0.1:0"}, &out, &out)
	if !errors.Is(err, client.ErrNodeRequiresTLS) || !strings.Contains(err.Error(), "--cluster-tls-ca") {
		t.Fatalf("plaintext gateway to a TLS node: %v, want ErrNodeRequiresTLS naming --cluster-tls-ca", err)
	}

	// The Go client names its own setting.
	_, err = client.Dial(ctx, client.Config{Addrs: []string{tlsAddr}, RetryTimeout: 3 * time.Second})
	if !errors.Is(err, client.ErrNodeRequiresTLS) || !strings.Contains(err.Error(), "set Config.TLS") {
		t.Fatalf("plaintext client.Dial to a TLS node: %v, want ErrNodeRequiresTLS naming Config.TLS", err)
	}
	_, err = client.Dial(ctx, client.Config{Addrs: []string{plainAddr}, RetryTimeout: 3 * time.Second,
		TLS: &tls.Config{MinVersion: tls.VersionTLS12}})
	if !errors.Is(err, client.ErrNodeIsPlaintext) || !strings.Contains(err.Error(), "Config.TLS") {
		t.Fatalf("TLS client.Dial to a plaintext node: %v, want ErrNodeIsPlaintext naming Config.TLS", err)
	}
	for _, leak := range []string{"server preface", "first record"} {
		if strings.Contains(err.Error(), leak) {
			t.Errorf("client.Dial error %q still shows gRPC's %q", err, leak)
		}
	}
}
