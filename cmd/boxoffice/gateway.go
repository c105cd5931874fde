package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/boxoffice/boxoffice/checkout"
	"github.com/boxoffice/boxoffice/checkout/clusterstore"
	"github.com/boxoffice/boxoffice/cluster/client"
)

// runGateway runs `boxoffice gateway`: the HTTP/JSON API for mobile apps,
// a stateless client of the cluster.
//
// Every record that must survive (orders, tickets, queue positions,
// idempotency keys, the outbox) lives in the cluster's Records service
// (checkout/clusterstore), so any number of gateways can serve behind a
// load balancer. Every secret flag also reads BOXOFFICE_<FLAG>.
func runGateway(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("boxoffice gateway", flag.ContinueOnError)
	fs.SetOutput(stderr)
	useHelp(fs, gatewayHelp)
	clusterAddrs := fs.String("cluster", envOr("BOXOFFICE_CLUSTER", "127.0.0.1:7101"), "comma-separated gRPC addresses of cluster nodes")
	httpAddr := fs.String("http-addr", envOr("BOXOFFICE_HTTP_ADDR", "127.0.0.1:8080"), "address to serve the HTTP API on")
	jwtSecret := fs.String("jwt-secret", os.Getenv("BOXOFFICE_JWT_SECRET"), "HS256 secret of bearer and admission tokens (>= 32 bytes; shared by all gateways)")
	ticketSeed := fs.String("ticket-key", os.Getenv("BOXOFFICE_TICKET_KEY"), "base64 Ed25519 seed (32 bytes) that signs ticket QRs (shared by all gateways)")
	keys := ticketKeyFlags(fs)
	stripeKey := fs.String("stripe-secret-key", os.Getenv("BOXOFFICE_STRIPE_SECRET_KEY"), "Stripe API key; empty with --fake-payments")
	stripeWebhook := fs.String("stripe-webhook-secret", os.Getenv("BOXOFFICE_STRIPE_WEBHOOK_SECRET"), "Stripe webhook signing secret (whsec_...)")
	stripeURL := fs.String("stripe-url", os.Getenv("BOXOFFICE_STRIPE_URL"), "Stripe API base URL override (stripe-mock)")
	fakePayments := fs.Bool("fake-payments", false, "use the in-memory fake payment provider (demo)")
	demo := fs.Bool("demo", false, "demo mode: POST /v1/dev/login and fake-pay are enabled")
	notifyURL := fs.String("notify-url", os.Getenv("BOXOFFICE_NOTIFY_URL"), "webhook receiving notifications (at least once)")
	trustedProxies := fs.String("trusted-proxies", os.Getenv("BOXOFFICE_TRUSTED_PROXIES"), "comma-separated CIDRs (or addresses) of the load balancers whose X-Forwarded-For the per-IP rate limit believes; empty: none")
	auth := addAuthFlags(fs)
	limit := fs.Int("ticket-limit", checkout.TicketLimitPerBuyerDefault, "seats per buyer per event")
	holdTTL := fs.Duration("hold-ttl", checkout.HoldTTLDefault, "lifetime of a fan's hold (the event's policy caps it)")
	paymentWindow := fs.Duration("payment-window", checkout.PaymentWindowDefault, "how long an order may stay unpaid before the reconciler cancels its payment and releases its seats")
	reconcileInterval := fs.Duration("reconcile-interval", checkout.ReconcileIntervalDefault, "time between the reconciler's passes over open orders")
	var logs logFlags
	logs.register(fs, "info")
	// Transport security: mutual TLS to the cluster, HTTPS to the phones.
	clusterTLSCA := fs.String("cluster-tls-ca", os.Getenv("BOXOFFICE_CLUSTER_TLS_CA"), "PEM `file` of the CA that signed the nodes' certificates; with --cluster-tls-cert and --cluster-tls-key (none of the three: plaintext, demo only)")
	clusterTLSCert := fs.String("cluster-tls-cert", os.Getenv("BOXOFFICE_CLUSTER_TLS_CERT"), "PEM client certificate `file` the gateway shows the nodes")
	clusterTLSKey := fs.String("cluster-tls-key", os.Getenv("BOXOFFICE_CLUSTER_TLS_KEY"), "PEM key `file` of --cluster-tls-cert")
	clusterTLSServerName := fs.String("cluster-tls-server-name", envOr("BOXOFFICE_CLUSTER_TLS_SERVER_NAME", clusterTLSServerNameDefault), "DNS `name` the nodes' certificates must carry (as boxoffice start --tls-server-name)")
	tlsCert := fs.String("tls-cert", os.Getenv("BOXOFFICE_TLS_CERT"), "PEM certificate chain `file` to serve HTTPS with, reloaded on SIGHUP; with --tls-key (neither: plain HTTP, demo only)")
	tlsKey := fs.String("tls-key", os.Getenv("BOXOFFICE_TLS_KEY"), "PEM key `file` of --tls-cert")
	if err := fs.Parse(args); err != nil {
		return err
	}
	logger, err := logs.logger(stderr)
	if err != nil {
		return err
	}
	proxies, err := parseTrustedProxies(*trustedProxies)
	if err != nil {
		return err
	}
	if *demo && *jwtSecret == "" {
		*jwtSecret = randomSecret()
	}
	var key ed25519.PrivateKey
	switch {
	case *ticketSeed != "":
		seed, err := base64.StdEncoding.DecodeString(*ticketSeed)
		if err != nil || len(seed) != ed25519.SeedSize {
			return fmt.Errorf("--ticket-key: want base64 of %d bytes", ed25519.SeedSize)
		}
		key = ed25519.NewKeyFromSeed(seed)
	case *demo:
		_, key, _ = ed25519.GenerateKey(rand.Reader)
	default:
		return errors.New("--ticket-key is required outside --demo")
	}
	older, recordKeys, scanSecret, err := keys.parse(*demo)
	if err != nil {
		return err
	}
	var payments checkout.Payments
	if *fakePayments {
		payments = checkout.NewFakePayments(randomSecret())
	} else {
		sp, err := checkout.NewStripePayments(checkout.StripeConfig{SecretKey: *stripeKey, WebhookSecret: *stripeWebhook, BaseURL: *stripeURL, Logger: logger})
		if err != nil {
			return fmt.Errorf("payments (or pass --fake-payments): %w", err)
		}
		payments = sp
	}
	var authCfg checkout.Config // the bearer-token fields, checked before dialing
	if err := auth.apply(&authCfg); err != nil {
		return err
	}
	clusterTLS, err := clusterTLSConfig(*clusterTLSCA, *clusterTLSCert, *clusterTLSKey, *clusterTLSServerName)
	if err != nil {
		return err
	}
	if (*tlsCert == "") != (*tlsKey == "") {
		return errors.New("--tls-cert and --tls-key go together")
	}
	c, err := client.Dial(ctx, client.Config{Addrs: strings.Split(*clusterAddrs, ","), TLS: clusterTLS, Logger: logger})
	var mismatch *client.TLSMismatchError
	switch {
	case errors.As(err, &mismatch) && mismatch.NodeSpeaksTLS:
		return fmt.Errorf("--cluster %s: %w: pass --cluster-tls-ca, --cluster-tls-cert and --cluster-tls-key (a gateway certificate)", mismatch.Addr, client.ErrNodeRequiresTLS)
	case errors.As(err, &mismatch):
		return fmt.Errorf("--cluster %s: %w: drop --cluster-tls-ca, --cluster-tls-cert and --cluster-tls-key for this cluster", mismatch.Addr, client.ErrNodeIsPlaintext)
	case err != nil:
		return fmt.Errorf("--cluster: %w", err)
	}
	defer c.Close()
	srv, stop, addr, err := startGatewayServer(ctx, checkout.Config{
		Inventory: c, Store: clusterstore.New(c), Payments: payments, JWTSecret: []byte(*jwtSecret), TicketKey: key,
		TicketKeysOlder: older, RecordKeys: recordKeys, ScanSecret: scanSecret, DemoMode: *demo, TicketLimitPerBuyer: *limit,
		HoldTTL: *holdTTL, PaymentWindow: *paymentWindow, ReconcileInterval: *reconcileInterval, NotifyURL: *notifyURL, TrustedProxies: proxies, Logger: logger,
		OIDC: authCfg.OIDC, TokenLifetimeMax: authCfg.TokenLifetimeMax, RequireMFA: authCfg.RequireMFA, MFAACRValues: authCfg.MFAACRValues,
	}, checkout.ServerConfig{CertFile: *tlsCert, KeyFile: *tlsKey, Logger: logger}, *httpAddr)
	if err != nil {
		return err
	}
	scheme, cluster := "http", "plaintext"
	if clusterTLS == nil {
		logger.Warn("the cluster connection is PLAINTEXT: no encryption and no client certificate, for the demo only; " +
			"pass --cluster-tls-ca, --cluster-tls-cert and --cluster-tls-key")
	} else {
		cluster = "mutual TLS"
	}
	if srv.TLS() {
		scheme = "https"
		// SIGHUP re-reads --tls-cert/--tls-key (certificate rotation
		// without a restart); a file that does not load keeps the old one.
		hup := make(chan os.Signal, 1)
		signal.Notify(hup, syscall.SIGHUP)
		defer signal.Stop(hup)
		go func() {
			for {
				select {
				case <-ctx.Done():
					return
				case <-hup:
					_ = srv.ReloadCertificate() // logged by the server
				}
			}
		}()
	} else {
		logger.Warn("serving PLAIN HTTP: bearer tokens, tickets and payment secrets cross the network in clear, for the demo only; " +
			"pass --tls-cert and --tls-key, or terminate TLS in a load balancer in front")
	}
	fmt.Fprintf(stdout, "Boxoffice gateway on %s://%s (cluster %s over %s, payments %s)\n", scheme, addr, *clusterAddrs, cluster, payments.Name())
	<-ctx.Done()
	stop()
	return nil
}

// clusterTLSServerNameDefault matches boxoffice start --tls-server-name.
const clusterTLSServerNameDefault = "server.boxoffice"

// clusterTLSConfig builds the gateway's mutual-TLS configuration for the
// cluster from the --cluster-tls-* flags: all three files or none (nil:
// plaintext). The nodes must present certificates from ca that name
// serverName.
func clusterTLSConfig(ca, cert, key, serverName string) (*tls.Config, error) {
	if ca == "" && cert == "" && key == "" {
		return nil, nil
	}
	if ca == "" || cert == "" || key == "" {
		return nil, errors.New("--cluster-tls-ca, --cluster-tls-cert and --cluster-tls-key go together (the nodes require a client certificate)")
	}
	pemBytes, err := os.ReadFile(ca)
	if err != nil {
		return nil, fmt.Errorf("--cluster-tls-ca: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		return nil, fmt.Errorf("--cluster-tls-ca %s: no PEM certificate in it", ca)
	}
	pair, err := tls.LoadX509KeyPair(cert, key)
	if err != nil {
		return nil, fmt.Errorf("--cluster-tls-cert/--cluster-tls-key: %w", err)
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, ServerName: serverName, RootCAs: pool, Certificates: []tls.Certificate{pair}}, nil
}

// startDemoGateway starts a demo-mode gateway (fake payments, dev login,
// records in the cluster) in this process against the cluster at grpcAddrs;
// `boxoffice demo` calls it. stop shuts the HTTP server, then the
// background loops, then the cluster client.
func startDemoGateway(ctx context.Context, grpcAddrs []string, httpAddr string, logger *slog.Logger) (stop func(), addr string, err error) {
	c, err := client.Dial(ctx, client.Config{Addrs: grpcAddrs, Logger: logger})
	if err != nil {
		return nil, "", err
	}
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	stopServer, addr, err := serveGateway(ctx, checkout.Config{
		Inventory: c, Store: clusterstore.New(c), Payments: checkout.NewFakePayments(randomSecret()),
		JWTSecret: []byte(randomSecret()), TicketKey: key, DemoMode: true, Logger: logger,
		// Keys live as long as the demo process, like its cluster's data.
		RecordKeys: checkout.NewKeyRing(randomKeyBytes()), ScanSecret: randomKeyBytes(),
	}, httpAddr)
	if err != nil {
		_ = c.Close()
		return nil, "", err
	}
	return func() { stopServer(); _ = c.Close() }, addr, nil
}

// serveGateway builds a gateway, serves it over plain HTTP on httpAddr
// with the default server bounds and runs its background loops until stop.
func serveGateway(ctx context.Context, cfg checkout.Config, httpAddr string) (stop func(), addr string, err error) {
	_, stop, addr, err = startGatewayServer(ctx, cfg, checkout.ServerConfig{Logger: cfg.Logger}, httpAddr)
	return stop, addr, err
}

// startGatewayServer builds a gateway and its server (HTTPS when
// serverCfg names a certificate), listens on httpAddr and runs the
// gateway's background loops until stop.
func startGatewayServer(ctx context.Context, cfg checkout.Config, serverCfg checkout.ServerConfig, httpAddr string) (srv *checkout.Server, stop func(), addr string, err error) {
	g, err := checkout.New(cfg)
	if err != nil {
		return nil, nil, "", err
	}
	srv, err = checkout.NewServer(g, serverCfg)
	if err != nil {
		return nil, nil, "", fmt.Errorf("--tls-cert/--tls-key: %w", err)
	}
	l, err := net.Listen("tcp", httpAddr)
	if err != nil {
		return nil, nil, "", err
	}
	loopCtx, cancelLoops := context.WithCancel(ctx)
	loopsDone := make(chan struct{})
	go func() { defer close(loopsDone); g.Run(loopCtx) }()
	go func() { _ = srv.Serve(l) }()
	return srv, func() {
		// Stop taking requests first, then the loops that finish orders.
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdownCtx)
		cancelLoops()
		<-loopsDone
	}, l.Addr().String(), nil
}

// ticketKeyOptions are the flags of the keys that protect tickets beyond
// --ticket-key: older QR signing keys still accepted, the record sealing
// keys and the scan secret (checkout.Config documents each).
type ticketKeyOptions struct {
	ticketOld, record, recordOld, scan *string
}

func ticketKeyFlags(fs *flag.FlagSet) ticketKeyOptions {
	return ticketKeyOptions{
		ticketOld: fs.String("ticket-key-old", os.Getenv("BOXOFFICE_TICKET_KEY_OLD"), "comma-separated base64 (or base64url) Ed25519 public keys of earlier --ticket-keys whose QRs are still accepted"),
		record:    fs.String("record-key", os.Getenv("BOXOFFICE_RECORD_KEY"), "base64 key (>= 32 bytes) sealing ticket and order records (shared by all gateways; random with --demo)"),
		recordOld: fs.String("record-key-old", os.Getenv("BOXOFFICE_RECORD_KEY_OLD"), "comma-separated base64 earlier --record-keys whose records are still accepted"),
		scan:      fs.String("scan-secret", os.Getenv("BOXOFFICE_SCAN_SECRET"), "base64 secret (>= 32 bytes) deriving events' scan keys for rotating QR codes (shared by all gateways; random with --demo)"),
	}
}

func (k ticketKeyOptions) parse(demo bool) (older []ed25519.PublicKey, records checkout.KeyRing, scan []byte, err error) {
	for _, item := range splitKeyList(*k.ticketOld) {
		pub, err := base64.StdEncoding.DecodeString(item)
		if err != nil {
			pub, err = base64.RawURLEncoding.DecodeString(item) // as GET /v1/tickets/public-key prints it
		}
		if err != nil || len(pub) != ed25519.PublicKeySize {
			return nil, records, nil, fmt.Errorf("--ticket-key-old: want base64 Ed25519 public keys of %d bytes", ed25519.PublicKeySize)
		}
		older = append(older, pub)
	}
	secret := func(flagName, value string) ([]byte, error) {
		if value == "" && demo {
			return randomKeyBytes(), nil
		}
		b, err := base64.StdEncoding.DecodeString(value)
		if err != nil || len(b) < checkout.RecordKeyBytesMin {
			return nil, fmt.Errorf("--%s: want base64 of at least %d bytes (required outside --demo)", flagName, checkout.RecordKeyBytesMin)
		}
		return b, nil
	}
	current, err := secret("record-key", *k.record)
	if err != nil {
		return nil, records, nil, err
	}
	var previous [][]byte
	for _, item := range splitKeyList(*k.recordOld) {
		b, err := secret("record-key-old", item)
		if err != nil {
			return nil, records, nil, err
		}
		previous = append(previous, b)
	}
	if scan, err = secret("scan-secret", *k.scan); err != nil {
		return nil, records, nil, err
	}
	return older, checkout.NewKeyRing(current, previous...), scan, nil
}

func splitKeyList(list string) []string {
	var out []string
	for _, item := range strings.Split(list, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

func randomKeyBytes() []byte {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return b
}

// parseTrustedProxies reads --trusted-proxies: comma-separated CIDRs; a
// bare address means that one host.
func parseTrustedProxies(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if p, err := netip.ParsePrefix(item); err == nil {
			out = append(out, p.Masked())
			continue
		}
		addr, err := netip.ParseAddr(item)
		if err != nil {
			return nil, fmt.Errorf("--trusted-proxies: %q is neither a CIDR nor an address", item)
		}
		out = append(out, netip.PrefixFrom(addr.Unmap(), addr.Unmap().BitLen()))
	}
	return out, nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func randomSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
