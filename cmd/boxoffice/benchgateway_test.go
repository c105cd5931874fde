package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice/bench"
	"github.com/boxoffice/boxoffice/internal/testport"
)

func TestBenchGatewayRefusesBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--clients", "0", "--event", "e"}, "--clients 0"},
		{[]string{"--abandon-ratio", "1.5", "--event", "e"}, "--abandon-ratio"},
		{[]string{"--gateway", "ftp://x", "--event", "e"}, "BaseURL"},
		{[]string{}, "give --event, or --addr"},
	} {
		var out, errOut bytes.Buffer
		err := runBench(context.Background(), append([]string{"gateway"}, tc.args...), &out, &errOut)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: want an error containing %q, got %v", tc.args, tc.want, err)
		}
	}
}

// TestBenchGatewayAgainstDemo runs `boxoffice bench gateway` for a few
// seconds against a real `boxoffice demo` process (three nodes and the
// demo gateway, default rate limits) on its demo_arena, with a waiting
// room, and checks the JSON result: fans bought, and the invariant check
// through the cluster passed.
func TestBenchGatewayAgainstDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the demo process; skipped with -short")
	}
	gateway, grpcAddr := startDemoWithCluster(t)
	jsonPath := filepath.Join(t.TempDir(), "result.json")
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	err := runBench(ctx, []string{"gateway", "--gateway", gateway, "--addr", grpcAddr, "--event", "demo_arena",
		"--clients", "4", "--duration", "4s", "--abandon-ratio", "0.25", "--waiting-room", "500", "--json", jsonPath}, &out, &errOut)
	t.Logf("stdout:\n%s", out.String())
	if err != nil {
		t.Fatalf("bench gateway: %v\nstderr:\n%s", err, errOut.String())
	}
	if !strings.Contains(errOut.String(), "purchases") {
		t.Errorf("no progress line on stderr: %q", errOut.String())
	}
	raw, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var res bench.GatewayResult
	if err := json.Unmarshal(raw, &res); err != nil {
		t.Fatal(err)
	}
	if res.Purchases == 0 || !res.WaitingRoom {
		t.Fatalf("purchases %d, waiting room %v: %s", res.Purchases, res.WaitingRoom, raw)
	}
	if res.Check == nil || !res.Check.OK || res.Check.TicketsIssued != int(res.SeatsBought) {
		t.Fatalf("check: %+v", res.Check)
	}
	if res.RoundTrips == nil || res.RoundTrips.ClusterTotal == 0 {
		t.Errorf("no cluster operations per purchase from the nodes' metrics: %+v", res.RoundTrips)
	}
}

// startDemoWithCluster runs `boxoffice demo` (ports from demoPort, gateway
// on a free port) and
// returns its gateway URL and first gRPC address.
func startDemoWithCluster(t *testing.T) (gateway, grpcAddr string) {
	t.Helper()
	bin := buildBinary(t)
	for range 5 {
		port := demoPort(t)
		demo := exec.Command(bin, "demo", "--grpc-port", fmt.Sprint(port), "--data-dir", t.TempDir(), "--gateway-addr", "127.0.0.1:0")
		stdout, err := demo.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := demo.Start(); err != nil {
			t.Fatal(err)
		}
		lines := bufio.NewScanner(stdout)
		gateway, grpcAddr = "", ""
		deadline := time.Now().Add(60 * time.Second)
		for time.Now().Before(deadline) && lines.Scan() {
			line := strings.TrimSpace(lines.Text())
			if rest, ok := strings.CutPrefix(line, "gateway: http://"); ok {
				gateway, _, _ = strings.Cut(rest, " (")
			}
			if rest, ok := strings.CutPrefix(line, "gRPC:"); ok {
				grpcAddr, _, _ = strings.Cut(strings.TrimSpace(rest), " ")
			}
			if strings.Contains(line, "Ctrl-C stops the cluster") {
				break
			}
		}
		if gateway == "" || grpcAddr == "" {
			_ = demo.Process.Kill()
			_ = demo.Wait()
			continue
		}
		t.Cleanup(func() { _ = demo.Process.Kill(); _ = demo.Wait() })
		go func() {
			for lines.Scan() {
			}
		}()
		return "http://" + gateway, grpcAddr
	}
	t.Fatal("the demo never printed its gateway and gRPC addresses")
	return "", ""
}

// TestBenchGatewayOnsaleSmoke runs `boxoffice bench gateway onsale` (what
// make bench-gateway runs) for a few seconds: it starts its 3 node and 2
// gateway processes, and its table shows purchases, the vegeta views and
// polls of both gateways and a passing end-of-run check.
func TestBenchGatewayOnsaleSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("starts node and gateway processes; skipped with -short")
	}
	bin := buildBinary(t)
	var offsets []int
	for _, block := range []int{100, 200, 300, 400} {
		offsets = append(offsets, block+1, block+2, block+3)
	}
	offsets = append(offsets, 501, 502)
	base := testport.Base(t, offsets...)
	jsonPath := filepath.Join(t.TempDir(), "onsale.json")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var out, errOut bytes.Buffer
	err := runBench(ctx, []string{"gateway", "onsale", "--bin", bin, "--port-base", fmt.Sprint(base), "--quiet",
		"--clients", "8", "--duration", "3s", "--sections", "4", "--rows", "5", "--seats", "10",
		"--vegeta-duration", "1s", "--view-rate", "50", "--poll-rate", "50", "--view-fans", "20", "--poll-fans", "20",
		"--store-holds", "1000", "--json", jsonPath}, &out, &errOut)
	t.Logf("stdout:\n%s", out.String())
	if err != nil {
		t.Fatalf("bench gateway onsale: %v\nstderr:\n%s", err, errOut.String())
	}
	for _, want := range []string{"purchases/s", "÷ make bench C=256 holds/s", "p50 / p99 pay", "cluster calls per purchase",
		"seat-map views/s gateway 1", "seat-map views/s gateway 2", "queue polls/s gateway 2"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the table has no %q", want)
		}
	}
	checked := false
	for line := range strings.Lines(out.String()) {
		if strings.HasPrefix(line, "end-of-run check") {
			checked = strings.Contains(line, "PASS met") && strings.Contains(line, "invariants hold")
		}
	}
	if !checked {
		t.Errorf("the table's end-of-run check row does not say PASS met")
	}
	raw, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Purchases *bench.GatewayResult `json:"purchases"`
		Views     []bench.VegetaResult `json:"views"`
		Polls     []bench.VegetaResult `json:"polls"`
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		t.Fatal(err)
	}
	if res.Purchases == nil || res.Purchases.Purchases == 0 || res.Purchases.RoundTrips == nil || res.Purchases.RoundTrips.ClusterTotal == 0 {
		t.Fatalf("purchases: %s", raw)
	}
	for _, v := range append(res.Views, res.Polls...) {
		if v.Requests == 0 || v.OK+v.NotModified == 0 {
			t.Errorf("%s on %s: %+v", v.Name, v.Gateway, v)
		}
	}
}
