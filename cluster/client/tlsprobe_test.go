package client

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
)

// The probe tells a TLS server from a plaintext gRPC server, and stays
// silent when the settings agree or nothing listens.
func TestTLSMismatchProbe(t *testing.T) {
	tlsServer := httptest.NewTLSServer(http.NotFoundHandler())
	defer tlsServer.Close()
	tlsAddr := strings.TrimPrefix(tlsServer.URL, "https://")

	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	plain := grpc.NewServer()
	go func() { _ = plain.Serve(lis) }()
	defer plain.Stop()
	plainAddr := lis.Addr().String()

	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.Addr().String()
	closed.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	trusting := &tls.Config{RootCAs: tlsServer.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs, MinVersion: tls.VersionTLS12}
	var mismatch *TLSMismatchError
	if err := tlsMismatch(ctx, tlsAddr, nil); !errors.As(err, &mismatch) || !mismatch.NodeSpeaksTLS || !errors.Is(err, ErrNodeRequiresTLS) {
		t.Errorf("plaintext client, TLS server: %v, want ErrNodeRequiresTLS", err)
	}
	if err := tlsMismatch(ctx, tlsAddr, trusting); err != nil {
		t.Errorf("TLS client, TLS server: %v, want no mismatch", err)
	}
	if err := tlsMismatch(ctx, tlsAddr, &tls.Config{MinVersion: tls.VersionTLS12}); err != nil {
		t.Errorf("TLS client without the server's CA, TLS server: %v, want no mismatch (a certificate problem, not TLS)", err)
	}
	if err := tlsMismatch(ctx, plainAddr, &tls.Config{MinVersion: tls.VersionTLS12}); !errors.As(err, &mismatch) || mismatch.NodeSpeaksTLS || !errors.Is(err, ErrNodeIsPlaintext) {
		t.Errorf("TLS client, plaintext server: %v, want ErrNodeIsPlaintext", err)
	}
	if err := tlsMismatch(ctx, plainAddr, nil); err != nil {
		t.Errorf("plaintext client, plaintext server: %v, want no mismatch", err)
	}
	if err := tlsMismatch(ctx, closedAddr, nil); err != nil {
		t.Errorf("nothing listening: %v, want no claim", err)
	}
}
