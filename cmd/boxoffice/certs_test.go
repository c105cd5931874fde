package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice/internal/testport"
	"github.com/boxoffice/boxoffice/node"
)

func TestCertsClientsFlag(t *testing.T) {
	for _, c := range []struct {
		clients string
		want    string
	}{
		{"app", `want name:role, role one of gateway, operator, reader`},
		{"app:admin", `unknown role "admin": one of gateway, operator, reader`},
		{"app:node", `unknown role "node": one of gateway, operator, reader`},
		{"n1:gateway", `certificate name "n1" is empty, has a path separator, is used twice or is "ca"`},
		{"ca:reader", `certificate name "ca"`},
	} {
		var stdout, stderr bytes.Buffer
		err := runCerts([]string{"--out", t.TempDir(), "--clients", c.clients}, &stdout, &stderr)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("--clients %s: %v, want an error containing %q", c.clients, err, c.want)
		}
	}
}

// startSingleNodeProcess starts `boxoffice start` as a process (a cluster of one)
// with args added, and returns its gRPC address once /readyz answers and
// the file its stderr goes to.
// newGossipKeyFile writes a fresh gossip key with `boxoffice gossip-key`
// into dir, as the README's TLS cluster does, and returns its path.
func newGossipKeyFile(t *testing.T, bin, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "gossip.key")
	if out, err := exec.Command(bin, "gossip-key", "--out", path).CombinedOutput(); err != nil {
		t.Fatalf("boxoffice gossip-key: %v\n%s", err, out)
	}
	return path
}

func startSingleNodeProcess(t *testing.T, bin string, args ...string) (grpcAddr, logPath string) {
	t.Helper()
	dir := t.TempDir()
	p := testport.Ports(t, 4)
	grpcAddr = fmt.Sprintf("127.0.0.1:%d", p[0])
	all := append([]string{"start", "--node-id", "n1", "--data-dir", filepath.Join(dir, "n1"),
		"--grpc-addr", grpcAddr, "--peer-addr", fmt.Sprintf("127.0.0.1:%d", p[1]),
		"--http-addr", fmt.Sprintf("127.0.0.1:%d", p[2]), "--gossip-addr", fmt.Sprintf("127.0.0.1:%d", p[3]),
		"--bootstrap-expect", "1", "--raft-heartbeat-timeout", "500ms", "--raft-election-timeout", "500ms", "--log-level", "warn"}, args...)
	logPath = filepath.Join(dir, "n1.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, all...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Signal(syscall.SIGKILL); _, _ = cmd.Process.Wait(); _ = logFile.Close() })
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := getReadyz(p[2])
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return grpcAddr, logPath
			}
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logPath)
			t.Fatalf("node not ready: %v\n%s", err, log)
		}
		time.Sleep(50 * time.Millisecond) // poll interval of the wait for /readyz
	}
}

// TestCertsRolesWithCtl walks the README's TLS cluster with the
// certificates `boxoffice certs` issues: ctl status works with an operator,
// a gateway and a reader certificate; a reader cannot create an event, an
// operator can. A plaintext node says on stderr, in its log and in
// Cluster.Status (ctl status) that it authorizes nothing.
func TestCertsRolesWithCtl(t *testing.T) {
	if testing.Short() {
		t.Skip("starts node processes; skipped with -short")
	}
	certs := t.TempDir()
	var stdout, stderr bytes.Buffer
	if err := runCerts([]string{"--out", certs, "--nodes", "n1", "--clients", "app:gateway,ops:operator,ro:reader"}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	bin := buildBinary(t)
	addr, logPath := startSingleNodeProcess(t, bin, "--tls-ca", filepath.Join(certs, "ca.pem"),
		"--tls-cert", filepath.Join(certs, "n1.pem"), "--tls-key", filepath.Join(certs, "n1-key.pem"),
		"--gossip-key-file", newGossipKeyFile(t, bin, certs))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	as := func(name string, args ...string) (string, error) {
		out, _, err := ctl(t, ctx, append([]string{"--addr", addr, "--tls-ca", filepath.Join(certs, "ca.pem"),
			"--tls-cert", filepath.Join(certs, name+".pem"), "--tls-key", filepath.Join(certs, name+"-key.pem")}, args...)...)
		return out, err
	}
	for _, name := range []string{"ops", "app", "ro"} {
		if out, err := as(name, "status"); err != nil || !strings.Contains(out, "n1") || strings.Contains(out, "PLAINTEXT") {
			t.Fatalf("ctl status with %s's certificate: %v\n%s", name, err, out)
		}
	}
	_, err := as("ro", "events", "create", "club", "--name", "Club", "--onsale", "1x1x4")
	if err == nil || !strings.Contains(err.Error(), `role "reader" may not call CreateEvent on the boxoffice.v1.Inventory service`) {
		t.Fatalf("reader created an event: %v", err)
	}
	if _, err := as("ops", "events", "create", "club", "--name", "Club", "--onsale", "1x1x4"); err != nil {
		t.Fatalf("operator events create: %v", err)
	}
	if out, err := as("ro", "events", "list"); err != nil || !strings.Contains(out, "club") {
		t.Fatalf("reader events list: %v\n%s", err, out)
	}
	if log, _ := os.ReadFile(logPath); bytes.Contains(log, []byte("PLAINTEXT")) {
		t.Fatalf("a TLS node warned about plaintext:\n%s", log)
	}

	plainAddr, plainLog := startSingleNodeProcess(t, bin, "--plaintext")
	log, _ := os.ReadFile(plainLog)
	if !bytes.Contains(log, []byte(node.PlaintextWarning+"\n")) || !bytes.Contains(log, []byte("level=WARN msg=\""+node.PlaintextWarning)) {
		t.Fatalf("a plaintext node must say so on stderr and in a WARN log line:\n%s", log)
	}
	if out, _, err := ctl(t, ctx, "--addr", plainAddr, "status"); err != nil || !strings.Contains(out, node.PlaintextWarning) {
		t.Fatalf("ctl status of a plaintext node must say it is plaintext: %v\n%s", err, out)
	}
}

// TestCertsHTTPS: --https issues a server certificate for the gateway's
// HTTPS port that names the hosts and carries no role, so it opens nothing
// on the cluster.
func TestCertsHTTPS(t *testing.T) {
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	if err := runCerts([]string{"--out", dir, "--nodes", "n1", "--clients", "app:gateway", "--https", "localhost,127.0.0.1"}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "https.pem"))
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(raw)
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if err := cert.VerifyHostname("localhost"); err != nil {
		t.Error(err)
	}
	if err := cert.VerifyHostname("127.0.0.1"); err != nil {
		t.Error(err)
	}
	if len(cert.Subject.OrganizationalUnit) != 0 {
		t.Errorf("HTTPS certificate carries a role: %v", cert.Subject.OrganizationalUnit)
	}
	if fi, err := os.Stat(filepath.Join(dir, "https-key.pem")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("https-key.pem: %v %v, want mode 0600", fi.Mode(), err)
	}
}
