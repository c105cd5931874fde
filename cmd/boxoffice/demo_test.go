package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// grpcurl runs the real grpcurl (a go tool of this module).
func grpcurl(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", append([]string{"tool", "grpcurl", "-plaintext", "-max-time", "20"}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("grpcurl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestDemoWithGrpcurl is the README's first walk: start the demo, then with
// grpcurl alone list the services, create an event from a venue
// description, hold best-available seats, sell them and read them back as
// sold.
func TestDemoWithGrpcurl(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the demo process; skipped with -short")
	}
	bin := buildBinary(t)
	var demo *exec.Cmd
	var addr string
	var lines *bufio.Scanner
	var banner []string
	for attempt := 0; attempt < 5 && addr == ""; attempt++ {
		banner = nil
		port := demoPort(t)
		demo = exec.Command(bin, "demo", "--grpc-port", fmt.Sprint(port), "--data-dir", t.TempDir(), "--gateway-addr", "127.0.0.1:0")
		stdout, err := demo.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := demo.Start(); err != nil {
			t.Fatal(err)
		}
		lines = bufio.NewScanner(stdout)
		deadline := time.Now().Add(60 * time.Second)
		for time.Now().Before(deadline) && lines.Scan() {
			banner = append(banner, lines.Text())
			if strings.Contains(lines.Text(), "Ctrl-C stops the cluster") {
				addr = fmt.Sprintf("127.0.0.1:%d", port)
				break
			}
		}
		if addr == "" {
			_ = demo.Process.Kill()
			_ = demo.Wait()
		}
	}
	if addr == "" {
		t.Fatal("the demo never said it was ready")
	}
	t.Cleanup(func() { _ = demo.Process.Kill(); _ = demo.Wait() })
	go func() {
		for lines.Scan() {
		}
	}()

	// The banner's ctl commands work as printed (the binary's own path).
	ran := 0
	for _, line := range banner {
		if command := strings.TrimSpace(line); strings.HasPrefix(command, bin+" ctl ") {
			if out, err := exec.Command("sh", "-c", command).CombinedOutput(); err != nil {
				t.Fatalf("the banner's %q: %v\n%s", command, err, out)
			}
			ran++
		}
	}
	if ran < 3 {
		t.Fatalf("the banner has %d ctl commands naming %s, want 3:\n%s", ran, bin, strings.Join(banner, "\n"))
	}

	services := grpcurl(t, addr, "list")
	for _, want := range []string{"boxoffice.v1.Inventory", "boxoffice.v1.Cluster", "grpc.health.v1.Health"} {
		if !strings.Contains(services, want) {
			t.Fatalf("grpcurl list lacks %s:\n%s", want, services)
		}
	}
	venue := `{"request_id":"create-club","event_id":"club_night","name":"Club night","venue":{"name":"Club",
	  "price_tiers":[{"id":"GA","price_cents":4500,"currency":"USD"},{"id":"BAL","price_cents":7000,"currency":"USD"}],
	  "sections":[{"id":"BAL","name":"Balcony","price_tier":"BAL","rows":[{"label":"A","seat_count":12,"aisle_after":[6]},{"label":"B","seat_count":12}]}],
	  "pools":[{"id":"FLOOR","name":"Floor","capacity":300,"price_tier":"GA"}]}}`
	grpcurl(t, "-d", venue, addr, "boxoffice.v1.Inventory/CreateEvent")

	var hold struct {
		HoldID  string   `json:"holdId"`
		SeatIDs []string `json:"seatIds"`
	}
	out := grpcurl(t, "-d", `{"request_id":"hold-1","event_id":"club_night","holder":"fan-1","best":{"quantity":2,"section_id":"BAL"}}`,
		addr, "boxoffice.v1.Inventory/Hold")
	if err := json.Unmarshal([]byte(out), &hold); err != nil || len(hold.SeatIDs) != 2 {
		t.Fatalf("hold answered %s (%v)", out, err)
	}
	grpcurl(t, "-d", fmt.Sprintf(`{"request_id":"sell-1","event_id":"club_night","hold_id":%q,"holder":"fan-1","order_id":"order-1","buyer":"fan-1"}`, hold.HoldID),
		addr, "boxoffice.v1.Inventory/Sell")
	out = grpcurl(t, "-d", `{"event_id":"club_night","section_ids":["BAL"]}`, addr, "boxoffice.v1.Inventory/GetSeatMap")
	var seatMap struct {
		Sections []struct {
			Rows []struct {
				Seats []struct {
					SeatID  string `json:"seatId"`
					State   string `json:"state"`
					OrderID string `json:"orderId"`
				} `json:"seats"`
			} `json:"rows"`
		} `json:"sections"`
	}
	if err := json.Unmarshal([]byte(out), &seatMap); err != nil {
		t.Fatal(err)
	}
	sold := map[string]string{}
	for _, s := range seatMap.Sections {
		for _, r := range s.Rows {
			for _, seat := range r.Seats {
				if seat.State == "SEAT_STATE_SOLD" {
					sold[seat.SeatID] = seat.OrderID
				}
			}
		}
	}
	for _, id := range hold.SeatIDs {
		if sold[id] != "order-1" {
			t.Fatalf("seat %s reads %q, want sold to order-1; sold: %v", id, sold[id], sold)
		}
	}
	if len(sold) != 2 {
		t.Fatalf("%d seats sold, want 2", len(sold))
	}
}
