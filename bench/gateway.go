package bench

// The gateway workload: `boxoffice bench gateway` drives a running
// checkout gateway over HTTP the way phones do, rather than the cluster
// over gRPC as OSW-1 does.
//
// Each of Clients concurrent clients plays one fan after another. A fan
// logs in (POST /v1/dev/login: the gateway must run in demo mode), joins
// the waiting room and polls until admitted if the event has one, holds
// HoldSize best-available seats in a Zipf-drawn section, then either
// releases the hold (AbandonRatio) or creates the order, pays it with the
// fake provider (POST /v1/orders/{id}/fake-pay) and fetches the tickets.
// Every fan is a new subject, so the per-buyer ticket limit never binds,
// and, against a loopback gateway, connects from its own loopback address
// (SpreadSourceAddrs), so the per-IP rate limit sees many phones rather
// than one host.
//
// A request answered 429, 503 or 409 request-in-progress, or not answered
// at all, is sent again with the same Idempotency-Key after its
// Retry-After (at most gatewayAttemptsMax times in all), as an app would;
// the retries are counted. A step that still fails ends the fan, counted
// under "<step> <status> <problem type>".
//
// Latencies go to one HDR histogram per step behind one mutex: a gateway
// run completes tens to hundreds of requests a second, far below the rate
// at which that mutex would matter (OSW-1's striping is for ~10^5/s).
//
// Alternatives rejected: following the waiting room's Server-Sent Events
// stream instead of polling /me (the stream re-reads the status only every
// Config.QueueStreamInterval, 1 s by default, which would measure that
// interval rather than the gateway); sending the order and the payment to
// a second gateway as TestGatewayLoadOverProcessCluster does (with
// MoreGateways, fans are spread over the gateways but each stays on its
// own: under demo mode's fake payments an intent lives only in the
// memory of the gateway that created it).

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/cluster"
)

// Defaults and limits of GatewayConfig.
const (
	GatewayClientsDefault        = 16
	GatewayDurationDefault       = 30 * time.Second
	GatewayAbandonRatioDefault   = 0.2
	GatewayRequestTimeoutDefault = 30 * time.Second
	gatewayClientsMax            = 4096
	gatewayHoldSizeMax           = 100

	// gatewayAttemptsMax bounds the sends of one request (first + retries).
	gatewayAttemptsMax = 4
	// gatewayRetryAfterMax caps the wait before a retry, whatever
	// Retry-After says, so a run ends near its time limit.
	gatewayRetryAfterMax = 2 * time.Second
	// gatewayPollMin and gatewayPollMax bound the wait between two polls of
	// the waiting room; in between, the gateway's estimate is followed.
	gatewayPollMin = 100 * time.Millisecond
	gatewayPollMax = time.Second
	// gatewayReadyTimeout bounds the wait for a fresh event to be ready.
	gatewayReadyTimeout = 30 * time.Second
	// gatewayResponseBytesMax bounds the body read from one answer.
	gatewayResponseBytesMax = 4 << 20
)

// GatewayConfig is one run of the gateway workload.
type GatewayConfig struct {
	// BaseURL is the gateway, e.g. http://127.0.0.1:8080. It must run in
	// demo mode (dev login and fake payments).
	BaseURL string
	// MoreGateways are further gateways of the same deployment (sharing
	// its records and secrets): client i plays its fans on gateway
	// i mod (1+len(MoreGateways)), BaseURL being gateway 0. Setup and the
	// end-of-run questions go to BaseURL.
	MoreGateways []string
	// EventID names an existing event. Empty: RunGateway creates a fresh
	// OnSaleVenue(Sections, Rows, SeatsPerRow) event through the cluster,
	// which must then be given.
	EventID string
	// Sections, Rows and SeatsPerRow shape the fresh event (defaults as
	// OSW-1's: 20 x 25 x 40).
	Sections, Rows, SeatsPerRow int
	// Clients is the number of concurrent fans (default 16).
	Clients int
	// DurationLimit ends the run (default 30 s); fans in flight finish
	// their purchase. A sold-out venue ends it earlier.
	DurationLimit time.Duration
	// HoldSize is the seats of each best-available hold (default 2); it
	// must not exceed the gateway's ticket limit per buyer (default 6).
	HoldSize int
	// AbandonRatio is the probability that a fan releases the hold
	// instead of ordering (default 0.2; negative means 0).
	AbandonRatio float64
	// ZipfExponent skews the section draw, section 0 of the event's venue
	// hottest (default 1.1; negative: uniform).
	ZipfExponent float64
	// RequestTimeout bounds one HTTP request, retries excluded (default 30 s).
	RequestTimeout time.Duration
	// Seed makes the section draws and the abandon coin repeatable.
	Seed uint64
	// Label names the run in its result (default "gateway C=<clients>").
	Label string
	// SpreadSourceAddrs makes every fan connect from its own loopback
	// address (127.1.0.1, 127.1.0.2, ...) when BaseURL's host is a
	// loopback IP, so that the gateway's per-IP rate limit (50/s by
	// default) charges phones, not the bench host. Only on Linux, which
	// routes all of 127/8 to the loopback interface.
	SpreadSourceAddrs bool
	// WaitingRoomAdmitPerSecond > 0 makes an organizer put the event in
	// queue mode, on sale at once, admitting this many fans a second,
	// before the run. 0 leaves the event as it is (a waiting room it
	// already has is still joined).
	WaitingRoomAdmitPerSecond float64
	// NodeMetricsURLs are the /metrics pages of the cluster's nodes; the
	// run reports their operation counts per purchase. Optional.
	NodeMetricsURLs []string
}

func (c GatewayConfig) withDefaults() GatewayConfig {
	setInt := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	setInt(&c.Sections, SectionsDefault)
	setInt(&c.Rows, RowsDefault)
	setInt(&c.SeatsPerRow, SeatsPerRowDefault)
	setInt(&c.Clients, GatewayClientsDefault)
	setInt(&c.HoldSize, HoldSizeDefault)
	if c.DurationLimit == 0 {
		c.DurationLimit = GatewayDurationDefault
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = GatewayRequestTimeoutDefault
	}
	c.AbandonRatio = ratioOr(c.AbandonRatio, GatewayAbandonRatioDefault)
	c.ZipfExponent = ratioOr(c.ZipfExponent, ZipfExponentDefault)
	if c.Label == "" {
		c.Label = fmt.Sprintf("gateway C=%d", c.Clients)
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	c.MoreGateways = slices.Clone(c.MoreGateways)
	for i, g := range c.MoreGateways {
		c.MoreGateways[i] = strings.TrimRight(g, "/")
	}
	return c
}

// gateways lists BaseURL, then MoreGateways.
func (c GatewayConfig) gateways() []string {
	return append([]string{c.BaseURL}, c.MoreGateways...)
}

// Validate names the first field that is out of range. Zero fields take
// their defaults.
func (c GatewayConfig) Validate() error {
	u, err := url.Parse(c.BaseURL)
	for i, g := range c.MoreGateways {
		if mu, merr := url.Parse(g); merr != nil || (mu.Scheme != "http" && mu.Scheme != "https") || mu.Host == "" {
			return fmt.Errorf("bench gateway: MoreGateways[%d] %q: want http(s)://host:port", i, g)
		}
	}
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return fmt.Errorf("bench gateway: BaseURL %q: want http(s)://host:port", c.BaseURL)
	case c.Clients < 0 || c.Clients > gatewayClientsMax:
		return fmt.Errorf("bench gateway: Clients %d outside 1..%d", c.Clients, gatewayClientsMax)
	case c.HoldSize < 0 || c.HoldSize > gatewayHoldSizeMax:
		return fmt.Errorf("bench gateway: HoldSize %d outside 1..%d", c.HoldSize, gatewayHoldSizeMax)
	case c.AbandonRatio > 1:
		return fmt.Errorf("bench gateway: AbandonRatio %v above 1", c.AbandonRatio)
	case c.DurationLimit < 0:
		return fmt.Errorf("bench gateway: DurationLimit %v is negative", c.DurationLimit)
	case c.RequestTimeout < 0:
		return fmt.Errorf("bench gateway: RequestTimeout %v is negative", c.RequestTimeout)
	case c.Sections < 0 || c.Rows < 0 || c.SeatsPerRow < 0:
		return fmt.Errorf("bench gateway: venue %dx%dx%d: want positive sizes", c.Sections, c.Rows, c.SeatsPerRow)
	case c.WaitingRoomAdmitPerSecond < 0 || c.WaitingRoomAdmitPerSecond > 100_000:
		return fmt.Errorf("bench gateway: WaitingRoomAdmitPerSecond %v outside 0..100000", c.WaitingRoomAdmitPerSecond)
	}
	return nil
}

// The steps of a fan's flow, in order.
type gatewayStep int

const (
	stepLogin   gatewayStep = iota
	stepQueue               // join + polls until admitted
	stepHold                // a successful hold; refused draws are counted apart
	stepRelease             // abandon
	stepOrder
	stepPay
	stepTickets
	stepPurchase // login to tickets, one fan that bought
	gatewaySteps
)

var gatewayStepNames = [gatewaySteps]string{"login", "queue", "hold", "release", "order", "pay", "tickets", "purchase"}

// GatewayStep is the latency of one step, in milliseconds.
type GatewayStep struct {
	Step    string  `json:"step"`
	Latency Latency `json:"latency"`
}

// GatewaySample is one second of a gateway run.
type GatewaySample struct {
	ElapsedS      float64 `json:"elapsed_s"`
	PurchasesPerS float64 `json:"purchases_per_s"`
	Purchases     int64   `json:"purchases"`
	Errors        int64   `json:"errors"`
}

// GatewayResult is what a gateway run measured.
type GatewayResult struct {
	Label        string  `json:"label"`
	Gateway      string  `json:"gateway"`
	EventID      string  `json:"event_id"`
	EventCreated bool    `json:"event_created"`
	WaitingRoom  bool    `json:"waiting_room"`
	Clients      int     `json:"clients"`
	HoldSize     int     `json:"hold_size"`
	AbandonRatio float64 `json:"abandon_ratio"`
	ZipfExponent float64 `json:"zipf_exponent"`
	SourceAddrs  string  `json:"source_addrs"`
	StartedAt    string  `json:"started_at"`
	ElapsedS     float64 `json:"elapsed_s"`

	// Purchases are fans who paid and received their tickets.
	Purchases     int64   `json:"purchases"`
	PurchasesPerS float64 `json:"purchases_per_s"`
	SeatsBought   int64   `json:"seats_bought"`
	// Abandoned fans released their hold instead of ordering.
	Abandoned int64 `json:"abandoned"`
	// SoldOutRefusals are holds refused with not-enough-seats: the
	// section is exhausted for that client, which draws another.
	SoldOutRefusals int64 `json:"sold_out_refusals"`
	SoldOut         bool  `json:"sold_out"`
	// Retries are requests sent again (same Idempotency-Key) after a 429,
	// a 503, a 409 request-in-progress or no answer, by "<step> <cause>".
	Retries map[string]int64 `json:"retries,omitempty"`
	// Errors are fans that stopped on a failed step, by
	// "<step> <status> <problem type>" (status 0: no answer).
	Errors     map[string]int64 `json:"errors,omitempty"`
	ErrorCount int64            `json:"error_count"`
	FirstError string           `json:"first_error,omitempty"`

	Steps   []GatewayStep   `json:"steps"`
	Samples []GatewaySample `json:"samples"`
	// RoundTrips counts, per purchase, the gateway's requests by route and
	// the cluster nodes' operations by method over the run (abandoned and
	// failed fans and the gateway's background loops included).
	RoundTrips *RoundTrips `json:"round_trips,omitempty"`
	// SeatsPerBuyerMax is the most seats one fan paid for in the run
	// (at most the gateway's ticket limit per buyer, 6 by default).
	SeatsPerBuyerMax int `json:"seats_per_buyer_max"`
	// Check is the invariant check through the cluster; nil without one.
	Check *GatewayCheckResult `json:"check,omitempty"`
}

// Step returns the latency of the named step.
func (r *GatewayResult) Step(name string) Latency {
	for _, s := range r.Steps {
		if s.Step == name {
			return s.Latency
		}
	}
	return Latency{}
}

// gatewayRun is the state the clients of one run share.
type gatewayRun struct {
	cfg         GatewayConfig
	sectionIDs  []string
	waitingRoom bool
	nonce       string
	shared      *http.Client // setup, resolution, and all fans without SpreadSourceAddrs
	spread      bool
	nextSource  atomic.Uint32

	mu         sync.Mutex
	latencies  [gatewaySteps]*hdrhistogram.Histogram
	errors     map[string]int64
	retries    map[string]int64
	firstError string
	purchases  []GatewayPurchase
	uncertain  []uncertainOrder
	released   []string // hold ids

	purchased  atomic.Int64
	seatsBuy   atomic.Int64
	abandoned  atomic.Int64
	soldOut    atomic.Int64
	errorCount atomic.Int64
	exhausted  atomic.Int64 // clients that found every section exhausted
}

// uncertainOrder is an order whose payment never got an answer; the run
// asks the gateway for its state at the end.
type uncertainOrder struct {
	gateway        string
	orderID, token string
	seats          []string
}

// RunGateway runs the gateway workload. inventory (optional, may be nil)
// is the cluster behind the gateway: it creates the event when
// cfg.EventID is empty, and reads the linearizable seat maps of the
// invariant check before and after the run. progress, if not nil,
// receives a line a second (rewritten in place if inPlace).
func RunGateway(ctx context.Context, cfg GatewayConfig, inventory Inventory, progress io.Writer, inPlace bool) (*GatewayResult, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	run := &gatewayRun{cfg: cfg, nonce: randomHex(4), errors: map[string]int64{}, retries: map[string]int64{}}
	for i := range run.latencies {
		run.latencies[i] = newHistogram(digitsTotal)
	}
	run.shared = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: cfg.Clients + 4, MaxIdleConns: cfg.Clients + 4}}
	defer run.shared.CloseIdleConnections()
	run.spread = cfg.SpreadSourceAddrs && loopbackHost(cfg.BaseURL) && runtime.GOOS == "linux"
	res := &GatewayResult{Label: cfg.Label, Gateway: strings.Join(cfg.gateways(), ","), Clients: cfg.Clients, HoldSize: cfg.HoldSize,
		AbandonRatio: cfg.AbandonRatio, ZipfExponent: cfg.ZipfExponent, SourceAddrs: "one (the bench host)"}
	if run.spread {
		res.SourceAddrs = "one loopback address per fan (127.1.0.0/16)"
	}

	setupCtx, cancelSetup := context.WithTimeout(ctx, gatewayReadyTimeout)
	defer cancelSetup()
	if cfg.EventID == "" {
		if inventory == nil {
			return nil, errors.New("bench gateway: no event given and no cluster to create one in")
		}
		cfg.EventID = "gwbench_" + time.Now().UTC().Format("20060102_150405") + "_" + run.nonce
		_, err := inventory.CreateEvent(setupCtx, &boxofficev1.CreateEventRequest{
			RequestId: "gwbench-create-" + cfg.EventID, EventId: cfg.EventID, Name: "Gateway bench " + cfg.Label,
			Venue: cluster.OnSaleVenue(cfg.Sections, cfg.Rows, cfg.SeatsPerRow)})
		if err != nil {
			return nil, fmt.Errorf("bench gateway: creating event %q: %w", cfg.EventID, err)
		}
		run.cfg.EventID = cfg.EventID
		res.EventCreated = true
	}
	res.EventID = cfg.EventID
	if err := run.setup(setupCtx); err != nil {
		return nil, err
	}
	res.WaitingRoom = run.waitingRoom

	var before *boxofficev1.SeatMap
	if inventory != nil {
		var err error
		if before, err = readSeatMapLinearizable(setupCtx, inventory, cfg.EventID); err != nil {
			return nil, fmt.Errorf("bench gateway: seat map before the run: %w", err)
		}
	}
	metricsBefore := scrapeRoundTrips(setupCtx, run.shared, cfg.gateways(), cfg.NodeMetricsURLs)
	cancelSetup()

	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	start := time.Now()
	res.StartedAt = start.UTC().Format(time.RFC3339)
	deadline := start.Add(cfg.DurationLimit)
	var wg sync.WaitGroup
	for i := range cfg.Clients {
		seed := cfg.Seed*1_000_003 + uint64(i)
		gateways := cfg.gateways()
		fan := &gatewayClient{run: run, id: i, base: gateways[i%len(gateways)], rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
			picker: newSectionPicker(len(run.sectionIDs), cfg.ZipfExponent)}
		wg.Go(func() { fan.loop(runCtx, deadline) })
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	res.Samples = run.sample(done, start, progress, inPlace)
	elapsed := time.Since(start)
	if progress != nil && inPlace {
		fmt.Fprintln(progress)
	}

	finishCtx, cancelFinish := context.WithTimeout(context.WithoutCancel(ctx), gatewayReadyTimeout)
	defer cancelFinish()
	res.ElapsedS = elapsed.Seconds()
	res.Purchases, res.SeatsBought = run.purchased.Load(), run.seatsBuy.Load()
	res.PurchasesPerS = float64(res.Purchases) / elapsed.Seconds()
	res.Abandoned, res.SoldOutRefusals = run.abandoned.Load(), run.soldOut.Load()
	res.SoldOut = run.exhausted.Load() == int64(cfg.Clients)
	res.ErrorCount, res.FirstError = run.errorCount.Load(), run.firstError
	if len(run.errors) > 0 {
		res.Errors = run.errors
	}
	if len(run.retries) > 0 {
		res.Retries = run.retries
	}
	for step := range gatewaySteps {
		res.Steps = append(res.Steps, GatewayStep{Step: gatewayStepNames[step], Latency: summarize(run.latencies[step])})
	}
	if metricsBefore != nil {
		res.RoundTrips = metricsBefore.perPurchase(scrapeRoundTrips(finishCtx, run.shared, cfg.gateways(), cfg.NodeMetricsURLs), res.Purchases)
	}
	res.SeatsPerBuyerMax, _ = SeatsPerBuyerMax(run.purchases)
	if inventory != nil {
		uncertain := run.resolveUncertain(finishCtx)
		after, err := readSeatMapLinearizable(finishCtx, inventory, cfg.EventID)
		if err != nil {
			return res, fmt.Errorf("bench gateway: seat map after the run: %w", err)
		}
		check := CheckGateway(before, after, run.purchases, uncertain, run.released)
		res.Check = &check
	}
	return res, nil
}

// setup waits for the event, reads its sections, opens the waiting room
// if asked, and learns whether fans must queue.
func (run *gatewayRun) setup(ctx context.Context) error {
	cfg := run.cfg
	fan, err := run.login(ctx, run.shared, "gwbench-probe-"+run.nonce, "fan")
	if err != nil {
		return fmt.Errorf("bench gateway: dev login (is the gateway in demo mode?): %w", err)
	}
	var ev struct {
		Status   string `json:"status"`
		Sections []struct {
			ID string `json:"id"`
		} `json:"sections"`
		WaitingRoom *json.RawMessage `json:"waiting_room"`
	}
	for {
		reply, err := run.send(ctx, run.shared, "GET", "/v1/events/"+url.PathEscape(cfg.EventID), fan, "", nil)
		if err == nil && reply.status == http.StatusOK {
			if err := json.Unmarshal(reply.body, &ev); err != nil {
				return fmt.Errorf("bench gateway: event %s: %w", cfg.EventID, err)
			}
			if ev.Status == "ready" {
				break
			}
		} else if err == nil && reply.status != http.StatusNotFound && reply.status < 500 {
			return fmt.Errorf("bench gateway: event %s: %s", cfg.EventID, reply)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("bench gateway: event %s never became ready (last status %q): %w", cfg.EventID, ev.Status, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
	for _, s := range ev.Sections {
		run.sectionIDs = append(run.sectionIDs, s.ID)
	}
	if len(run.sectionIDs) == 0 {
		return fmt.Errorf("bench gateway: event %s has no reserved-seat sections", cfg.EventID)
	}
	run.waitingRoom = ev.WaitingRoom != nil
	if cfg.WaitingRoomAdmitPerSecond > 0 {
		org, err := run.login(ctx, run.shared, "gwbench-org-"+run.nonce, "organizer")
		if err != nil {
			return err
		}
		// On sale two seconds ago, past the gateway's sealing grace, so
		// that every fan is a late arrival admitted in FIFO order.
		body := map[string]any{"on_sale_at": time.Now().Add(-2 * time.Second).UTC().Format(time.RFC3339Nano),
			"admit_per_second": cfg.WaitingRoomAdmitPerSecond}
		reply, err := run.send(ctx, run.shared, "PUT", "/v1/events/"+url.PathEscape(cfg.EventID)+"/waiting-room", org, "", body)
		if err != nil {
			return fmt.Errorf("bench gateway: opening the waiting room: %w", err)
		}
		if reply.status != http.StatusOK {
			return fmt.Errorf("bench gateway: opening the waiting room: %s", reply)
		}
		run.waitingRoom = true
	}
	return nil
}

func (run *gatewayRun) login(ctx context.Context, hc *http.Client, subject, role string) (string, error) {
	reply, err := run.send(ctx, hc, "POST", "/v1/dev/login", "", "login-"+subject, map[string]string{"subject": subject, "role": role})
	if err != nil {
		return "", err
	}
	var tok struct {
		Token string `json:"token"`
	}
	if reply.status != http.StatusOK || json.Unmarshal(reply.body, &tok) != nil || tok.Token == "" {
		return "", fmt.Errorf("login %s: %s", subject, reply)
	}
	return tok.Token, nil
}

// gatewayReply is one HTTP answer.
type gatewayReply struct {
	status      int
	body        []byte
	problemType string // the slug of an RFC 9457 problem's type
	retryAfter  time.Duration
}

func (r gatewayReply) String() string {
	body := string(r.body)
	if len(body) > 200 {
		body = body[:200] + "..."
	}
	return fmt.Sprintf("%d %s", r.status, strings.TrimSpace(body))
}

// send makes one HTTP request. An error means no answer.
func (run *gatewayRun) send(ctx context.Context, hc *http.Client, method, path, token, idemKey string, body any, headers ...string) (gatewayReply, error) {
	return run.sendTo(ctx, hc, run.cfg.BaseURL, method, path, token, idemKey, body, headers...)
}

// sendTo is send to the gateway at base.
func (run *gatewayRun) sendTo(ctx context.Context, hc *http.Client, base, method, path, token, idemKey string, body any, headers ...string) (gatewayReply, error) {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return gatewayReply{}, err
		}
		rd = bytes.NewReader(raw)
	}
	ctx, cancel := context.WithTimeout(ctx, run.cfg.RequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, base+path, rd)
	if err != nil {
		return gatewayReply{}, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if idemKey != "" {
		req.Header.Set("Idempotency-Key", idemKey)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := hc.Do(req)
	if err != nil {
		return gatewayReply{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, gatewayResponseBytesMax))
	if err != nil {
		return gatewayReply{}, err
	}
	reply := gatewayReply{status: resp.StatusCode, body: b}
	if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && secs > 0 {
		reply.retryAfter = time.Duration(secs) * time.Second
	}
	if resp.StatusCode >= 400 {
		var p struct {
			Type string `json:"type"`
		}
		if json.Unmarshal(b, &p) == nil {
			reply.problemType = p.Type[strings.LastIndexByte(p.Type, '/')+1:]
		}
	}
	return reply, nil
}

// retryable reports whether an app would send the request again with the
// same Idempotency-Key, and under which cause the retry is counted.
func (r gatewayReply) retryable() (string, bool) {
	switch {
	case r.status == http.StatusTooManyRequests, r.status == http.StatusServiceUnavailable,
		r.status == http.StatusConflict && r.problemType == "request-in-progress":
		return strconv.Itoa(r.status) + " " + r.problemType, true
	}
	return "", false
}

// stepError is a step that failed for good.
type stepError struct {
	step  gatewayStep
	reply gatewayReply // status 0: no answer, unless outcome is set
	err   error
	// outcome names a failure found in an answer that was itself fine
	// (the key it is counted under, after the step's name).
	outcome string
}

func (e *stepError) Error() string {
	if e.err != nil {
		return gatewayStepNames[e.step] + ": " + e.err.Error()
	}
	return gatewayStepNames[e.step] + ": " + e.reply.String()
}

func (e *stepError) key() string {
	if e.outcome != "" {
		return gatewayStepNames[e.step] + " " + e.outcome
	}
	if e.err != nil && e.reply.status == 0 {
		cause := "no-answer"
		if errors.Is(e.err, context.DeadlineExceeded) {
			cause = "timeout"
		}
		return gatewayStepNames[e.step] + " 0 " + cause
	}
	if e.err != nil {
		return gatewayStepNames[e.step] + " " + e.err.Error()
	}
	return fmt.Sprintf("%s %d %s", gatewayStepNames[e.step], e.reply.status, e.reply.problemType)
}

// gatewayClient is one concurrent fan slot: it plays one fan after another.
type gatewayClient struct {
	run    *gatewayRun
	id     int
	base   string // the gateway this client's fans use
	rng    *rand.Rand
	picker *sectionPicker
	fans   int

	// Of the fan being played.
	hc    *http.Client
	token string
	keyN  int
}

func (c *gatewayClient) loop(ctx context.Context, deadline time.Time) {
	for ctx.Err() == nil && time.Now().Before(deadline) {
		if !c.playFan(ctx) {
			c.run.exhausted.Add(1)
			return
		}
	}
}

// playFan plays one fan through the flow; false means every section is
// exhausted for this client.
func (c *gatewayClient) playFan(ctx context.Context) bool {
	run := c.run
	c.fans++
	subject := fmt.Sprintf("gwfan-%s-%d-%d", run.nonce, c.id, c.fans)
	c.hc, c.token, c.keyN = run.shared, "", 0
	if run.spread {
		c.hc = run.fanClient()
		defer c.hc.CloseIdleConnections()
	}
	flowStart := time.Now()
	// Login.
	var tok struct {
		Token string `json:"token"`
	}
	if err := c.step(ctx, stepLogin, http.StatusOK, &tok, "POST", "/v1/dev/login", c.key("login"), map[string]string{"subject": subject, "role": "fan"}); err != nil {
		return true
	}
	c.token = tok.Token
	event := "/v1/events/" + url.PathEscape(run.cfg.EventID)

	// Queue.
	var headers []string
	if run.waitingRoom {
		token, err := c.queue(ctx, event)
		if err != nil {
			run.fail(err)
			return true
		}
		headers = []string{"X-Admission-Token", token}
	}

	// Hold: draw sections until one has HoldSize adjacent seats.
	var hold struct {
		HoldID string   `json:"hold_id"`
		Seats  []string `json:"seats"`
	}
	for {
		section := c.picker.pick(c.rng)
		if section < 0 {
			return false
		}
		body := map[string]any{"best": map[string]any{"quantity": run.cfg.HoldSize, "section_id": run.sectionIDs[section]}}
		err := c.step(ctx, stepHold, http.StatusCreated, &hold, "POST", event+"/holds", c.key("hold"), body, headers...)
		var se *stepError
		if errors.As(err, &se) && se.reply.status == http.StatusConflict && se.reply.problemType == "not-enough-seats" {
			run.soldOut.Add(1)
			c.picker.markExhausted(section)
			continue
		}
		if err != nil {
			run.fail(err)
			return true
		}
		break
	}

	// Abandon, or order, pay and fetch the tickets.
	if c.rng.Float64() < run.cfg.AbandonRatio {
		if err := c.step(ctx, stepRelease, http.StatusOK, nil, "POST", "/v1/holds/"+url.PathEscape(hold.HoldID)+"/release", c.key("release"), struct{}{}); err != nil {
			run.fail(err)
			return true
		}
		run.abandoned.Add(1)
		run.mu.Lock()
		run.released = append(run.released, hold.HoldID)
		run.mu.Unlock()
		return true
	}
	var order struct {
		OrderID string   `json:"order_id"`
		State   string   `json:"state"`
		Seats   []string `json:"seats"`
	}
	if err := c.step(ctx, stepOrder, http.StatusCreated, &order, "POST", "/v1/orders", c.key("order"), map[string]string{"hold_id": hold.HoldID}); err != nil {
		run.fail(err)
		return true
	}
	var paid struct {
		State string `json:"state"`
	}
	if err := c.step(ctx, stepPay, http.StatusOK, &paid, "POST", "/v1/orders/"+url.PathEscape(order.OrderID)+"/fake-pay", c.key("pay"), struct{}{}); err != nil {
		run.fail(err)
		var se *stepError
		if errors.As(err, &se) && (se.reply.status == 0 || se.reply.status >= 500) {
			run.mu.Lock()
			run.uncertain = append(run.uncertain, uncertainOrder{gateway: c.base, orderID: order.OrderID, token: c.token, seats: order.Seats})
			run.mu.Unlock()
		}
		return true
	}
	if paid.State != "paid" {
		run.fail(&stepError{step: stepPay, outcome: "not-paid-after-fake-pay", err: fmt.Errorf("order %s is %q after fake-pay", order.OrderID, paid.State)})
		return true
	}
	purchase := GatewayPurchase{OrderID: order.OrderID, HoldID: hold.HoldID, Buyer: subject, Seats: order.Seats}
	var tickets struct {
		Tickets []struct {
			TicketID string `json:"ticket_id"`
			SeatID   string `json:"seat_id"`
			OrderID  string `json:"order_id"`
		} `json:"tickets"`
	}
	err := c.step(ctx, stepTickets, http.StatusOK, &tickets, "GET", "/v1/tickets", "", nil)
	// A listing that never answered says nothing about the tickets: only
	// the order's seats are checked, as for a lost payment answer.
	purchase.TicketsUnknown = err != nil
	if err == nil {
		for _, t := range tickets.Tickets {
			if t.OrderID == order.OrderID {
				purchase.Tickets = append(purchase.Tickets, GatewayTicket{TicketID: t.TicketID, SeatID: t.SeatID})
			}
		}
		if len(purchase.Tickets) != len(order.Seats) {
			err = &stepError{step: stepTickets, outcome: "ticket-count", err: fmt.Errorf("%d tickets for the %d seats of paid order %s", len(purchase.Tickets), len(order.Seats), order.OrderID)}
		}
	}
	// A paid order counts for the check whether or not its tickets came.
	run.mu.Lock()
	run.purchases = append(run.purchases, purchase)
	run.mu.Unlock()
	if err != nil {
		run.fail(err)
		return true
	}
	run.record(stepPurchase, time.Since(flowStart))
	run.purchased.Add(1)
	run.seatsBuy.Add(int64(len(order.Seats)))
	return true
}

// queue joins the waiting room and polls until admitted; it returns the
// admission token.
func (c *gatewayClient) queue(ctx context.Context, event string) (string, error) {
	start := time.Now()
	var st struct {
		State             string `json:"state"`
		EstimatedWaitSecs int64  `json:"estimated_wait_seconds"`
		AdmissionToken    string `json:"admission_token"`
	}
	reply, err := c.call(ctx, stepQueue, "POST", event+"/waiting-room/join", c.key("join"), nil)
	for {
		if err != nil {
			return "", err
		}
		if reply.status != http.StatusOK || json.Unmarshal(reply.body, &st) != nil {
			return "", &stepError{step: stepQueue, reply: reply}
		}
		if st.AdmissionToken != "" {
			c.run.record(stepQueue, time.Since(start))
			return st.AdmissionToken, nil
		}
		if st.State == "expired" {
			return "", &stepError{step: stepQueue, outcome: "admission-expired", err: errors.New("admission window expired")}
		}
		wait := min(max(time.Duration(st.EstimatedWaitSecs)*time.Second/2, gatewayPollMin), gatewayPollMax)
		select {
		case <-ctx.Done():
			return "", &stepError{step: stepQueue, err: ctx.Err()}
		case <-time.After(wait):
		}
		reply, err = c.call(ctx, stepQueue, "GET", event+"/waiting-room/me", "", nil)
	}
}

// key is a fresh Idempotency-Key of the current fan.
func (c *gatewayClient) key(purpose string) string {
	c.keyN++
	return fmt.Sprintf("gw-%s-%d-%d-%d-%s", c.run.nonce, c.id, c.fans, c.keyN, purpose)
}

// step runs one request of a step, records its latency when it answers
// want, and decodes the answer into out (if not nil).
func (c *gatewayClient) step(ctx context.Context, step gatewayStep, want int, out any, method, path, idemKey string, body any, headers ...string) error {
	start := time.Now()
	reply, err := c.call(ctx, step, method, path, idemKey, body, headers...)
	if err != nil {
		return err
	}
	if reply.status != want {
		return &stepError{step: step, reply: reply}
	}
	if out != nil {
		if err := json.Unmarshal(reply.body, out); err != nil {
			return &stepError{step: step, reply: reply, err: fmt.Errorf("answer does not decode: %w", err)}
		}
	}
	c.run.record(step, time.Since(start))
	return nil
}

// call sends a request as the current fan, again after a retryable answer.
func (c *gatewayClient) call(ctx context.Context, step gatewayStep, method, path, idemKey string, body any, headers ...string) (gatewayReply, error) {
	for attempt := 1; ; attempt++ {
		reply, err := c.run.sendTo(ctx, c.hc, c.base, method, path, c.token, idemKey, body, headers...)
		cause, retry := reply.retryable()
		if err != nil {
			cause, retry = "no-answer", ctx.Err() == nil
		}
		if !retry || attempt == gatewayAttemptsMax {
			if err != nil {
				return reply, &stepError{step: step, err: err}
			}
			return reply, nil
		}
		c.run.mu.Lock()
		c.run.retries[gatewayStepNames[step]+" "+cause]++
		c.run.mu.Unlock()
		wait := min(max(reply.retryAfter, 50*time.Millisecond), gatewayRetryAfterMax)
		select {
		case <-ctx.Done():
			return reply, &stepError{step: step, err: ctx.Err()}
		case <-time.After(wait):
		}
	}
}

func (run *gatewayRun) record(step gatewayStep, latency time.Duration) {
	us := min(max(latency.Microseconds(), 1), latencyMax.Microseconds())
	run.mu.Lock()
	_ = run.latencies[step].RecordValue(us) // in range by construction
	run.mu.Unlock()
}

func (run *gatewayRun) fail(err error) {
	key := err.Error()
	var se *stepError
	if errors.As(err, &se) {
		key = se.key()
	}
	run.errorCount.Add(1)
	run.mu.Lock()
	run.errors[key]++
	if run.firstError == "" {
		run.firstError = err.Error()
	}
	run.mu.Unlock()
}

// fanClient is an HTTP client whose connections come from the next
// loopback source address.
func (run *gatewayRun) fanClient() *http.Client {
	n := run.nextSource.Add(1)
	// 127.1.0.1 .. 127.1.255.254, then round again.
	n = n%(256*256-2) + 1
	source := net.IPv4(127, 1, byte(n>>8), byte(n))
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: source}, Timeout: run.cfg.RequestTimeout}
	return &http.Client{Transport: &http.Transport{DialContext: dialer.DialContext, MaxIdleConnsPerHost: 2}}
}

func loopbackHost(base string) bool {
	u, err := url.Parse(base)
	if err != nil {
		return false
	}
	ip := net.ParseIP(u.Hostname())
	return ip != nil && ip.IsLoopback() && ip.To4() != nil
}

// sample prints a progress line a second until done and returns the
// samples.
func (run *gatewayRun) sample(done <-chan struct{}, start time.Time, progress io.Writer, inPlace bool) []GatewaySample {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var samples []GatewaySample
	last, lastPurchases := start, int64(0)
	for {
		select {
		case <-done:
			return samples
		case now := <-tick.C:
			purchases := run.purchased.Load()
			s := GatewaySample{ElapsedS: now.Sub(start).Seconds(), Purchases: purchases, Errors: run.errorCount.Load(),
				PurchasesPerS: float64(purchases-lastPurchases) / now.Sub(last).Seconds()}
			samples = append(samples, s)
			last, lastPurchases = now, purchases
			if progress == nil {
				continue
			}
			line := fmt.Sprintf("%5.0fs  purchases %6d  %6.1f/s  abandoned %5d  sold-out refusals %4d  errors %4d",
				s.ElapsedS, purchases, s.PurchasesPerS, run.abandoned.Load(), run.soldOut.Load(), s.Errors)
			if inPlace {
				fmt.Fprintf(progress, "\r%s", line)
			} else {
				fmt.Fprintln(progress, line)
			}
		}
	}
}

// resolveUncertain asks the gateway what became of the orders whose
// payment got no answer: paid ones join the purchases checked; the ids of
// those still unknown are returned.
func (run *gatewayRun) resolveUncertain(ctx context.Context) []string {
	var unknown []string
	for _, u := range run.uncertain {
		reply, err := run.sendTo(ctx, run.shared, u.gateway, "GET", "/v1/orders/"+url.PathEscape(u.orderID), u.token, "", nil)
		var o struct {
			State string `json:"state"`
		}
		if err != nil || reply.status != http.StatusOK || json.Unmarshal(reply.body, &o) != nil {
			unknown = append(unknown, u.orderID)
			continue
		}
		if o.State == "paid" {
			// Paid, tickets not fetched: the check still wants its seats sold.
			run.purchases = append(run.purchases, GatewayPurchase{OrderID: u.orderID, Seats: u.seats, TicketsUnknown: true})
		} else if o.State == "pending" {
			unknown = append(unknown, u.orderID) // may still be paid by the reconciler
		}
	}
	slices.Sort(unknown)
	return unknown
}

func readSeatMapLinearizable(ctx context.Context, inv Inventory, eventID string) (*boxofficev1.SeatMap, error) {
	var sm *boxofficev1.SeatMap
	err := retryCall(ctx, func(ctx context.Context) error {
		var err error
		sm, err = inv.GetSeatMap(ctx, &boxofficev1.GetSeatMapRequest{EventId: eventID,
			Consistency: boxofficev1.ReadConsistency_READ_CONSISTENCY_LINEARIZABLE})
		return err
	})
	return sm, err
}
