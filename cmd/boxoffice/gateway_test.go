package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/checkout"
	"github.com/boxoffice/boxoffice/checkout/clusterstore"
	"github.com/boxoffice/boxoffice/cluster"
	"github.com/boxoffice/boxoffice/cluster/client"
)

func TestRunGatewayRefusesBadFlags(t *testing.T) {
	var out, errOut bytes.Buffer
	err := runGateway(context.Background(), []string{"--cluster", "127.0.0.1:1"}, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "--ticket-key") {
		t.Fatalf("want a --ticket-key error, got %v", err)
	}
	err = runGateway(context.Background(), []string{"--demo"}, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "payments") {
		t.Fatalf("want a payments error, got %v", err)
	}
}

// TestDemoGatewayOverProcessCluster runs the gateway the demo starts
// against real `boxoffice start` processes: log in, hold two
// best-available seats, order, pay (fake), receive tickets.
func TestDemoGatewayOverProcessCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts node processes; skipped with -short")
	}
	pc := newProcessCluster(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := pc.client(ctx)
	if _, err := c.CreateEvent(ctx, &boxofficev1.CreateEventRequest{RequestId: "gw-create", EventId: "gw_arena", Name: "Gateway arena",
		Venue: cluster.DemoArena("Arena")}); err != nil {
		t.Fatal(err)
	}
	stop, addr, err := startDemoGateway(ctx, []string{pc.grpcAddr(0), pc.grpcAddr(1)}, "127.0.0.1:0", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	base := "http://" + addr
	key := 0
	call := func(method, path, token string, body any, want int) map[string]any {
		t.Helper()
		raw, _ := json.Marshal(body)
		req, _ := http.NewRequest(method, base+path, bytes.NewReader(raw))
		req.Header.Set("Authorization", "Bearer "+token)
		key++
		req.Header.Set("Idempotency-Key", fmt.Sprint("k", key))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != want {
			t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
		}
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		return m
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) { // poll interval
		if r, err := http.Get(base + "/readyz"); err == nil && r.StatusCode == 200 {
			r.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("gateway never ready")
		}
	}
	tok := call("POST", "/v1/dev/login", "", map[string]string{"subject": "fan1", "role": "fan"}, 200)["token"].(string)
	hold := call("POST", "/v1/events/gw_arena/holds", tok, map[string]any{"best": map[string]any{"quantity": 2}}, 201)
	order := call("POST", "/v1/orders", tok, map[string]any{"hold_id": hold["hold_id"]}, 201)
	paid := call("POST", "/v1/orders/"+order["order_id"].(string)+"/fake-pay", tok, map[string]any{}, 200)
	if paid["state"] != "paid" {
		t.Fatalf("paid: %v", paid)
	}
	req, _ := http.NewRequest("GET", base+"/v1/tickets", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tickets struct {
		Tickets []map[string]any `json:"tickets"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&tickets)
	if len(tickets.Tickets) != 2 || tickets.Tickets[0]["qr_payload"] == "" {
		t.Fatalf("tickets: %v", tickets)
	}
}

func TestParseTrustedProxies(t *testing.T) {
	got, err := parseTrustedProxies(" 10.0.0.0/8, 192.168.1.7 ,2001:db8::/32,,10.1.2.3/16")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"10.0.0.0/8", "192.168.1.7/32", "2001:db8::/32", "10.1.0.0/16"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if got, err := parseTrustedProxies(""); err != nil || len(got) != 0 {
		t.Fatalf("empty: %v %v", got, err)
	}
	var out, errOut bytes.Buffer
	err = runGateway(context.Background(), []string{"--demo", "--fake-payments", "--trusted-proxies", "10.0.0.0/8,not-a-net"}, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), `--trusted-proxies: "not-a-net"`) {
		t.Fatalf("want a --trusted-proxies error naming the bad entry, got %v", err)
	}
}

// TestGatewayLoadOverProcessCluster is checkout's TestLoadFullFlow against
// three real `boxoffice start` processes: two gateways (records in the
// cluster through clusterstore, one shared fake payment provider) drive
// fans through queue → admission → hold two best-available → order → pay,
// report throughput and per-step latency, and check that the cluster sold
// exactly the seats of the completed purchases. It runs only with
// BOXOFFICE_LOAD=1 (and not under -short); BOXOFFICE_LOAD_FANS (default
// 300) and BOXOFFICE_LOAD_CONCURRENCY (default 32) scale it:
//
//	BOXOFFICE_LOAD=1 go test ./cmd/boxoffice -run TestGatewayLoadOverProcessCluster -v
func TestGatewayLoadOverProcessCluster(t *testing.T) {
	if testing.Short() || os.Getenv("BOXOFFICE_LOAD") == "" {
		t.Skip("load test over node processes; set BOXOFFICE_LOAD=1")
	}
	fans, concurrency := envIntOr("BOXOFFICE_LOAD_FANS", 300), envIntOr("BOXOFFICE_LOAD_CONCURRENCY", 32)
	pc := newProcessCluster(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	admin := pc.client(ctx)
	if _, err := admin.CreateEvent(ctx, &boxofficev1.CreateEventRequest{RequestId: "load-create", EventId: "load_arena", Name: "Load arena",
		Venue: cluster.DemoArena("Arena")}); err != nil {
		t.Fatal(err)
	}
	_, key, _ := ed25519.GenerateKey(nil)
	payments := checkout.NewFakePayments(randomSecret())
	secret := []byte(randomSecret())
	recordKeys := checkout.NewKeyRing([]byte(randomSecret()))
	var bases []string
	for i := range 2 {
		c, err := client.Dial(ctx, client.Config{Addrs: []string{pc.grpcAddr(i), pc.grpcAddr((i + 1) % 3)}})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		stop, addr, err := serveGateway(ctx, checkout.Config{Inventory: c, Store: clusterstore.New(c), Payments: payments,
			JWTSecret: secret, TicketKey: key, RecordKeys: recordKeys, ScanSecret: secret, DemoMode: true, RatePerFan: -1, RatePerIP: -1}, "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer stop()
		bases = append(bases, "http://"+addr)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) { // poll interval
		if r, err := http.Get(bases[0] + "/readyz"); err == nil && r.StatusCode == 200 {
			r.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("gateway never ready")
		}
	}
	httpClient := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: concurrency}, Timeout: 30 * time.Second}
	var keys atomic.Int64
	call := func(base, method, path, token string, body any, headers ...string) (int, map[string]any) {
		raw, _ := json.Marshal(body)
		req, _ := http.NewRequest(method, base+path, bytes.NewReader(raw))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Idempotency-Key", fmt.Sprint("load-", keys.Add(1)))
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		resp, err := httpClient.Do(req)
		if err != nil {
			return 0, map[string]any{"error": err.Error()}
		}
		defer resp.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	_, org := call(bases[0], "POST", "/v1/dev/login", "", map[string]string{"subject": "org", "role": "organizer"})
	if st, _ := call(bases[0], "PUT", "/v1/events/load_arena/waiting-room", org["token"].(string), map[string]any{
		"on_sale_at": time.Now().Add(-2 * time.Second).Format(time.RFC3339Nano), "admit_per_second": 100000}); st != 200 {
		t.Fatalf("waiting room: %d", st)
	}

	var mu sync.Mutex
	latencies := map[string][]time.Duration{}
	failures := map[string]int{}
	var completed atomic.Int64
	step := func(name string, want int, f func() (int, map[string]any)) (map[string]any, bool) {
		start := time.Now()
		st, m := f()
		mu.Lock()
		defer mu.Unlock()
		latencies[name] = append(latencies[name], time.Since(start))
		if st != want {
			failures[fmt.Sprintf("%s %d %v", name, st, m["type"])]++
			return m, false
		}
		return m, true
	}
	sem := make(chan struct{}, concurrency)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range fans {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			base := bases[i%2]
			m, ok := step("login", 200, func() (int, map[string]any) {
				return call(base, "POST", "/v1/dev/login", "", map[string]string{"subject": fmt.Sprint("loadfan", i), "role": "fan"})
			})
			if !ok {
				return
			}
			tok := m["token"].(string)
			admission := ""
			if _, ok := step("queue", 200, func() (int, map[string]any) {
				st, m := call(base, "POST", "/v1/events/load_arena/waiting-room/join", tok, nil)
				for st == 200 && m["admission_token"] == nil {
					st, m = call(base, "GET", "/v1/events/load_arena/waiting-room/me", tok, nil)
				}
				admission, _ = m["admission_token"].(string)
				return st, m
			}); !ok {
				return
			}
			hold, ok := step("hold", 201, func() (int, map[string]any) {
				return call(base, "POST", "/v1/events/load_arena/holds", tok, map[string]any{"best": map[string]any{"quantity": 2}}, "X-Admission-Token", admission)
			})
			if !ok {
				return
			}
			other := bases[(i+1)%2] // the order and the payment go to the other gateway
			order, ok := step("order", 201, func() (int, map[string]any) {
				return call(other, "POST", "/v1/orders", tok, map[string]any{"hold_id": hold["hold_id"]})
			})
			if !ok {
				return
			}
			if _, ok := step("pay", 200, func() (int, map[string]any) {
				return call(base, "POST", "/v1/orders/"+order["order_id"].(string)+"/fake-pay", tok, map[string]any{})
			}); ok {
				completed.Add(1)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	t.Logf("%d fans (concurrency %d) over 3 node processes and 2 gateways: %d purchases in %v = %.1f purchases/s",
		fans, concurrency, completed.Load(), elapsed.Round(time.Millisecond), float64(completed.Load())/elapsed.Seconds())
	for _, name := range []string{"login", "queue", "hold", "order", "pay"} {
		d := latencies[name]
		if len(d) == 0 {
			continue
		}
		slices.Sort(d)
		t.Logf("%-5s n=%4d p50=%v p99=%v max=%v", name, len(d), d[len(d)/2].Round(time.Millisecond), d[len(d)*99/100].Round(time.Millisecond), d[len(d)-1].Round(time.Millisecond))
	}
	if len(failures) > 0 {
		t.Errorf("failed steps: %v", failures)
	}
	sm, err := admin.GetSeatMap(ctx, &boxofficev1.GetSeatMapRequest{EventId: "load_arena", SummaryOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if sm.GetSold() != uint32(2*completed.Load()) {
		t.Errorf("the cluster sold %d seats; %d purchases of 2 completed", sm.GetSold(), completed.Load())
	}
}

func envIntOr(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}
