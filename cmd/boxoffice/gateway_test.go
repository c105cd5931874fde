package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/cluster"
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
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
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
