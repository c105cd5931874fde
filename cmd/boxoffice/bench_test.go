package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice/bench"
)

func TestBenchUsageErrors(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--clients", "0"}, "--clients 0"},
		{[]string{"--clients", "20000"}, "Clients = 20000"},
		{[]string{"--hold-size", "50"}, "HoldSize = 50"},
		{[]string{"--read-consistency", "eventual"}, `ReadConsistency = "eventual"`},
		{[]string{"--conn", "udp"}, `--conn "udp"`},
		{[]string{"--conns", "0"}, "--conns 0"},
		{[]string{"--read-stream"}, "ReadStream without ReadOnly"},
		{[]string{"--read-only", "--read-stream", "--conn", "raw"}, "--read-stream needs --conn client"},
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"report"}, "give the JSON files"},
	} {
		var stdout, stderr bytes.Buffer
		err := runBench(ctx, tt.args, &stdout, &stderr)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("bench %v: err = %v, want %q", tt.args, err, tt.want)
		}
	}
}

// TestBenchEndToEnd runs a short OSW-1 (4 x 5 x 10 seats, 8 clients, at
// most 5 seconds) against three real `boxoffice start` processes, in both
// connection modes, and requires the invariant check to pass.
func TestBenchEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end over real processes; skipped with -short")
	}
	pc := newProcessCluster(t, 3)
	addrs := []string{pc.grpcAddr(0), pc.grpcAddr(1), pc.grpcAddr(2)}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, mode := range []string{benchConnClient, benchConnRaw} {
		dir := t.TempDir()
		jsonPath := filepath.Join(dir, "run.json")
		var stdout, stderr bytes.Buffer
		err := runBench(ctx, []string{"--addr", strings.Join(addrs, ","), "--conn", mode, "--conns", "2",
			"--sections", "4", "--rows", "5", "--seats", "10", "--clients", "8", "--duration", "5s",
			"--json", jsonPath, "--plot", filepath.Join(dir, "run.png")}, &stdout, &stderr)
		if err != nil {
			t.Fatalf("--conn %s: %v\nstdout:\n%s\nstderr:\n%s", mode, err, stdout.String(), stderr.String())
		}
		res, err := bench.ReadJSON(jsonPath)
		if err != nil {
			t.Fatal(err)
		}
		if !res.Check.OK || res.Errors != 0 || res.Holds == 0 || res.Check.SeatsSold != int(2*res.Sells) {
			t.Errorf("--conn %s: %d holds, %d sells, %d errors (%s); check: %s", mode, res.Holds, res.Sells, res.Errors, res.FirstError, res.Check.Detail)
		}
		// CPU per operation: the load generator and the three nodes, read
		// from their /metrics; the event's group has one leader.
		if u := res.CPU; u == nil || u.MeterError != "" || len(u.Processes) != 4 {
			t.Errorf("--conn %s: CPU %+v; want the load generator and 3 nodes", mode, u)
		} else {
			leaders := 0
			for _, p := range u.Processes[1:] {
				if p.Role == "leader" {
					leaders++
					if p.CPUS <= 0 || p.UsPerOp <= 0 {
						t.Errorf("--conn %s: the leader %s used %.3f s of CPU", mode, p.Name, p.CPUS)
					}
				}
			}
			if leaders != 1 || !strings.Contains(stdout.String(), "CPU per operation") {
				t.Errorf("--conn %s: %d leaders in %+v; stdout:\n%s", mode, leaders, u.Processes, stdout.String())
			}
		}
		t.Logf("--conn %s: %.0f holds/s, hold p50 %.2f ms, sold out: %v, %s", mode, res.HoldsPerS, res.HoldLatency.P50Ms, res.SoldOut, res.Check.Detail)
		if !strings.Contains(stdout.String(), "invariants") {
			t.Errorf("--conn %s: want the table on stdout:\n%s", mode, stdout.String())
		}
	}
}
