package bench

// Seat-map views and waiting-room polls measured by vegeta
// (github.com/tsenart/vegeta, pinned as a tool in go.mod and used here as a
// library): a load generator nobody here wrote, at a fixed rate for a fixed
// time, so the gateway's answer rate is measured from outside.
//
// Phones reach gateways through a load balancer, which appends their
// address to X-Forwarded-For; every target carries one fan's bearer token
// and that fan's own address (10.x.y.z), so the per-fan and per-IP rate
// limits see many phones, as they would in production. The gateways must
// trust the load generator's address as a proxy (--trusted-proxies
// 127.0.0.1).
//
// A view either fetches the section's map afresh or revalidates it with
// If-None-Match (the ETag the gateway gave before the attack), as an app
// refreshing a screen does; answers 304 Not Modified are counted apart
// from 200s. A gateway that sends no ETag gets plain fetches only.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Defaults of VegetaAttack.
const (
	VegetaMaxWorkersDefault = 512
	VegetaTimeoutDefault    = 10 * time.Second
)

// VegetaFan is one phone of an attack: its bearer token and the address
// its load balancer reports.
type VegetaFan struct {
	Subject string
	Token   string
	IP      string
}

// VegetaAttack is one fixed-rate attack on one gateway.
type VegetaAttack struct {
	// Name says what is measured ("views", "polls").
	Name string
	// Gateway is the attacked gateway's base URL (for the report).
	Gateway string
	// Targets are sent round-robin.
	Targets []vegeta.Target
	// Rate is the requests per second vegeta sends.
	Rate int
	// Duration is the length of the attack.
	Duration time.Duration
	// MaxWorkers caps vegeta's concurrent requests (default 512).
	MaxWorkers uint64
	// Timeout bounds one request (default 10 s).
	Timeout time.Duration
}

// VegetaResult is what vegeta measured of one attack.
type VegetaResult struct {
	Name    string `json:"name"`
	Gateway string `json:"gateway"`
	// RequestedRate is VegetaAttack.Rate; AchievedRate is the rate vegeta
	// actually sent at (lower when its workers were all waiting).
	RequestedRate float64 `json:"requested_rate"`
	AchievedRate  float64 `json:"achieved_rate"`
	// Throughput is successful answers (200 and 304) per second.
	Throughput float64 `json:"throughput"`
	Requests   uint64  `json:"requests"`
	// OK are 200 answers, NotModified 304 answers; Other the rest by
	// status code ("0": no answer).
	OK          int            `json:"ok"`
	NotModified int            `json:"not_modified"`
	Other       map[string]int `json:"other,omitempty"`
	// RevalidatingTargets is the share of targets sent with If-None-Match
	// (0 for views when the gateway gave no ETag).
	RevalidatingTargets float64 `json:"revalidating_targets"`
	// SuccessRatio is (OK + NotModified) / Requests.
	SuccessRatio float64 `json:"success_ratio"`
	P50Ms        float64 `json:"p50_ms"`
	P99Ms        float64 `json:"p99_ms"`
	MaxMs        float64 `json:"max_ms"`
	FirstError   string  `json:"first_error,omitempty"`
}

// RunVegeta runs the attacks at the same time and returns their results
// in order. Cancelling ctx stops them early.
func RunVegeta(ctx context.Context, attacks []VegetaAttack) []VegetaResult {
	out := make([]VegetaResult, len(attacks))
	var wg sync.WaitGroup
	for i, a := range attacks {
		wg.Go(func() { out[i] = runVegetaAttack(ctx, a) })
	}
	wg.Wait()
	return out
}

func runVegetaAttack(ctx context.Context, a VegetaAttack) VegetaResult {
	if a.MaxWorkers == 0 {
		a.MaxWorkers = VegetaMaxWorkersDefault
	}
	if a.Timeout == 0 {
		a.Timeout = VegetaTimeoutDefault
	}
	res := VegetaResult{Name: a.Name, Gateway: a.Gateway, RequestedRate: float64(a.Rate)}
	for _, t := range a.Targets {
		if t.Header.Get("If-None-Match") != "" {
			res.RevalidatingTargets++
		}
	}
	if len(a.Targets) > 0 {
		res.RevalidatingTargets /= float64(len(a.Targets))
	}
	if len(a.Targets) == 0 || a.Rate <= 0 || a.Duration <= 0 {
		res.FirstError = "nothing to attack"
		return res
	}
	attacker := vegeta.NewAttacker(vegeta.MaxWorkers(a.MaxWorkers), vegeta.Timeout(a.Timeout), vegeta.KeepAlive(true))
	stop := context.AfterFunc(ctx, func() { attacker.Stop() })
	defer stop()
	var m vegeta.Metrics
	for r := range attacker.Attack(vegeta.NewStaticTargeter(a.Targets...), vegeta.Rate{Freq: a.Rate, Per: time.Second}, a.Duration, a.Name) {
		m.Add(r)
	}
	m.Close()
	res.AchievedRate, res.Throughput, res.Requests = m.Rate, m.Throughput, m.Requests
	for code, n := range m.StatusCodes {
		switch code {
		case "200":
			res.OK += n
		case "304":
			res.NotModified += n
		default:
			if res.Other == nil {
				res.Other = map[string]int{}
			}
			res.Other[code] += n
		}
	}
	if m.Requests > 0 {
		res.SuccessRatio = float64(res.OK+res.NotModified) / float64(m.Requests)
	}
	res.P50Ms, res.P99Ms, res.MaxMs = ms(m.Latencies.P50), ms(m.Latencies.P99), ms(m.Latencies.Max)
	if len(m.Errors) > 0 {
		res.FirstError = m.Errors[0]
	}
	return res
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// fanIP is the load balancer's address of fan i: 10.x.y.z.
func fanIP(i int) string {
	return fmt.Sprintf("10.%d.%d.%d", (i>>16)&0xff, (i>>8)&0xff, i&0xff+1)
}

// LoginVegetaFans logs n fans in on the gateway at base (dev login, demo
// mode), each with its own forwarded address; tokens are good on every
// gateway sharing the JWT secret. concurrency bounds the logins in flight.
func LoginVegetaFans(ctx context.Context, base, prefix string, n, concurrency int) ([]VegetaFan, error) {
	fans := make([]VegetaFan, n)
	for i := range fans {
		fans[i] = VegetaFan{Subject: fmt.Sprintf("%s-%d", prefix, i), IP: fanIP(i)}
	}
	err := forEach(ctx, n, concurrency, func(ctx context.Context, i int) error {
		var tok struct {
			Token string `json:"token"`
		}
		status, body, _, err := vegetaSetupCall(ctx, "POST", base+"/v1/dev/login", "", fans[i].IP,
			map[string]string{"subject": fans[i].Subject, "role": "fan"}, &tok, "Idempotency-Key", "login-"+fans[i].Subject)
		if err != nil {
			return fmt.Errorf("dev login of %s: %w", fans[i].Subject, err)
		}
		if status != http.StatusOK || tok.Token == "" {
			return fmt.Errorf("dev login of %s: %d %s", fans[i].Subject, status, body)
		}
		fans[i].Token = tok.Token
		return nil
	})
	return fans, err
}

// JoinWaitingRoom puts every fan in the event's waiting room through the
// gateway at base.
func JoinWaitingRoom(ctx context.Context, base, eventID string, fans []VegetaFan, concurrency int) error {
	return forEach(ctx, len(fans), concurrency, func(ctx context.Context, i int) error {
		status, body, _, err := vegetaSetupCall(ctx, "POST", base+"/v1/events/"+url.PathEscape(eventID)+"/waiting-room/join",
			fans[i].Token, fans[i].IP, nil, nil, "Idempotency-Key", "join-"+fans[i].Subject)
		if err != nil {
			return fmt.Errorf("join of %s: %w", fans[i].Subject, err)
		}
		if status != http.StatusOK {
			return fmt.Errorf("join of %s: %d %s", fans[i].Subject, status, body)
		}
		return nil
	})
}

// SeatMapETags fetches each section's seat map once and returns the
// ETags the gateway gave (none for a gateway without them).
func SeatMapETags(ctx context.Context, base, eventID string, sections []string, fan VegetaFan) (map[string]string, error) {
	etags := map[string]string{}
	for _, s := range sections {
		status, body, header, err := vegetaSetupCall(ctx, "GET", seatMapURL(base, eventID, s), fan.Token, fan.IP, nil, nil)
		if err != nil {
			return nil, fmt.Errorf("seat map of section %s: %w", s, err)
		}
		if status != http.StatusOK {
			return nil, fmt.Errorf("seat map of section %s: %d %s", s, status, body)
		}
		if tag := header.Get("ETag"); tag != "" {
			etags[s] = tag
		}
	}
	return etags, nil
}

func seatMapURL(base, eventID, section string) string {
	return base + "/v1/events/" + url.PathEscape(eventID) + "/seats?section=" + url.QueryEscape(section)
}

// SeatMapViewTargets are views of one section's seat map each, sections
// and fans in turn; a share revalidatedShare of them (0..1, drawn with
// seed) sends If-None-Match with the section's ETag when there is one.
func SeatMapViewTargets(base, eventID string, sections []string, etags map[string]string, fans []VegetaFan, revalidatedShare float64, seed uint64) []vegeta.Target {
	rng := rand.New(rand.NewPCG(seed, seed^0x5851f42d4c957f2d))
	n := max(len(fans), len(sections))
	targets := make([]vegeta.Target, 0, n)
	for i := range n {
		fan, section := fans[i%len(fans)], sections[i%len(sections)]
		h := fanHeader(fan)
		if tag, ok := etags[section]; ok && rng.Float64() < revalidatedShare {
			h.Set("If-None-Match", tag)
		}
		targets = append(targets, vegeta.Target{Method: "GET", URL: seatMapURL(base, eventID, section), Header: h})
	}
	return targets
}

// QueuePollTargets are the fans' polls of their waiting-room position.
func QueuePollTargets(base, eventID string, fans []VegetaFan) []vegeta.Target {
	u := base + "/v1/events/" + url.PathEscape(eventID) + "/waiting-room/me"
	targets := make([]vegeta.Target, 0, len(fans))
	for _, fan := range fans {
		targets = append(targets, vegeta.Target{Method: "GET", URL: u, Header: fanHeader(fan)})
	}
	return targets
}

func fanHeader(fan VegetaFan) http.Header {
	h := http.Header{}
	h.Set("Authorization", "Bearer "+fan.Token)
	h.Set("X-Forwarded-For", fan.IP)
	return h
}

// vegetaSetupHTTP carries the setup calls (logins, joins, ETags); the
// attacks have vegeta's own client.
var vegetaSetupHTTP = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

// vegetaSetupCall makes one setup request; 429 and 503 are retried after
// their Retry-After (at most 1 s, until ctx ends).
func vegetaSetupCall(ctx context.Context, method, u, token, ip string, body, out any, headers ...string) (int, string, http.Header, error) {
	var raw []byte
	if body != nil {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			return 0, "", nil, err
		}
	}
	for {
		req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(raw))
		if err != nil {
			return 0, "", nil, err
		}
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		req.Header.Set("X-Forwarded-For", ip)
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		resp, err := vegetaSetupHTTP.Do(req)
		if err != nil {
			return 0, "", nil, err
		}
		b, err := io.ReadAll(io.LimitReader(resp.Body, gatewayResponseBytesMax))
		resp.Body.Close()
		if err != nil {
			return 0, "", nil, err
		}
		if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
			wait := 100 * time.Millisecond
			if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && secs > 0 {
				wait = min(time.Duration(secs)*time.Second, time.Second)
			}
			select {
			case <-ctx.Done():
				return resp.StatusCode, string(b), resp.Header, ctx.Err()
			case <-time.After(wait):
				continue
			}
		}
		if out != nil && resp.StatusCode < 300 {
			if err := json.Unmarshal(b, out); err != nil {
				return resp.StatusCode, string(b), resp.Header, err
			}
		}
		return resp.StatusCode, string(b), resp.Header, nil
	}
}

// forEach runs f(0..n-1) with at most concurrency in flight and returns
// the first error (the rest are then skipped).
func forEach(parent context.Context, n, concurrency int, f func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	var (
		mu       sync.Mutex
		firstErr error
	)
	next := make(chan int)
	var wg sync.WaitGroup
	for range max(1, concurrency) {
		wg.Go(func() {
			for i := range next {
				if err := f(ctx, i); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					cancel()
				}
			}
		})
	}
feed:
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if firstErr == nil {
		firstErr = parent.Err()
	}
	return firstErr
}

// StatusSummary prints Other's codes in order ("429 x12, 0 x3").
func (r VegetaResult) StatusSummary() string {
	var b bytes.Buffer
	for _, code := range slices.Sorted(maps.Keys(r.Other)) {
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s x%d", code, r.Other[code])
	}
	return b.String()
}

// OpenWaitingRoom puts an event in queue mode through the gateway at base,
// on sale since two seconds ago, admitting admitPerSecond fans a second (a
// tiny rate keeps the joined fans waiting, so polls answer positions).
func OpenWaitingRoom(ctx context.Context, base, eventID string, admitPerSecond float64) error {
	var tok struct {
		Token string `json:"token"`
	}
	subject := "vegeta-organizer-" + randomHex(4)
	status, body, _, err := vegetaSetupCall(ctx, "POST", base+"/v1/dev/login", "", fanIP(0), map[string]string{"subject": subject, "role": "organizer"}, &tok, "Idempotency-Key", "login-"+subject)
	if err != nil || status != http.StatusOK {
		return fmt.Errorf("organizer login: %d %s %v", status, body, err)
	}
	cfg := map[string]any{"on_sale_at": time.Now().Add(-2 * time.Second).UTC().Format(time.RFC3339Nano), "admit_per_second": admitPerSecond}
	status, body, _, err = vegetaSetupCall(ctx, "PUT", base+"/v1/events/"+url.PathEscape(eventID)+"/waiting-room", tok.Token, fanIP(0), cfg, nil)
	if err != nil || status != http.StatusOK {
		return fmt.Errorf("waiting room of %s: %d %s %v", eventID, status, body, err)
	}
	return nil
}

// EventSections lists the ids of an event's reserved-seat sections as the
// gateway at base shows them.
func EventSections(ctx context.Context, base, eventID string, fan VegetaFan) ([]string, error) {
	var ev struct {
		Sections []struct {
			ID string `json:"id"`
		} `json:"sections"`
	}
	status, body, _, err := vegetaSetupCall(ctx, "GET", base+"/v1/events/"+url.PathEscape(eventID), fan.Token, fan.IP, nil, &ev)
	if err != nil || status != http.StatusOK {
		return nil, fmt.Errorf("event %s: %d %s %v", eventID, status, body, err)
	}
	var ids []string
	for _, s := range ev.Sections {
		ids = append(ids, s.ID)
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("event %s has no reserved-seat sections", eventID)
	}
	return ids, nil
}
