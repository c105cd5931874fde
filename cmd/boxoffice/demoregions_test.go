package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/cluster"
	"github.com/boxoffice/boxoffice/cluster/client"
	"github.com/boxoffice/boxoffice/internal/testport"
)

// TestDemoRegionsFlagErrors: a bad --regions or --region-latency is
// refused before anything starts, naming the flag and the value.
func TestDemoRegionsFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--regions", "0"}, "--regions 0: must be 1..5"},
		{[]string{"--regions", "6"}, "--regions 6: must be 1..5"},
		{[]string{"--regions", "3", "--nodes", "5"}, "--nodes and --regions: --regions 3 starts 9 nodes with their localities; give one or the other"},
		{[]string{"--regions", "2", "--locality", "region=a"}, "--locality and --regions"},
		{[]string{"--region-latency", "none"}, "--region-latency needs --regions"},
		{[]string{"--regions", "2", "--region-latency", "us-east=eu-west:5s"}, `--region-latency "us-east=eu-west:5s": entry 1 "us-east=eu-west:5s": latency 5s: must be 1ms..2s`},
		{[]string{"--regions", "2", "--region-latency", "us-east=ap-south:50ms"}, `region "ap-south" is not one of the demo's: us-east, eu-west`},
		{[]string{"--regions", "2", "--region-latency", "us-east"}, `want region=region:latency`},
	} {
		var stderr bytes.Buffer
		err := runDemoArgs(tc.args, &stderr)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.args, err, tc.want)
		}
	}
}

func TestRegionsLayout(t *testing.T) {
	layout, err := regionsLayout(3, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if layout.nodes != 9 || layout.replication != 5 || layout.dataGroups != 3 || len(layout.localities) != 9 {
		t.Fatalf("layout %+v", layout)
	}
	if got := layout.localities[4].String(); got != "region=eu-west,zone=eu-west-b" {
		t.Fatalf("n5's locality %q", got)
	}
	want := "us-east=eu-west:40ms,us-east=ap-south:120ms,eu-west=ap-south:75ms"
	if got := fmt.Sprint(formatLatencies(layout)); got != want {
		t.Fatalf("latencies %q, want %q", got, want)
	}
	if layout, _ = regionsLayout(2, "none", nil); layout.latency != nil || layout.replication != 3 || layout.nodes != 6 {
		t.Fatalf("--regions 2 --region-latency none: %+v", layout)
	}
}

// TestDemoRegionsSurvivesLosingARegion is the README's regions walk,
// in-process: demo --regions 3 starts 9 nodes in 3 regions with the
// default latencies, status shows the 3 regions, a hold and a sell work;
// "kill ap-south" stops n7-n9, every group is led outside ap-south, and
// the event still sells. (Not us-east: n1-n3 are 3 of the meta group's 5
// voters, which placement does not spread over regions.)
func TestDemoRegionsSurvivesLosingARegion(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 9 nodes; skipped with -short")
	}
	var offsets []int
	for _, block := range []int{0, 100, 200, 300} {
		for i := range 9 {
			offsets = append(offsets, block+i)
		}
	}
	port := testport.Base(t, offsets...)
	layout, err := regionsLayout(3, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	hosts, err := startLocalCluster(t.TempDir(), port, layout, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, h := range hosts {
			_ = h.Close()
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	for _, h := range hosts {
		if err := h.WaitReady(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := createDemoEvent(ctx, hosts[0].GRPCAddr()); err != nil {
		t.Fatal(err)
	}
	banner := regionsBanner(hosts, layout)
	for _, want := range []string{"us-east   n1 n2 n3", "ap-south  n7 n8 n9", `type "kill ap-south"`,
		"ctl --addr " + hosts[0].GRPCAddr() + "," + hosts[3].GRPCAddr() + "," + hosts[6].GRPCAddr() + " status",
		"ctl --addr " + hosts[0].GRPCAddr() + "," + hosts[3].GRPCAddr() + "," + hosts[6].GRPCAddr() + " hold demo_arena --holder fan1 --best 2"} {
		if !strings.Contains(banner, want) {
			t.Errorf("the banner lacks %q:\n%s", want, banner)
		}
	}

	stdout, _, err := ctl(t, ctx, "--addr="+hosts[3].GRPCAddr(), "status")
	if err != nil {
		t.Fatalf("status: %v\n%s", err, stdout)
	}
	for _, region := range []string{"us-east", "eu-west", "ap-south"} {
		if got := strings.Count(stdout, "region="+region+","); got != 3 {
			t.Errorf("status shows %d nodes in %s, want 3:\n%s", got, region, stdout)
		}
	}

	c, err := client.Dial(ctx, client.Config{Addrs: []string{hosts[3].GRPCAddr(), hosts[6].GRPCAddr()}, RetryTimeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sell := func(fan string) {
		t.Helper()
		hold, err := c.Hold(ctx, &boxofficev1.HoldRequest{EventId: demoEventID, Holder: fan,
			Selection: &boxofficev1.HoldRequest_Best{Best: &boxofficev1.BestAvailable{Quantity: 2}}})
		if err != nil {
			t.Fatalf("%s's hold: %v", fan, err)
		}
		if _, err := c.Sell(ctx, &boxofficev1.SellRequest{EventId: demoEventID, HoldId: hold.HoldId, Holder: fan,
			OrderId: "order-" + fan, Buyer: fan}); err != nil {
			t.Fatalf("%s's sell: %v", fan, err)
		}
	}
	sell("fan1")
	t.Logf("ready, sold and about to kill ap-south")

	if got := demoCommand("kill ap-south", hosts, layout); got != "killed n7 n8 n9 (ap-south)" {
		t.Fatalf("kill ap-south answered %q", got)
	}
	if got := demoCommand("kill mars", hosts, layout); !strings.Contains(got, `kill "mars": no such region; the demo's regions: us-east, eu-west, ap-south`) {
		t.Fatalf("kill mars answered %q", got)
	}
	// Wait until every group is led outside ap-south.
	conn, err := grpc.NewClient(hosts[3].GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	status := boxofficev1.NewClusterClient(conn)
	killed := time.Now()
	for {
		callCtx, cancelCall := context.WithTimeout(ctx, 5*time.Second)
		resp, err := status.Status(callCtx, &boxofficev1.StatusRequest{})
		cancelCall()
		if err == nil && ledOutside(resp, "ap-south") {
			t.Logf("every group led outside ap-south %s after the kill", time.Since(killed).Round(time.Millisecond))
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("groups still led in ap-south or leaderless: %v %v", resp, err)
		case <-time.After(200 * time.Millisecond):
		}
	}
	sell("fan2")
	// The banner's status, as a reader types it: the lost region DOWN,
	// every group led, exit 0.
	stdout, _, err = ctl(t, ctx, "--addr", hosts[0].GRPCAddr()+","+hosts[3].GRPCAddr()+","+hosts[6].GRPCAddr(), "status")
	if err != nil || !strings.Contains(stdout, "n7=DOWN") || strings.Contains(stdout, "NOT READY") {
		t.Errorf("status after losing ap-south: %v\n%s", err, stdout)
	}
}

// ledOutside: every group has a leader, on a node outside region.
func ledOutside(resp *boxofficev1.StatusResponse, region string) bool {
	regionOf := map[string]string{}
	for _, n := range resp.Nodes {
		l := cluster.LocalityFromProto(n.Locality)
		if len(l) > 0 {
			regionOf[n.NodeId] = l[0].Value
		}
	}
	for _, g := range resp.Groups {
		if g.LeaderNodeId == "" || regionOf[g.LeaderNodeId] == region {
			return false
		}
	}
	return len(resp.Groups) > 0
}

func formatLatencies(layout localLayout) string {
	var parts []string
	for _, r := range layout.latency {
		parts = append(parts, fmt.Sprintf("%s=%s:%s", r.A, r.B, r.OneWay))
	}
	return strings.Join(parts, ",")
}
