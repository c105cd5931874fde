package checkout_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/checkout"
	"github.com/boxoffice/boxoffice/cluster/client"
)

// watchCountingClient is the real cluster client, counting the Watch
// streams the gateway opens and able to break them.
type watchCountingClient struct {
	*client.Client
	calls atomic.Int64
	open  atomic.Int64

	mu       sync.Mutex
	requests []*boxofficev1.WatchRequest
	cancels  []context.CancelFunc
}

func (w *watchCountingClient) Watch(ctx context.Context, req *boxofficev1.WatchRequest) (boxofficev1.Inventory_WatchClient, error) {
	ctx, cancel := context.WithCancel(ctx)
	stream, err := w.Client.Watch(ctx, req)
	if err != nil {
		cancel()
		return nil, err
	}
	w.calls.Add(1)
	w.open.Add(1)
	var once sync.Once
	done := func() { once.Do(func() { w.open.Add(-1); cancel() }) }
	go func() { <-ctx.Done(); done() }()
	w.mu.Lock()
	w.requests = append(w.requests, req)
	w.cancels = append(w.cancels, cancel)
	w.mu.Unlock()
	return &countedStream{Inventory_WatchClient: stream, done: done}, nil
}

// breakAll ends every Watch stream as a node restart would.
func (w *watchCountingClient) breakAll() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, cancel := range w.cancels {
		cancel()
	}
}

func (w *watchCountingClient) lastRequest() *boxofficev1.WatchRequest {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.requests[len(w.requests)-1]
}

type countedStream struct {
	boxofficev1.Inventory_WatchClient
	done func()
}

func (s *countedStream) Recv() (*boxofficev1.WatchResponse, error) {
	resp, err := s.Inventory_WatchClient.Recv()
	if err != nil {
		s.done()
	}
	return resp, err
}

// sseStream is one open Server-Sent Events response.
type sseStream struct {
	resp   *http.Response
	lines  *bufio.Scanner
	cancel context.CancelFunc
}

// openStream opens path with token; it returns the stream when the answer
// is 200, and otherwise the status, headers and body of the refusal.
func openStream(t *testing.T, g *gw, path, token string, headers ...string) (*sseStream, resp) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", g.srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Error(err)
		return nil, resp{}
	}
	if r.StatusCode != http.StatusOK {
		defer cancel()
		defer r.Body.Close()
		b, _ := io.ReadAll(r.Body)
		return nil, resp{r.StatusCode, r.Header, b}
	}
	t.Cleanup(func() { cancel(); r.Body.Close() })
	return &sseStream{resp: r, lines: bufio.NewScanner(r.Body), cancel: cancel}, resp{status: r.StatusCode, header: r.Header}
}

func (s *sseStream) close() { s.cancel(); s.resp.Body.Close() }

// next returns the next event's name, id and data (comments skipped).
func (s *sseStream) next(t *testing.T) (name, id, data string) {
	t.Helper()
	for s.lines.Scan() {
		line := s.lines.Text()
		switch {
		case line == "" && (name != "" || data != ""):
			return name, id, data
		case strings.HasPrefix(line, "event: "):
			name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "id: "):
			id = strings.TrimPrefix(line, "id: ")
		case strings.HasPrefix(line, "data: "):
			data = strings.TrimPrefix(line, "data: ")
		}
	}
	t.Fatalf("stream ended: %v", s.lines.Err())
	return
}

// TestSeatStreamsPerFanAreCapped: one fan opening 300 seat streams on a
// gateway (which once opened 300 cluster Watches) gets StreamsPerFan of
// them; every other is refused with a 429 too-many-streams problem and a
// Retry-After, before any cluster call. The waiting-room stream shares the
// cap, and closing a stream frees its slot.
func TestSeatStreamsPerFanAreCapped(t *testing.T) {
	e := newEnv(t)
	e.event("capped")
	inv := &watchCountingClient{Client: e.cluster}
	a := e.gateway(func(c *checkout.Config) { c.Inventory = inv })
	fan := a.login("greedy", "fan")

	const attempts = 300
	var wg sync.WaitGroup
	var mu sync.Mutex
	var open []*sseStream
	var refused []resp
	for range attempts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, r := openStream(t, a, "/v1/events/capped/seats/stream", fan)
			mu.Lock()
			defer mu.Unlock()
			if s != nil {
				open = append(open, s)
			} else {
				refused = append(refused, r)
			}
		}()
	}
	wg.Wait()
	if len(open) != checkout.StreamsPerFanDefault || len(refused) != attempts-checkout.StreamsPerFanDefault {
		t.Fatalf("%d streams open, %d refused; want %d and %d", len(open), len(refused), checkout.StreamsPerFanDefault, attempts-checkout.StreamsPerFanDefault)
	}
	for _, r := range refused {
		p := r.json(t)
		if r.status != http.StatusTooManyRequests || r.header.Get("Content-Type") != "application/problem+json" ||
			p["type"] != "https://boxoffice.dev/problems/too-many-streams" || p["quota"] != "streams_per_fan" ||
			p["limit"] != float64(checkout.StreamsPerFanDefault) || r.header.Get("Retry-After") == "" {
			t.Fatalf("refusal: %d %v %s", r.status, r.header, r.body)
		}
	}
	if n := inv.calls.Load(); n != 1 {
		t.Fatalf("%d cluster Watches opened for one fan's streams, want 1", n)
	}

	// The waiting-room stream counts against the same cap.
	organizer := a.login("org", "organizer")
	a.must(200, "PUT", "/v1/events/capped/waiting-room", organizer, map[string]any{
		"on_sale_at": e.clock.now().Add(time.Hour).Format(time.RFC3339Nano), "admit_per_second": 1})
	a.must(200, "POST", "/v1/events/capped/waiting-room/join", fan, nil)
	if _, r := openStream(t, a, "/v1/events/capped/waiting-room/me/stream", fan); r.status != http.StatusTooManyRequests {
		t.Fatalf("waiting-room stream over the cap: %d %s", r.status, r.body)
	}
	open[0].close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		s, r := openStream(t, a, "/v1/events/capped/waiting-room/me/stream", fan)
		if s != nil {
			break
		}
		if r.status != http.StatusTooManyRequests || time.Now().After(deadline) {
			t.Fatalf("waiting-room stream after closing a seat stream: %d %s", r.status, r.body)
		}
		time.Sleep(10 * time.Millisecond) // poll interval: the gateway frees the slot once it sees the close
	}
	// A stream of an event that does not exist is a 404, and its slot is
	// given back.
	other := a.login("other", "fan")
	for range checkout.StreamsPerFanDefault + 1 {
		if _, r := openStream(t, a, "/v1/events/nope/seats/stream", other); r.status != http.StatusNotFound {
			t.Fatalf("stream of a missing event: %d %s", r.status, r.body)
		}
	}
	// Another fan is not affected by the greedy one.
	if s, r := openStream(t, a, "/v1/events/capped/seats/stream", other); s == nil {
		t.Fatalf("another fan's stream: %d %s", r.status, r.body)
	}
}

// TestSeatStreamsShareOneWatch: 200 seat streams of 50 fans on one event
// are fed by exactly one cluster Watch; every stream sees a hold; when the
// last stream closes the gateway closes the Watch after its linger.
func TestSeatStreamsShareOneWatch(t *testing.T) {
	e := newEnv(t)
	e.event("shared")
	inv := &watchCountingClient{Client: e.cluster}
	a := e.gateway(func(c *checkout.Config) { c.Inventory = inv; c.WatchLinger = 100 * time.Millisecond })
	const fans, perFan = 50, 4
	tokens := make([]string, fans)
	for i := range tokens {
		tokens[i] = a.login(fmt.Sprintf("watcher%d", i), "fan")
	}
	streams := make([]*sseStream, 0, fans*perFan)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := range fans * perFan {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, r := openStream(t, a, "/v1/events/shared/seats/stream", tokens[i%fans])
			if s == nil {
				t.Errorf("stream %d: %d %s", i, r.status, r.body)
				return
			}
			mu.Lock()
			streams = append(streams, s)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	if calls, open := inv.calls.Load(), inv.open.Load(); calls != 1 || open != 1 {
		t.Fatalf("%d streams: %d cluster Watches opened, %d open; want 1 and 1", len(streams), calls, open)
	}
	buyer := a.login("buyer", "fan")
	a.must(201, "POST", "/v1/events/shared/holds", buyer, map[string]any{"seats": []string{"A-A-1"}})
	for i, s := range streams {
		name, id, data := s.next(t)
		if name != "seat" || id == "" || !strings.Contains(data, `"A-A-1"`) || !strings.Contains(data, `"held"`) {
			t.Fatalf("stream %d: event %q id %q data %s", i, name, id, data)
		}
	}
	metrics := string(a.do("GET", "/metrics", "", nil).body)
	for _, want := range []string{"boxoffice_gateway_cluster_watches_open 1", "boxoffice_gateway_seat_stream_subscribers 200", "boxoffice_gateway_sse_streams_open 200"} {
		if !strings.Contains(metrics, want) {
			t.Fatalf("metrics lack %q", want)
		}
	}
	for _, s := range streams {
		s.close()
	}
	for deadline := time.Now().Add(10 * time.Second); inv.open.Load() != 0; time.Sleep(10 * time.Millisecond) { // poll interval
		if time.Now().After(deadline) {
			t.Fatalf("the cluster Watch is still open after every stream closed")
		}
	}
	if calls := inv.calls.Load(); calls != 1 {
		t.Fatalf("%d cluster Watches opened in all, want 1", calls)
	}
}

// TestSeatStreamSurvivesBrokenWatch: when the cluster Watch breaks (a
// node restart), the gateway watches again from the last position it
// delivered, and an open stream goes on with the next change: nothing
// missed, nothing twice, no reconnect.
func TestSeatStreamSurvivesBrokenWatch(t *testing.T) {
	e := newEnv(t)
	e.event("breaks")
	inv := &watchCountingClient{Client: e.cluster}
	a := e.gateway(func(c *checkout.Config) { c.Inventory = inv })
	fan := a.login("steady", "fan")
	s, r := openStream(t, a, "/v1/events/breaks/seats/stream", fan)
	if s == nil {
		t.Fatalf("stream: %d %s", r.status, r.body)
	}
	a.must(201, "POST", "/v1/events/breaks/holds", fan, map[string]any{"seats": []string{"A-A-1"}})
	_, firstID, data := s.next(t)
	if !strings.Contains(data, `"A-A-1"`) {
		t.Fatalf("first change: %s", data)
	}
	inv.breakAll()
	for deadline := time.Now().Add(10 * time.Second); inv.calls.Load() < 2 || inv.open.Load() != 1; time.Sleep(10 * time.Millisecond) { // poll interval
		if time.Now().After(deadline) {
			t.Fatalf("the gateway did not watch again: %d calls, %d open", inv.calls.Load(), inv.open.Load())
		}
	}
	var resumedFrom []string
	after := slices.Clone(inv.lastRequest().GetAfter())
	slices.SortFunc(after, func(x, y *boxofficev1.ShardPosition) int { return int(x.GetShard()) - int(y.GetShard()) })
	for _, p := range after {
		resumedFrom = append(resumedFrom, fmt.Sprintf("%d:%d", p.GetShard(), p.GetSequence()))
	}
	if got := strings.Join(resumedFrom, ","); got != firstID {
		t.Fatalf("watched again from %q, want the last delivered position %q", got, firstID)
	}
	a.must(201, "POST", "/v1/events/breaks/holds", fan, map[string]any{"seats": []string{"A-A-2"}})
	name, _, data := s.next(t)
	if name != "seat" || !strings.Contains(data, `"A-A-2"`) {
		t.Fatalf("after the break: event %q %s (want A-A-2 once, nothing repeated)", name, data)
	}
}

// TestSeatStreamOlderThanTheSharedWatchResets: a stream resuming from a
// cursor older than anything the event's shared Watch can replay is told
// to reload the seat map (event "reset") and ended, while a stream from
// the reloaded map's cursor gets the changes after it.
func TestSeatStreamOlderThanTheSharedWatchResets(t *testing.T) {
	e := newEnv(t)
	e.event("resets")
	a, b := e.gateway(), e.gateway()
	fan := a.login("returning", "fan")
	// The map is read on another gateway: a's shared Watch (which a's own
	// seat-map views would start) starts after the hold.
	stale := str(b.must(200, "GET", "/v1/events/resets/seats", fan, nil), "cursor")
	a.must(201, "POST", "/v1/events/resets/holds", fan, map[string]any{"seats": []string{"A-A-1"}})
	if s, r := openStream(t, a, "/v1/events/resets/seats/stream", a.login("watching", "fan")); s == nil { // the shared Watch starts after the hold
		t.Fatalf("stream: %d %s", r.status, r.body)
	}
	s, r := openStream(t, a, "/v1/events/resets/seats/stream", fan, "Last-Event-ID", stale)
	if s == nil {
		t.Fatalf("stale stream: %d %s", r.status, r.body)
	}
	if name, _, data := s.next(t); name != "reset" || !strings.Contains(data, "reload the seat map") {
		t.Fatalf("stale cursor: event %q %s", name, data)
	}
	if s.lines.Scan() {
		t.Fatalf("the stream went on after the reset: %q", s.lines.Text())
	}
	fresh := str(a.must(200, "GET", "/v1/events/resets/seats", fan, nil), "cursor")
	s, r = openStream(t, a, "/v1/events/resets/seats/stream", fan, "Last-Event-ID", fresh)
	if s == nil {
		t.Fatalf("fresh stream: %d %s", r.status, r.body)
	}
	a.must(201, "POST", "/v1/events/resets/holds", fan, map[string]any{"seats": []string{"A-A-2"}})
	if name, _, data := s.next(t); name != "seat" || !strings.Contains(data, `"A-A-2"`) {
		t.Fatalf("after reloading: event %q %s", name, data)
	}
}
