package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/cluster"
	"github.com/boxoffice/boxoffice/cluster/client"
	"github.com/boxoffice/boxoffice/cluster/client/clienttest"
	"github.com/boxoffice/boxoffice/internal/testport"
)

func TestRunGatewayRefusesHalfTLSFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--cluster-tls-ca", "ca.pem"}, "--cluster-tls-ca, --cluster-tls-cert and --cluster-tls-key go together"},
		{[]string{"--cluster-tls-cert", "app.pem", "--cluster-tls-key", "app-key.pem"}, "go together"},
		{[]string{"--cluster-tls-ca", "/nonexistent/ca.pem", "--cluster-tls-cert", "a", "--cluster-tls-key", "b"}, "--cluster-tls-ca: "},
		{[]string{"--tls-cert", "gw.pem"}, "--tls-cert and --tls-key go together"},
	} {
		var out, errOut bytes.Buffer
		err := runGateway(context.Background(), append([]string{"--demo", "--fake-payments"}, tc.args...), &out, &errOut)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: got %v, want an error with %q", tc.args, err, tc.want)
		}
	}
}

// TestPlainGatewaySaysSo: without the TLS flags the gateway still runs
// (the demo) and says at start, as warnings, that its cluster link is
// plaintext and that it serves plain HTTP.
func TestPlainGatewaySaysSo(t *testing.T) {
	fake := clienttest.NewCluster(t, 1)
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr lockedBuffer
	done := make(chan error, 1)
	go func() {
		done <- runGateway(ctx, []string{"--demo", "--fake-payments", "--cluster", fake.Addrs()[0], "--http-addr", "127.0.0.1:0"}, &stdout, &stderr)
	}()
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(stdout.String(), "Boxoffice gateway on http://"); time.Sleep(20 * time.Millisecond) { // poll interval
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("no banner; stdout %q, stderr:\n%s", stdout.String(), stderr.String())
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout.String(), "over plaintext") {
		t.Errorf("banner: %s", stdout.String())
	}
	for _, want := range []string{"level=WARN msg=\"the cluster connection is PLAINTEXT", "level=WARN msg=\"serving PLAIN HTTP"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
}

// TestTLSGatewayOverMutualTLSCluster is README.md's TLS cluster with a TLS
// gateway in front, walked with the real binaries: `boxoffice certs`,
// three `boxoffice start` with mutual TLS, `boxoffice gateway` dialing
// them with a client certificate and serving HTTPS with a node
// certificate of the development CA (it names 127.0.0.1), then
// checkout/README.md's fan flow with the real curl and --cacert: log in
// (demo), hold two seats, order, pay (fake), tickets. Then the served
// certificate is replaced on disk and SIGHUP makes new connections see
// the new one while the process keeps serving.
func TestTLSGatewayOverMutualTLSCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts node processes; skipped with -short")
	}
	curlBin, err := exec.LookPath("curl")
	if err != nil {
		t.Fatal("this test needs the curl binary (apt-get install curl)")
	}
	bin := buildBinary(t)
	certs := t.TempDir()
	if out, err := exec.Command(bin, "certs", "--out", certs, "--nodes", "n1,n2,n3", "--clients", "app:gateway", "--https", "localhost,127.0.0.1").CombinedOutput(); err != nil {
		t.Fatalf("boxoffice certs: %v\n%s", err, out)
	}
	cert := func(name string) string { return filepath.Join(certs, name) }

	pc := &processCluster{t: t, bin: bin, dir: t.TempDir(), procs: make([]*exec.Cmd, 3)}
	ports := testport.Ports(t, 4*3)
	for i := range 3 {
		pc.ports = append(pc.ports, [4]int{ports[4*i], ports[4*i+1], ports[4*i+2], ports[4*i+3]})
	}
	t.Cleanup(func() {
		for i := range pc.procs {
			pc.kill(i)
		}
	})
	gossipKey := newGossipKeyFile(t, bin, certs)
	for i := range 3 {
		n := fmt.Sprintf("n%d", i+1)
		pc.extra = []string{"--plaintext=false", "--tls-ca", cert("ca.pem"), "--tls-cert", cert(n + ".pem"), "--tls-key", cert(n + "-key.pem"),
			"--gossip-key-file", gossipKey}
		pc.start(i)
	}
	pc.waitReady()

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	appTLS, err := clusterTLSConfig(cert("ca.pem"), cert("app.pem"), cert("app-key.pem"), clusterTLSServerNameDefault)
	if err != nil {
		t.Fatal(err)
	}
	addrs := []string{pc.grpcAddr(0), pc.grpcAddr(1), pc.grpcAddr(2)}
	c, err := client.Dial(ctx, client.Config{Addrs: addrs, TLS: appTLS, CallTimeout: time.Second, RetryTimeout: 15 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.CreateEvent(ctx, &boxofficev1.CreateEventRequest{RequestId: "tls-create", EventId: "tls_arena", Name: "TLS arena",
		Venue: cluster.DemoArena("Arena")}); err != nil {
		t.Fatal(err)
	}

	// The gateway serves copies of the HTTPS certificate, so the test can
	// replace them for the reload.
	served := t.TempDir()
	copyFile(t, cert("https.pem"), filepath.Join(served, "gateway.pem"))
	copyFile(t, cert("https-key.pem"), filepath.Join(served, "gateway-key.pem"))
	gateway := exec.Command(bin, "gateway", "--demo", "--fake-payments", "--http-addr", "127.0.0.1:0",
		"--cluster", strings.Join(addrs, ","),
		"--cluster-tls-ca", cert("ca.pem"), "--cluster-tls-cert", cert("app.pem"), "--cluster-tls-key", cert("app-key.pem"),
		"--tls-cert", filepath.Join(served, "gateway.pem"), "--tls-key", filepath.Join(served, "gateway-key.pem"))
	var gatewayLog lockedBuffer
	gateway.Stderr = &gatewayLog
	stdout, err := gateway.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := gateway.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = gateway.Process.Kill(); _ = gateway.Wait() })
	lines := bufio.NewScanner(stdout)
	addr := ""
	for addr == "" && lines.Scan() {
		if rest, ok := strings.CutPrefix(lines.Text(), "Boxoffice gateway on https://"); ok {
			addr, _, _ = strings.Cut(rest, " ")
			if !strings.Contains(rest, "over mutual TLS") {
				t.Errorf("gateway banner: %s", lines.Text())
			}
		}
	}
	if addr == "" {
		t.Fatalf("the gateway never printed an https address; stderr:\n%s", gatewayLog.String())
	}
	go func() {
		for lines.Scan() {
		}
	}()
	if log := gatewayLog.String(); strings.Contains(log, "PLAINTEXT") || strings.Contains(log, "PLAIN HTTP") {
		t.Fatalf("TLS gateway warns of plaintext:\n%s", log)
	}
	base := "https://" + addr

	// curl runs the real binary and returns the status, headers and body.
	curl := func(method, path, token, idemKey, body string, extra ...string) (int, string, map[string]any) {
		t.Helper()
		headers := filepath.Join(t.TempDir(), "headers")
		args := []string{"-sS", "--cacert", cert("ca.pem"), "-X", method, "-D", headers, "-w", "\n%{http_code}", base + path}
		if token != "" {
			args = append(args, "-H", "Authorization: Bearer "+token)
		}
		if idemKey != "" {
			args = append(args, "-H", "Idempotency-Key: "+idemKey)
		}
		if body != "" {
			args = append(args, "-d", body)
		}
		out, err := exec.Command(curlBin, append(args, extra...)...).CombinedOutput()
		if err != nil {
			return 0, string(out), nil
		}
		text := strings.TrimSpace(string(out))
		i := strings.LastIndexByte(text, '\n')
		var code int
		fmt.Sscan(text[i+1:], &code)
		var m map[string]any
		_ = json.Unmarshal([]byte(text[:max(i, 0)]), &m)
		h, _ := os.ReadFile(headers)
		return code, string(h), m
	}
	must := func(want int, method, path, token, idemKey, body string) map[string]any {
		t.Helper()
		code, headers, m := curl(method, path, token, idemKey, body)
		if code != want {
			t.Fatalf("curl %s %s: %d, want %d: %v %s", method, path, code, want, m, headers)
		}
		return m
	}

	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) { // poll interval
		if code, _, _ := curl("GET", "/readyz", "", "", ""); code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("gateway never ready over mutual TLS; stderr:\n%s", gatewayLog.String())
		}
	}
	// Only the CA's certificate is trusted: without --cacert curl refuses.
	if out, err := exec.Command(curlBin, "-sS", base+"/healthz").CombinedOutput(); err == nil {
		t.Fatalf("curl without --cacert accepted the gateway's certificate: %s", out)
	}

	code, headers, login := curl("POST", "/v1/dev/login", "", "login-alice", `{"subject":"alice","role":"fan"}`)
	if code != 200 {
		t.Fatalf("login: %d %v", code, login)
	}
	for _, h := range []string{"strict-transport-security: max-age=", "cache-control: no-store", "x-content-type-options: nosniff"} {
		if !strings.Contains(strings.ToLower(headers), h) {
			t.Errorf("login response lacks %q:\n%s", h, headers)
		}
	}
	fan := login["token"].(string)
	hold := must(201, "POST", "/v1/events/tls_arena/holds", fan, "hold-1", `{"best":{"quantity":2,"section_id":"101"}}`)
	order := must(201, "POST", "/v1/orders", fan, "order-1", fmt.Sprintf(`{"hold_id":%q}`, hold["hold_id"]))
	paid := must(200, "POST", "/v1/orders/"+order["order_id"].(string)+"/fake-pay", fan, "pay-1", `{}`)
	if paid["state"] != "paid" {
		t.Fatalf("paid: %v", paid)
	}
	tickets := must(200, "GET", "/v1/tickets", fan, "", "")["tickets"].([]any)
	if len(tickets) != 2 || tickets[0].(map[string]any)["qr_payload"] == "" {
		t.Fatalf("tickets: %v", tickets)
	}

	// Rotation: new files on disk, SIGHUP, new connections see n2's
	// certificate; the process keeps serving.
	copyFile(t, cert("n2.pem"), filepath.Join(served, "gateway.pem"))
	copyFile(t, cert("n2-key.pem"), filepath.Join(served, "gateway-key.pem"))
	if err := gateway.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	caPEM, _ := os.ReadFile(cert("ca.pem"))
	pool.AppendCertsFromPEM(caPEM)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) { // poll interval
		conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
		if err == nil {
			cn := conn.ConnectionState().PeerCertificates[0].Subject.CommonName
			conn.Close()
			if cn == "n2" {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("still not serving n2's certificate 10 s after SIGHUP (%v); stderr:\n%s", err, gatewayLog.String())
		}
	}
	must(200, "GET", "/v1/tickets", fan, "", "")
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	// Write a new file and rename it over the old one, as a certificate
	// manager does, so the gateway never reads half a file.
	tmp := to + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, to); err != nil {
		t.Fatal(err)
	}
}

// lockedBuffer collects a process's stderr while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
