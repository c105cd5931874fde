package checkout

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
	"time"
)

// Defaults of Config.
const (
	TicketLimitPerBuyerDefault = 6
	HoldTTLDefault             = 10 * time.Minute
	PaymentWindowDefault       = 15 * time.Minute
	AdmissionTokenTTLDefault   = 10 * time.Minute
	ReconcileIntervalDefault   = 5 * time.Second
	NotifyIntervalDefault      = time.Second
	RequestBodyBytesMax        = 64 << 10
	RateLimiterKeysMax         = 100_000
	RatePerEventDefault        = 5000
	TokenLifetimeMaxDefault    = 24 * time.Hour
)

// Defaults of the gateway's bounds (Config's block "Bounds").
const (
	StreamsPerFanDefault         = 4
	StreamsMaxDefault            = 10_000
	StreamBufferBatchesDefault   = 64
	WatchLingerDefault           = 5 * time.Second
	HoldsPerFanDefault           = 10
	IdempotencyKeysPerFanDefault = 1000
	OutboxRetentionDefault       = 7 * 24 * time.Hour
	DeadLetterRetentionDefault   = 30 * 24 * time.Hour
	InFlightMaxDefault           = 4096
	InFlightPerCallerDefault     = 32
)

// Config configures one gateway. Every gateway of a deployment must share
// Store, Inventory's cluster, Payments' account, JWTSecret, TicketKey
// (and TicketKeysOlder), RecordKeys and ScanSecret; nothing else needs to
// agree.
type Config struct {
	// Inventory is the seat cluster (a *client.Client). Required.
	Inventory Inventory
	// Store keeps every durable record of the gateway. Required.
	Store Store
	// Payments charges and refunds buyers (StripePayments, or FakePayments
	// in demo mode). Required.
	Payments Payments

	// JWTSecret signs and verifies bearer tokens (HS256) and admission
	// tokens. At least 32 bytes. Required.
	JWTSecret []byte
	// Bearer tokens (auth.go, oidc.go).
	//
	// OIDC lists the identity providers whose signed JWTs are accepted as
	// bearer tokens beside the HS256 ones signed with JWTSecret; empty:
	// HS256 only.
	OIDC []OIDCIssuer
	// TokenLifetimeMax caps exp - iat of every bearer token, whatever its
	// issuer; a token without iat or exp, or living longer, is refused 401
	// (default 24h, at most 30 days; the demo login's 12 h tokens fit).
	TokenLifetimeMax time.Duration
	// RequireMFA makes organizers and admins show a second factor on
	// every request: the token's amr includes mfa, otp, hwk or swk, or its
	// acr is one of MFAACRValues. Refused 403 second-factor-required.
	RequireMFA bool
	// MFAACRValues are acr values that count as a second factor (e.g. the
	// provider's "phr" or a level name); empty: amr only.
	MFAACRValues []string

	// TicketKey signs ticket QR payloads (Ed25519); scanners verify them
	// offline with its public half (GET /v1/tickets/public-key). Payloads
	// name the key by TicketKeyID. Required.
	TicketKey ed25519.PrivateKey
	// TicketKeysOlder are public keys of earlier TicketKeys whose QRs are
	// still accepted (signing-key rotation: keep one until every ticket it
	// signed has been re-fetched or the event is over). Optional.
	TicketKeysOlder []ed25519.PublicKey
	// RecordKeys seal ticket and order records and the fan indexes that
	// lead to them (HMAC-SHA256, records.go); a record whose seal does not
	// verify is never acted on. Current seals, every key verifies: rotate
	// by adding a new current key and keeping the old one while records it
	// sealed live. Required.
	RecordKeys KeyRing
	// ScanSecret derives every event's scan key, from which each QR's
	// rotating-code secret is derived (qr.go). At least 32 bytes. Changing
	// it invalidates the codes of every ticket until apps re-fetch their
	// tickets and scanners their scan keys. Required.
	ScanSecret []byte

	// DemoMode enables POST /v1/dev/login (a token for any subject and
	// role) and POST /v1/orders/{order}/fake-pay. Never in production.
	DemoMode bool

	// TicketLimitPerBuyer caps the seats one fan may hold or own per event,
	// counting active holds, pending and paid orders (default 6).
	TicketLimitPerBuyer int
	// HoldTTL is the lifetime of a fan's hold (default 10 min; the event's
	// policy caps it).
	HoldTTL time.Duration
	// PaymentWindow is how long an order may stay unpaid before the
	// reconciler cancels its payment and releases its seats (default 15
	// min). The gateway extends the hold to cover it when the event allows.
	PaymentWindow time.Duration
	// AdmissionTokenTTL is the lifetime of a waiting-room admission token
	// (default 10 min).
	AdmissionTokenTTL time.Duration

	// RatePerFan and RatePerIP are steady request rates per second with a
	// burst of the same size (defaults 20 and 50; negative disables), over
	// all gateways together: each gateway takes an even share, from the
	// live gateways it counts in the Store every RateLeaseInterval, so a
	// request costs no store call. ratelease.go states the tolerance (over
	// 10 s, at most 1.1 times the rate in steady state; a gateway that dies
	// keeps its share until its lease expires, at most 4 intervals). The
	// split is even: a load balancer that pins a fan (or an IP) to one
	// gateway gives it 1/N of the rate.
	RatePerFan float64
	RatePerIP  float64
	// RatePerEvent caps the hold requests (POST /v1/events/{event}/holds)
	// per second per event over all gateways, shared as the others (default
	// RatePerEventDefault, 5,000; negative disables): the waiting room's
	// companion, bounding what one on-sale can ask of its shard however
	// many fans get in.
	RatePerEvent float64
	// RateLeaseInterval spaces this gateway's lease renewals, each one
	// CompareAndSwap and one Scan (default 2s, 100ms..1m); a lease lives 3
	// intervals.
	RateLeaseInterval time.Duration

	// NotifyURL receives outbox notifications (POST, JSON) at least once;
	// empty keeps them in the outbox undelivered.
	NotifyURL string
	// ReconcileInterval spaces reconciler passes (default 5s).
	ReconcileInterval time.Duration
	// NotifyInterval spaces outbox delivery passes (default 1s).
	NotifyInterval time.Duration

	// QueueStreamInterval spaces the recomputations of a fan's queue
	// status, from the gateway's memory, on the waiting-room stream
	// (default 1s).
	QueueStreamInterval time.Duration

	// IdempotencyRetention is how long an idempotent POST's answer is kept
	// for replay (default 24h, at least 1h): a repeat of the key after that
	// runs the request again. See janitor.go.
	IdempotencyRetention time.Duration
	// WebhookDedupRetention is how long a processed webhook's event id is
	// remembered (default 7 days; at least 3 days, Stripe's retry window).
	WebhookDedupRetention time.Duration
	// JanitorInterval spaces the passes that delete records past their
	// retention (default 10 min); one gateway at a time does them, holding
	// a lease of two intervals.
	JanitorInterval time.Duration

	// Bounds. Every resource one caller can make this gateway hold, or make
	// the store keep, has a cap here; a request over one is refused with a
	// 429 problem (quota.go) and changes nothing.
	//
	// StreamsPerFan caps the Server-Sent Event streams (seat streams and
	// waiting-room streams together) one identity may have open on this
	// gateway (default 4); StreamsMax caps all of them on this gateway
	// (default 10,000). Each stream holds a goroutine and a buffer of
	// StreamBufferBatches batches of seat changes; with N gateways a fan may
	// open N times StreamsPerFan.
	StreamsPerFan int
	StreamsMax    int
	// StreamBufferBatches is how many batches of seat changes (one per
	// cluster Watch message) a seat stream may fall behind before it is cut
	// off with an SSE "error" event telling it to resume from its cursor
	// (default 64). Nothing else buffers for a slow client.
	StreamBufferBatches int
	// WatchLinger keeps an event's shared cluster Watch open this long
	// after its last seat stream ended (default 5s), so that clients
	// reconnecting do not close and reopen it (watchhub.go).
	WatchLinger time.Duration
	// HoldsPerFan caps a fan's unexpired holds across all events, counting
	// holds with a pending order (default 10). TicketLimitPerBuyer caps
	// seats per event; this caps how many hold records one fan can make
	// the gateway keep.
	HoldsPerFan int
	// IdempotencyKeysPerFan caps the new Idempotency-Keys a fan may use per
	// clock hour (default 1000; a purchase takes about 5). Each is a record
	// kept IdempotencyRetention, so this caps what one fan can store.
	// Staff roles are not counted; the per-fan rate limit applies to all.
	IdempotencyKeysPerFan int
	// OutboxRetention is how long a notification may wait undelivered in
	// the outbox before the janitor deletes it (default 7 days; with no
	// NotifyURL nothing is delivered, so this is their lifetime).
	// DeadLetterRetention is how long a notification given up on is kept
	// in deadletter/ for inspection (default 30 days).
	OutboxRetention     time.Duration
	DeadLetterRetention time.Duration

	// TrustedProxies are the networks of the load balancers in front of
	// the gateway. A request whose peer is in one of them is attributed,
	// for the per-IP rate limit, to the right-most X-Forwarded-For address
	// that is not itself trusted; from any other peer X-Forwarded-For is
	// ignored, since a client can write anything there. Empty: the peer
	// address is always the client.
	TrustedProxies []netip.Prefix

	// Logger receives operational messages and the access log; nil
	// discards them.
	Logger *slog.Logger
	// AccessLogOff turns off the access log, one INFO line per request
	// on Logger (accesslog.go: what it holds and what it never does).
	// For benchmarks; on by default.
	AccessLogOff bool
	// Now is the clock (tests); nil means time.Now.
	Now func() time.Time

	// Views from memory (views.go). ViewEventsMax caps the events whose
	// seat maps this gateway keeps in memory, fed by their cluster Watch
	// (default 64; the least recently viewed is dropped first), and the
	// event details it keeps. A seat map takes about three times its JSON
	// body (some 110 bytes a seat).
	ViewEventsMax int
	// ViewRefresh is how old a cached event detail or catalogue page may
	// get before the next request reads it again from the cluster
	// (default 1s; concurrent requests share one read).
	ViewRefresh time.Duration
	// ViewEncodeInterval caps the pause between two encodings of one
	// event's seat map while its seats keep changing (default 10ms). The
	// pause is four times the last encoding's time (an encoding redoes
	// only the sections that changed: tens of microseconds for a hall,
	// about 0.15 ms per changed stadium section), so under load a view
	// lags the feed by at most this much more and the encoder takes about
	// a fifth of a core per event.
	ViewEncodeInterval time.Duration
	// Backpressure (shed.go). InFlightMax caps the requests this gateway
	// works on at once that may call the cluster (default 4096; negative:
	// no cap): one more is refused 503 overloaded with Retry-After before
	// any cluster call, orders and payments underway keeping a quarter
	// more. InFlightPerCaller caps one identity's (default 32; negative:
	// no cap); one more is refused 429 too-many-in-flight. Reads answered
	// from memory count against neither.
	InFlightMax       int
	InFlightPerCaller int
}

// Defaults of the views from memory.
const (
	ViewEventsMaxDefault      = 64
	ViewRefreshDefault        = time.Second
	ViewEncodeIntervalDefault = 10 * time.Millisecond
)

// Validate names the first field that cannot be used.
func (c Config) Validate() error {
	switch {
	case c.Inventory == nil:
		return errors.New("checkout config: Inventory is nil")
	case c.Store == nil:
		return errors.New("checkout config: Store is nil")
	case c.Payments == nil:
		return errors.New("checkout config: Payments is nil")
	case len(c.JWTSecret) < 32:
		return fmt.Errorf("checkout config: JWTSecret has %d bytes, want at least 32", len(c.JWTSecret))
	case len(c.TicketKey) != ed25519.PrivateKeySize:
		return fmt.Errorf("checkout config: TicketKey has %d bytes, want an Ed25519 private key of %d", len(c.TicketKey), ed25519.PrivateKeySize)
	case c.TokenLifetimeMax != 0 && (c.TokenLifetimeMax < time.Minute || c.TokenLifetimeMax > 30*24*time.Hour):
		return fmt.Errorf("checkout config: TokenLifetimeMax %v outside 1m..30 days (0 takes the default)", c.TokenLifetimeMax)
	case len(c.ScanSecret) < 32:
		return fmt.Errorf("checkout config: ScanSecret has %d bytes, want at least 32", len(c.ScanSecret))
	case c.TicketLimitPerBuyer < 0 || c.TicketLimitPerBuyer > 100:
		return fmt.Errorf("checkout config: TicketLimitPerBuyer %d outside 0..100 (0 takes the default)", c.TicketLimitPerBuyer)
	case c.HoldTTL < 0 || c.HoldTTL > 24*time.Hour:
		return fmt.Errorf("checkout config: HoldTTL %v outside 0..24h", c.HoldTTL)
	case c.PaymentWindow < 0 || c.PaymentWindow > 24*time.Hour:
		return fmt.Errorf("checkout config: PaymentWindow %v outside 0..24h", c.PaymentWindow)
	case c.AdmissionTokenTTL < 0 || c.AdmissionTokenTTL > 24*time.Hour:
		return fmt.Errorf("checkout config: AdmissionTokenTTL %v outside 0..24h", c.AdmissionTokenTTL)
	case c.ReconcileInterval < 0:
		return fmt.Errorf("checkout config: ReconcileInterval %v is negative", c.ReconcileInterval)
	case c.NotifyInterval < 0:
		return fmt.Errorf("checkout config: NotifyInterval %v is negative", c.NotifyInterval)
	case c.IdempotencyRetention != 0 && (c.IdempotencyRetention < time.Hour || c.IdempotencyRetention > 90*24*time.Hour):
		return fmt.Errorf("checkout config: IdempotencyRetention %v outside 1h..90 days (0 takes the default)", c.IdempotencyRetention)
	case c.WebhookDedupRetention != 0 && (c.WebhookDedupRetention < webhookRetryWindow || c.WebhookDedupRetention > 365*24*time.Hour):
		return fmt.Errorf("checkout config: WebhookDedupRetention %v outside %v (Stripe's retry window)..1 year (0 takes the default)", c.WebhookDedupRetention, webhookRetryWindow)
	case c.RateLeaseInterval != 0 && (c.RateLeaseInterval < 100*time.Millisecond || c.RateLeaseInterval > time.Minute):
		return fmt.Errorf("checkout config: RateLeaseInterval %v outside 100ms..1m (0 takes the default)", c.RateLeaseInterval)
	case c.QueueStreamInterval < 0:
		return fmt.Errorf("checkout config: QueueStreamInterval %v is negative", c.QueueStreamInterval)
	case c.JanitorInterval < 0:
		return fmt.Errorf("checkout config: JanitorInterval %v is negative", c.JanitorInterval)
	case c.StreamsPerFan < 0 || c.StreamsPerFan > 1000:
		return fmt.Errorf("checkout config: StreamsPerFan %d outside 0..1000 (0 takes the default)", c.StreamsPerFan)
	case c.StreamsMax < 0 || c.StreamsMax > 1_000_000:
		return fmt.Errorf("checkout config: StreamsMax %d outside 0..1000000 (0 takes the default)", c.StreamsMax)
	case c.StreamBufferBatches < 0 || c.StreamBufferBatches > 4096:
		return fmt.Errorf("checkout config: StreamBufferBatches %d outside 0..4096 (0 takes the default)", c.StreamBufferBatches)
	case c.WatchLinger < 0 || c.WatchLinger > time.Hour:
		return fmt.Errorf("checkout config: WatchLinger %v outside 0..1h (0 takes the default)", c.WatchLinger)
	case c.HoldsPerFan < 0 || c.HoldsPerFan > 1000:
		return fmt.Errorf("checkout config: HoldsPerFan %d outside 0..1000 (0 takes the default)", c.HoldsPerFan)
	case c.IdempotencyKeysPerFan < 0 || c.IdempotencyKeysPerFan > 1_000_000:
		return fmt.Errorf("checkout config: IdempotencyKeysPerFan %d outside 0..1000000 (0 takes the default)", c.IdempotencyKeysPerFan)
	case c.OutboxRetention != 0 && (c.OutboxRetention < time.Hour || c.OutboxRetention > 365*24*time.Hour):
		return fmt.Errorf("checkout config: OutboxRetention %v outside 1h..1 year (0 takes the default)", c.OutboxRetention)
	case c.DeadLetterRetention != 0 && (c.DeadLetterRetention < time.Hour || c.DeadLetterRetention > 365*24*time.Hour):
		return fmt.Errorf("checkout config: DeadLetterRetention %v outside 1h..1 year (0 takes the default)", c.DeadLetterRetention)
	case c.InFlightMax > 1_000_000:
		return fmt.Errorf("checkout config: InFlightMax %d over 1000000 (0 takes the default, negative: no cap)", c.InFlightMax)
	case c.InFlightPerCaller > 100_000:
		return fmt.Errorf("checkout config: InFlightPerCaller %d over 100000 (0 takes the default, negative: no cap)", c.InFlightPerCaller)
	}
	issuers, prefixes := map[string]bool{}, map[string]bool{}
	for i, o := range c.OIDC {
		if err := o.validate(i); err != nil {
			return err
		}
		if issuers[o.IssuerURL] {
			return fmt.Errorf("checkout config: OIDC[%d].IssuerURL %q is listed twice", i, o.IssuerURL)
		}
		if len(c.OIDC) > 1 && (o.SubjectPrefix == "" || prefixes[o.SubjectPrefix]) {
			return fmt.Errorf("checkout config: OIDC[%d].SubjectPrefix %q: with several issuers each needs its own, so their subjects cannot collide", i, o.SubjectPrefix)
		}
		issuers[o.IssuerURL], prefixes[o.SubjectPrefix] = true, true
	}
	if err := c.RecordKeys.validate("RecordKeys"); err != nil {
		return err
	}
	for i, k := range c.TicketKeysOlder {
		if len(k) != ed25519.PublicKeySize {
			return fmt.Errorf("checkout config: TicketKeysOlder[%d] has %d bytes, want an Ed25519 public key of %d", i, len(k), ed25519.PublicKeySize)
		}
	}
	for _, p := range c.TrustedProxies {
		if !p.IsValid() {
			return fmt.Errorf("checkout config: TrustedProxies holds an invalid prefix %v", p)
		}
	}
	if c.NotifyURL != "" {
		if u, err := url.Parse(c.NotifyURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") {
			return fmt.Errorf("checkout config: NotifyURL %q is not an http(s) URL", c.NotifyURL)
		}
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.TicketLimitPerBuyer == 0 {
		c.TicketLimitPerBuyer = TicketLimitPerBuyerDefault
	}
	if c.HoldTTL == 0 {
		c.HoldTTL = HoldTTLDefault
	}
	if c.PaymentWindow == 0 {
		c.PaymentWindow = PaymentWindowDefault
	}
	if c.AdmissionTokenTTL == 0 {
		c.AdmissionTokenTTL = AdmissionTokenTTLDefault
	}
	if c.TokenLifetimeMax == 0 {
		c.TokenLifetimeMax = TokenLifetimeMaxDefault
	}
	if c.RatePerFan == 0 {
		c.RatePerFan = 20
	}
	if c.RatePerIP == 0 {
		c.RatePerIP = 50
	}
	if c.RatePerEvent == 0 {
		c.RatePerEvent = RatePerEventDefault
	}
	if c.RateLeaseInterval == 0 {
		c.RateLeaseInterval = RateLeaseIntervalDefault
	}
	if c.ReconcileInterval == 0 {
		c.ReconcileInterval = ReconcileIntervalDefault
	}
	if c.NotifyInterval == 0 {
		c.NotifyInterval = NotifyIntervalDefault
	}
	if c.QueueStreamInterval == 0 {
		c.QueueStreamInterval = time.Second
	}
	if c.IdempotencyRetention == 0 {
		c.IdempotencyRetention = IdempotencyRetentionDefault
	}
	if c.WebhookDedupRetention == 0 {
		c.WebhookDedupRetention = WebhookDedupRetentionDefault
	}
	if c.JanitorInterval == 0 {
		c.JanitorInterval = JanitorIntervalDefault
	}
	if c.StreamsPerFan == 0 {
		c.StreamsPerFan = StreamsPerFanDefault
	}
	if c.StreamsMax == 0 {
		c.StreamsMax = StreamsMaxDefault
	}
	if c.StreamBufferBatches == 0 {
		c.StreamBufferBatches = StreamBufferBatchesDefault
	}
	if c.WatchLinger == 0 {
		c.WatchLinger = WatchLingerDefault
	}
	if c.HoldsPerFan == 0 {
		c.HoldsPerFan = HoldsPerFanDefault
	}
	if c.IdempotencyKeysPerFan == 0 {
		c.IdempotencyKeysPerFan = IdempotencyKeysPerFanDefault
	}
	if c.OutboxRetention == 0 {
		c.OutboxRetention = OutboxRetentionDefault
	}
	if c.DeadLetterRetention == 0 {
		c.DeadLetterRetention = DeadLetterRetentionDefault
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.ViewEventsMax <= 0 {
		c.ViewEventsMax = ViewEventsMaxDefault
	}
	if c.ViewRefresh <= 0 {
		c.ViewRefresh = ViewRefreshDefault
	}
	if c.ViewEncodeInterval <= 0 {
		c.ViewEncodeInterval = ViewEncodeIntervalDefault
	}
	if c.InFlightMax == 0 {
		c.InFlightMax = InFlightMaxDefault
	}
	if c.InFlightPerCaller == 0 {
		c.InFlightPerCaller = InFlightPerCallerDefault
	}
	return c
}
