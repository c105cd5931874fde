package checkout

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

// The HTTP server around a Gateway. Every bound a client could otherwise
// hold open without limit has a value here: the headers, the body, the
// response, the idle keep-alive and the header size. Server-Sent Events
// streams are the one kind of response that may outlive WriteTimeout; they
// get WriteTimeout per event instead (statusRecorder moves the deadline),
// so a client that stops reading a stream is still cut off.

// Defaults of ServerConfig.
const (
	ServerReadHeaderTimeoutDefault = 5 * time.Second
	ServerBodyReadTimeoutDefault   = 10 * time.Second
	ServerWriteTimeoutDefault      = 30 * time.Second
	ServerIdleTimeoutDefault       = 60 * time.Second
	ServerHeaderBytesMaxDefault    = 64 << 10
)

// ServerConfig is the HTTP server in front of a Gateway. Zero fields take
// the defaults above.
type ServerConfig struct {
	// ReadHeaderTimeout bounds reading a request's line and headers, from
	// the first byte of the request (or the end of the previous one).
	ReadHeaderTimeout time.Duration
	// BodyReadTimeout bounds reading a request's body, counted from the end
	// of its headers. A body that has not fully arrived by then is refused
	// with 408 (or, if the handler never reads it, the connection is
	// closed), so a client sending one byte every few seconds holds a
	// connection for at most ReadHeaderTimeout + BodyReadTimeout.
	BodyReadTimeout time.Duration
	// WriteTimeout bounds an ordinary response, from the end of the
	// request's headers to its last byte. A Server-Sent Events stream has
	// no deadline while it waits for an event and WriteTimeout for
	// writing each one.
	WriteTimeout time.Duration
	// IdleTimeout closes a keep-alive connection that carries no request
	// for this long.
	IdleTimeout time.Duration
	// MaxHeaderBytes bounds the size of a request's line and headers
	// (bearer tokens from an identity provider can be a few KiB).
	MaxHeaderBytes int
	// CertFile and KeyFile (both or neither) are the PEM certificate
	// chain and private key to serve HTTPS with; ReloadCertificate reads
	// them again. Neither: plain HTTP, for the demo or behind a
	// TLS-terminating load balancer.
	CertFile, KeyFile string
	// Logger receives certificate reloads and their failures (default: discard).
	Logger *slog.Logger
}

// Validate names the first field that cannot work.
func (c ServerConfig) Validate() error {
	switch {
	case c.ReadHeaderTimeout < 0:
		return fmt.Errorf("ReadHeaderTimeout %v: want >= 0 (0: default)", c.ReadHeaderTimeout)
	case c.BodyReadTimeout < 0:
		return fmt.Errorf("BodyReadTimeout %v: want >= 0 (0: default)", c.BodyReadTimeout)
	case c.WriteTimeout < 0:
		return fmt.Errorf("WriteTimeout %v: want >= 0 (0: default)", c.WriteTimeout)
	case c.IdleTimeout < 0:
		return fmt.Errorf("IdleTimeout %v: want >= 0 (0: default)", c.IdleTimeout)
	case c.MaxHeaderBytes < 0:
		return fmt.Errorf("MaxHeaderBytes %d: want >= 0 (0: default)", c.MaxHeaderBytes)
	case (c.CertFile == "") != (c.KeyFile == ""):
		return errors.New("CertFile and KeyFile: give both or neither")
	}
	return nil
}

func (c ServerConfig) withDefaults() ServerConfig {
	if c.ReadHeaderTimeout == 0 {
		c.ReadHeaderTimeout = ServerReadHeaderTimeoutDefault
	}
	if c.BodyReadTimeout == 0 {
		c.BodyReadTimeout = ServerBodyReadTimeoutDefault
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = ServerWriteTimeoutDefault
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = ServerIdleTimeoutDefault
	}
	if c.MaxHeaderBytes == 0 {
		c.MaxHeaderBytes = ServerHeaderBytesMaxDefault
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Server serves a Gateway over HTTP or HTTPS with the bounds of its
// ServerConfig. Build it with NewServer, then Serve; Shutdown stops it.
type Server struct {
	cfg   ServerConfig
	http  *http.Server
	https bool                            // not http.TLSConfig != nil: Serve fills that in for HTTP/2 even on plain HTTP
	cert  atomic.Pointer[tls.Certificate] // the one served; swapped whole by ReloadCertificate
}

// NewServer validates cfg, loads the certificate if there is one and
// builds the server. The gateway's streams take their per-write deadline
// from cfg.WriteTimeout, so serve one gateway from one Server.
func NewServer(g *Gateway, cfg ServerConfig) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	s := &Server{cfg: cfg}
	g.streamWriteTimeout = cfg.WriteTimeout
	s.http = &http.Server{
		Handler:           s.boundBody(g.Handler()),
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		MaxHeaderBytes:    cfg.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelDebug),
	}
	if cfg.CertFile != "" {
		if err := s.loadCertificate(); err != nil {
			return nil, err
		}
		s.https = true
		s.http.TLSConfig = &tls.Config{
			MinVersion: tls.VersionTLS12,
			GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
				return s.cert.Load(), nil
			},
		}
	}
	return s, nil
}

// TLS reports whether the server speaks HTTPS.
func (s *Server) TLS() bool { return s.https }

// Serve serves l until Shutdown (then it returns http.ErrServerClosed).
func (s *Server) Serve(l net.Listener) error {
	if s.TLS() {
		return s.http.ServeTLS(l, "", "")
	}
	return s.http.Serve(l)
}

// Shutdown stops accepting connections and waits for the requests in
// flight, until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error { return s.http.Shutdown(ctx) }

// ReloadCertificate reads CertFile and KeyFile again; new TLS connections
// get the new certificate, open ones keep theirs. A file that does not
// load leaves the old certificate in place and is returned (and logged).
// boxoffice gateway calls it on SIGHUP.
func (s *Server) ReloadCertificate() error {
	if !s.TLS() {
		return errors.New("no certificate to reload: the server speaks plain HTTP")
	}
	if err := s.loadCertificate(); err != nil {
		s.cfg.Logger.Error("TLS certificate reload failed; still serving the previous certificate", "err", err)
		return err
	}
	leaf := s.cert.Load().Leaf
	s.cfg.Logger.Info("TLS certificate reloaded", "subject", leaf.Subject.String(), "not_after", leaf.NotAfter)
	return nil
}

func (s *Server) loadCertificate() error {
	pair, err := tls.LoadX509KeyPair(s.cfg.CertFile, s.cfg.KeyFile)
	if err != nil {
		return fmt.Errorf("certificate %s with key %s: %w", s.cfg.CertFile, s.cfg.KeyFile, err)
	}
	s.cert.Store(&pair)
	return nil
}

// boundBody puts a read deadline of BodyReadTimeout on every request that
// has a body, and lifts it once the body has been read to its end, so a
// handler that runs long after reading is not cut off by it. A body that
// is still arriving at the deadline fails its Read with
// os.ErrDeadlineExceeded (Gateway.prepare answers 408); a body nobody
// read fails the server's drain after the handler, which closes the
// connection.
func (s *Server) boundBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody && r.ContentLength != 0 {
			rc := http.NewResponseController(w)
			if rc.SetReadDeadline(time.Now().Add(s.cfg.BodyReadTimeout)) == nil {
				r.Body = &deadlineBody{ReadCloser: r.Body, rc: rc}
			}
		}
		next.ServeHTTP(w, r)
	})
}

type deadlineBody struct {
	io.ReadCloser
	rc     *http.ResponseController
	lifted bool
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF && !b.lifted {
		b.lifted = true
		_ = b.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}

// Security headers, shared read-only slices so that setting them
// allocates nothing per request.
var (
	headerNosniff    = []string{"nosniff"}
	headerNoStore    = []string{"no-store"}
	headerNoReferrer = []string{"no-referrer"}
	headerFrameDeny  = []string{"DENY"}
	headerCSP        = []string{"default-src 'none'; frame-ancestors 'none'"}
	headerHSTS       = []string{"max-age=63072000"}
)

// securityHeaders sets, on every response: no MIME sniffing, no caching
// (every /v1 answer is the caller's own data or changes by the second, and
// tokens, holds, orders, tickets and admission tokens must never sit in a
// shared cache), no Referer, no framing, no active content, and over HTTPS
// Strict-Transport-Security (two years) so a phone never falls back to
// plain HTTP. Handlers may override them (the seat stream says no-cache).
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["X-Content-Type-Options"] = headerNosniff
		h["Cache-Control"] = headerNoStore
		h["Referrer-Policy"] = headerNoReferrer
		h["X-Frame-Options"] = headerFrameDeny
		h["Content-Security-Policy"] = headerCSP
		if r.TLS != nil {
			h["Strict-Transport-Security"] = headerHSTS
		}
		next.ServeHTTP(w, r)
	})
}
