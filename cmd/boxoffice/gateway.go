package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
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
	limit := fs.Int("ticket-limit", checkout.TicketLimitPerBuyerDefault, "seats per buyer per event")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
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
		sp, err := checkout.NewStripePayments(checkout.StripeConfig{SecretKey: *stripeKey, WebhookSecret: *stripeWebhook, BaseURL: *stripeURL})
		if err != nil {
			return fmt.Errorf("payments (or pass --fake-payments): %w", err)
		}
		payments = sp
	}
	c, err := client.Dial(ctx, client.Config{Addrs: strings.Split(*clusterAddrs, ","), Logger: logger})
	if err != nil {
		return fmt.Errorf("--cluster: %w", err)
	}
	defer c.Close()
	stop, addr, err := serveGateway(ctx, checkout.Config{
		Inventory: c, Store: clusterstore.New(c), Payments: payments, JWTSecret: []byte(*jwtSecret), TicketKey: key,
		TicketKeysOlder: older, RecordKeys: recordKeys, ScanSecret: scanSecret, DemoMode: *demo, TicketLimitPerBuyer: *limit, NotifyURL: *notifyURL, TrustedProxies: proxies, Logger: logger,
	}, *httpAddr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Boxoffice gateway on http://%s (cluster %s, payments %s)\n", addr, *clusterAddrs, payments.Name())
	<-ctx.Done()
	stop()
	return nil
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

// serveGateway builds a gateway, listens on httpAddr and runs its
// background loops until stop.
func serveGateway(ctx context.Context, cfg checkout.Config, httpAddr string) (stop func(), addr string, err error) {
	g, err := checkout.New(cfg)
	if err != nil {
		return nil, "", err
	}
	l, err := net.Listen("tcp", httpAddr)
	if err != nil {
		return nil, "", err
	}
	srv := &http.Server{Handler: g.Handler(), ReadHeaderTimeout: 10 * time.Second}
	loopCtx, cancelLoops := context.WithCancel(ctx)
	loopsDone := make(chan struct{})
	go func() { defer close(loopsDone); g.Run(loopCtx) }()
	go func() { _ = srv.Serve(l) }()
	return func() {
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
