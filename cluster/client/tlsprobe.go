package client

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
)

// Errors Dial returns when the client and a node disagree about TLS. gRPC
// alone reports a plaintext client at a TLS node as "error reading server
// preface: EOF", which names neither side's setting; Dial probes the node
// and says which one to change.
var (
	// ErrNodeRequiresTLS: Config.TLS is nil and the node speaks TLS.
	ErrNodeRequiresTLS = errors.New("the node requires TLS")
	// ErrNodeIsPlaintext: Config.TLS is set and the node does not speak
	// TLS (it was started with --plaintext).
	ErrNodeIsPlaintext = errors.New("the node does not speak TLS (it serves plaintext)")
)

// tlsProbeTimeout bounds one probe: a TCP connect and a TLS ClientHello.
// Dial probes at most tlsProbesMax addresses, one after another.
const (
	tlsProbeTimeout = 2 * time.Second
	tlsProbesMax    = 3
)

// TLSMismatchError is Dial's answer when Config.TLS and a node disagree
// about TLS. It matches ErrNodeRequiresTLS or ErrNodeIsPlaintext with
// errors.Is.
type TLSMismatchError struct {
	// Addr is the node's address.
	Addr string
	// NodeSpeaksTLS is true when the node requires TLS and the client has
	// none, false when the client has TLS and the node serves plaintext.
	NodeSpeaksTLS bool
}

func (e *TLSMismatchError) Error() string {
	if e.NodeSpeaksTLS {
		return fmt.Sprintf("%s: %v: set Config.TLS (RootCAs: the CA that signed the nodes' certificates; Certificates: a client certificate the CA signed)", e.Addr, ErrNodeRequiresTLS)
	}
	return fmt.Sprintf("%s: %v: leave Config.TLS nil for this node, or start the node with TLS", e.Addr, ErrNodeIsPlaintext)
}

func (e *TLSMismatchError) Unwrap() error {
	if e.NodeSpeaksTLS {
		return ErrNodeRequiresTLS
	}
	return ErrNodeIsPlaintext
}

// CheckTLS asks addr whether it speaks TLS and returns a *TLSMismatchError
// when that differs from clientTLS (nil: plaintext), or nil when they agree
// or the node could not be asked. Dial does this itself when its first call
// fails; tools that make their own gRPC connections call it after a
// failure to say which setting to change.
func CheckTLS(ctx context.Context, addr string, clientTLS *tls.Config) error {
	return tlsMismatch(ctx, addr, clientTLS)
}

// tlsMismatch returns a *TLSMismatchError when addr's TLS setting differs
// from the client's, or nil when they agree or the probe could not tell
// (address unreachable, not a host:port).
//
// The probe starts a TLS handshake and sends nothing else: a TLS node
// answers with its ServerHello (the handshake then succeeds or fails on a
// certificate, either way the node spoke TLS); a plaintext gRPC node
// answers with HTTP/2 bytes, which crypto/tls reports as a RecordHeaderError.
func tlsMismatch(ctx context.Context, addr string, clientTLS *tls.Config) error {
	if strings.Contains(addr, "://") {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, tlsProbeTimeout)
	defer cancel()
	speaksTLS, known := probeTLS(ctx, addr, clientTLS)
	if known && speaksTLS != (clientTLS != nil) {
		return &TLSMismatchError{Addr: addr, NodeSpeaksTLS: speaksTLS}
	}
	return nil
}

// probeTLS reports whether addr answers a TLS ClientHello as a TLS server;
// known is false when the probe could not tell.
func probeTLS(ctx context.Context, addr string, clientTLS *tls.Config) (speaksTLS, known bool) {
	var config *tls.Config
	if clientTLS != nil {
		config = clientTLS.Clone()
	} else {
		// The probe only asks whether the peer speaks TLS; it sends no data
		// and trusts nothing the node says, so any CA will do: a
		// certificate error still proves a TLS server.
		config = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if config.ServerName == "" {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return false, false
		}
		config.ServerName = host
	}
	var dialer net.Dialer
	raw, err := dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return false, false
	}
	defer raw.Close()
	if deadline, ok := ctx.Deadline(); ok {
		_ = raw.SetDeadline(deadline)
	}
	conn := tls.Client(raw, config)
	err = conn.HandshakeContext(ctx)
	var recordErr tls.RecordHeaderError
	var alert tls.AlertError
	var certErr *tls.CertificateVerificationError
	switch {
	case err == nil, errors.As(err, &certErr), errors.As(err, &alert):
		return true, true
	case errors.As(err, &recordErr):
		return false, true
	}
	return false, false
}
