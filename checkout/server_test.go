package checkout_test

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice/checkout"
)

// served starts a gateway behind a real checkout.Server on a loopback
// port; the returned gw's do and must talk to it over plain HTTP.
func (e *env) served(cfg checkout.ServerConfig, mod ...func(*checkout.Config)) (*gw, *checkout.Server, string) {
	e.t.Helper()
	g := e.gateway(mod...)
	srv, err := checkout.NewServer(g.g, cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		e.t.Fatal(err)
	}
	go func() { _ = srv.Serve(l) }()
	e.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	scheme := "http"
	if srv.TLS() {
		scheme = "https"
	}
	base := scheme + "://" + l.Addr().String()
	return &gw{t: e.t, g: g.g, srv: &httptest.Server{URL: base}}, srv, l.Addr().String()
}

// TestSlowBodyIsCutOff is the slow-body attack: a client sends the
// headers of a POST, then its body one byte at a time, slower than the
// server will wait. Before the body bound such a client held a connection
// (and a handler) for as long as it kept trickling; now the gateway
// answers 408 with a problem and closes the connection within
// BodyReadTimeout, and the hold the body would have asked for is not made.
// A body sent to a route that never reads it is cut off the same way.
func TestSlowBodyIsCutOff(t *testing.T) {
	e := newEnv(t)
	e.event("slow_arena")
	const bound = time.Second
	g, _, addr := e.served(checkout.ServerConfig{ReadHeaderTimeout: bound, BodyReadTimeout: bound})
	fan := g.login("slowfan", "fan")

	body := `{"best":{"quantity":2}}`
	for _, tc := range []struct {
		name, path, wantStatus, wantInBody string
	}{
		{"hold", "/v1/events/slow_arena/holds", "408", problemTypePrefix + "request-timeout"},
		{"unknown route", "/v1/nowhere", "404", problemTypePrefix + "not-found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nIdempotency-Key: slow-%s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n",
				tc.path, addr, fan, tc.name, len(body))
			start := time.Now()
			closed := make(chan string, 1)
			go func() {
				all, _ := io.ReadAll(conn) // until the server closes the connection
				closed <- string(all)
			}()
			var answer string
		trickle:
			for i := 0; i < len(body)-1; i++ { // never the last byte
				select {
				case answer = <-closed:
					break trickle
				case <-time.After(300 * time.Millisecond):
					_, _ = conn.Write([]byte{body[i]})
				}
			}
			if answer == "" {
				select {
				case answer = <-closed:
				case <-time.After(5 * bound):
					t.Fatalf("connection still open %v after the headers (bound %v)", time.Since(start), bound)
				}
			}
			held := time.Since(start)
			if held > bound+2*time.Second {
				t.Fatalf("connection held %v, want about %v", held, bound)
			}
			if !strings.HasPrefix(answer, "HTTP/1.1 "+tc.wantStatus) || !strings.Contains(answer, tc.wantInBody) {
				t.Fatalf("answer:\n%s", answer)
			}
			if !strings.Contains(answer, "application/problem+json") {
				t.Fatalf("answer is not a problem:\n%s", answer)
			}
		})
	}
	if holds := g.must(200, "GET", "/v1/holds", fan, nil)["holds"]; holds != nil && len(holds.([]any)) != 0 {
		t.Fatalf("the slow body made holds: %v", holds)
	}
}

const problemTypePrefix = "https://boxoffice.dev/problems/"

// TestStreamOutlivesWriteTimeout: with a WriteTimeout of 1 s, an ordinary
// request still works and a seat stream opened before it keeps delivering
// events well after 1 s (each event moves the stream's write deadline).
func TestStreamOutlivesWriteTimeout(t *testing.T) {
	e := newEnv(t)
	e.event("stream_arena")
	g, _, _ := e.served(checkout.ServerConfig{WriteTimeout: time.Second})
	fan := g.login("streamfan", "fan")

	req, _ := http.NewRequest("GET", g.srv.URL+"/v1/events/stream_arena/seats/stream", nil)
	req.Header.Set("Authorization", "Bearer "+fan)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("stream: %d", resp.StatusCode)
	}
	lines := make(chan string, 100)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	time.Sleep(2500 * time.Millisecond) // past the WriteTimeout the server set when the stream began
	g.must(201, "POST", "/v1/events/stream_arena/holds", fan, map[string]any{"best": map[string]any{"quantity": 1}})
	deadline := time.After(10 * time.Second)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatal("the stream ended before the seat event")
			}
			if line == "event: seat" {
				return
			}
		case <-deadline:
			t.Fatal("no seat event within 10 s")
		}
	}
}

// TestSecurityHeaders: every response, problems included, forbids MIME
// sniffing, caching, referrers and framing; HSTS only over HTTPS.
func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t)
	e.event("hdr_arena")
	g := e.gateway()
	fan := g.login("hdrfan", "fan")
	hold := g.must(201, "POST", "/v1/events/hdr_arena/holds", fan, map[string]any{"best": map[string]any{"quantity": 1}})
	check := func(t *testing.T, r resp, what string, https bool) {
		t.Helper()
		for name, want := range map[string]string{
			"X-Content-Type-Options": "nosniff",
			"Cache-Control":          "no-store",
			"Referrer-Policy":        "no-referrer",
			"X-Frame-Options":        "DENY",
		} {
			if got := r.header.Get(name); got != want {
				t.Errorf("%s: %s = %q, want %q", what, name, got, want)
			}
		}
		if hsts := r.header.Get("Strict-Transport-Security"); (hsts != "") != https {
			t.Errorf("%s: Strict-Transport-Security %q over https=%v", what, hsts, https)
		}
	}
	for _, c := range []struct {
		method, path string
		body         any
	}{
		{"POST", "/v1/dev/login", map[string]string{"subject": "x", "role": "fan"}},
		{"GET", "/v1/holds", nil},
		{"GET", "/v1/holds/" + str(hold, "hold_id"), nil},
		{"GET", "/v1/orders", nil},
		{"GET", "/v1/tickets", nil},
		{"GET", "/v1/orders/nope", nil},
		{"GET", "/v1/nowhere", nil},
	} {
		check(t, g.do(c.method, c.path, fan, c.body), c.method+" "+c.path, false)
	}

	certFile, keyFile := writeCert(t, t.TempDir(), "hdr")
	tg, _, _ := e.served(checkout.ServerConfig{CertFile: certFile, KeyFile: keyFile})
	client := tlsClient(t, certFile)
	r, err := client.Get(tg.srv.URL + "/v1/tickets")
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	check(t, resp{status: r.StatusCode, header: r.Header}, "https GET /v1/tickets", true)
}

// TestCertificateReload: after the certificate files are replaced and
// ReloadCertificate runs, a new TLS connection sees the new certificate;
// a broken file on reload is refused and the previous certificate stays.
func TestCertificateReload(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	certFile, keyFile := writeCert(t, dir, "first")
	_, srv, addr := e.served(checkout.ServerConfig{CertFile: certFile, KeyFile: keyFile})
	served := func() string {
		t.Helper()
		conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true}) // only reads which certificate is served
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		return conn.ConnectionState().PeerCertificates[0].Subject.CommonName
	}
	if got := served(); got != "first" {
		t.Fatalf("served %q, want first", got)
	}
	writeCert(t, dir, "second") // replaces both files
	if err := srv.ReloadCertificate(); err != nil {
		t.Fatal(err)
	}
	if got := served(); got != "second" {
		t.Fatalf("after reload served %q, want second", got)
	}
	if err := os.WriteFile(certFile, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := srv.ReloadCertificate(); err == nil {
		t.Fatal("a broken certificate file was accepted")
	}
	if got := served(); got != "second" {
		t.Fatalf("after a failed reload served %q, want second", got)
	}
}

func TestServerConfigValidate(t *testing.T) {
	e := newEnv(t)
	g := e.gateway()
	for _, tc := range []struct {
		cfg  checkout.ServerConfig
		want string
	}{
		{checkout.ServerConfig{BodyReadTimeout: -1}, "BodyReadTimeout"},
		{checkout.ServerConfig{WriteTimeout: -time.Second}, "WriteTimeout"},
		{checkout.ServerConfig{CertFile: "x.pem"}, "CertFile and KeyFile"},
		{checkout.ServerConfig{CertFile: "/nonexistent/x.pem", KeyFile: "/nonexistent/x-key.pem"}, "/nonexistent/x.pem"},
	} {
		if _, err := checkout.NewServer(g.g, tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: got %v, want an error naming %s", tc.cfg, err, tc.want)
		}
	}
}

// writeCert writes a self-signed certificate for localhost and 127.0.0.1
// with common name cn to dir/server.pem and dir/server-key.pem.
func writeCert(t *testing.T, dir, cn string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		IsCA:         true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile = filepath.Join(dir, "server.pem"), filepath.Join(dir, "server-key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

// tlsClient trusts only the certificate in certFile.
func tlsClient(t *testing.T, certFile string) *http.Client {
	t.Helper()
	pemBytes, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		t.Fatal(errors.New("no certificate in " + certFile))
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 10 * time.Second}
}
