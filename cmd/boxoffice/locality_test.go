package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/cluster"
	"github.com/boxoffice/boxoffice/internal/testport"
)

// TestLocalityFlagErrors: a bad --locality is refused before anything
// starts, naming the flag and the tier at fault.
func TestLocalityFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		run  func(args []string, stderr io.Writer) error
		args []string
		want string
	}{
		{runStartArgs, []string{"--locality", "region"}, `invalid value "region" for flag -locality: tier 1 "region": want key=value`},
		{runStartArgs, []string{"--locality", "region=eu,zone="}, `tier 2 "zone=": the value must be 1..64 characters`},
		{runStartArgs, []string{"--locality", "region=eu,region=us"}, `tier 2 "region=us": key "region" given twice`},
		{runStartArgs, []string{"--locality", "Region=eu"}, `tier 1 "Region=eu": the key may hold only a-z, 0-9, '-' and '_'`},
		{runStartArgs, []string{"--locality", "a=1,b=1,c=1,d=1,e=1,f=1,g=1,h=1,i=1"}, "flag -locality: 9 tiers: at most 8"},
		{runStartArgs, []string{"--testing-region-latency", "eu=us:0ms"}, `invalid value "eu=us:0ms" for flag -testing-region-latency: entry 1 "eu=us:0s": latency 0s: must be 1ms..2s`},
		{runStartArgs, []string{"--testing-region-latency", "eu=us:40ms"}, `Testing.RegionLatency = "eu=us:40ms": needs a Locality`},
		{runDemoArgs, []string{"--locality", "region=a", "--locality", "region=b"}, "--locality given 2 times for --nodes 3: give one per node, or none"},
		{runDemoArgs, []string{"--locality", "zone"}, `invalid value "zone" for flag -locality: tier 1 "zone": want key=value`},
	} {
		var stderr bytes.Buffer
		err := tc.run(tc.args, &stderr)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.args, err, tc.want)
		}
	}
}

func runStartArgs(args []string, stderr io.Writer) error {
	return runStart(context.Background(), append([]string{"--node-id", "n1", "--data-dir", "unused", "--plaintext"}, args...), stderr)
}

func runDemoArgs(args []string, stderr io.Writer) error {
	return runDemo(context.Background(), append([]string{"--data-dir", "unused"}, args...), strings.NewReader(""), io.Discard, stderr)
}

// TestCtlStatusShowsLocality: each node's locality is a column of status,
// "-" for a node without one.
func TestCtlStatusShowsLocality(t *testing.T) {
	fake, addr := fakeCluster(t, nil)
	fake.SetStatus(&boxofficev1.StatusResponse{NodeId: "n1", Nodes: []*boxofficev1.NodeInfo{
		{NodeId: "n1", GrpcAddr: fake.Addrs()[0], State: "alive",
			Locality: []*boxofficev1.LocalityTier{{Key: "region", Value: "eu-west"}, {Key: "zone", Value: "eu-west-1a"}}},
		{NodeId: "n2", GrpcAddr: "10.0.0.2:7101", State: "alive"},
	}, Groups: []*boxofficev1.GroupStatus{{GroupId: "meta", LeaderNodeId: "n1"}}})
	stdout, _, err := ctl(t, context.Background(), addr, "status")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(stdout, "\n")
	for _, want := range [][]string{{"NODE", "STATE", "LOCALITY"}, {"n1", "alive", "region=eu-west,zone=eu-west-1a"}, {"n2", "alive", "-"}} {
		if !slices.ContainsFunc(lines, func(line string) bool {
			fields := strings.Fields(line)
			return len(fields) >= 7 && fields[0] == want[0] && fields[5] == want[1] && fields[6] == want[2]
		}) {
			t.Errorf("status has no row %v:\n%s", want, stdout)
		}
	}
}

// TestDemoNodesCarryLocality: the demo's nodes, given localities, report
// them in Status.
func TestDemoNodesCarryLocality(t *testing.T) {
	port := testport.Base(t, 0, 1, 2, 100, 101, 102, 200, 201, 202, 300, 301, 302)
	var localities []cluster.Locality
	for _, text := range []string{"region=a,zone=a1", "region=b", ""} {
		l, err := cluster.ParseLocality(text)
		if err != nil {
			t.Fatal(err)
		}
		localities = append(localities, l)
	}
	hosts, err := startLocalCluster(t.TempDir(), port, localLayout{nodes: 3, localities: localities}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, h := range hosts {
			_ = h.Close()
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, h := range hosts {
		if err := h.WaitReady(ctx); err != nil {
			t.Fatal(err)
		}
	}
	stdout, _, err := ctl(t, ctx, "--addr="+hosts[0].GRPCAddr(), "status")
	if err != nil {
		t.Fatalf("status: %v\n%s", err, stdout)
	}
	for _, want := range []string{"region=a,zone=a1", "region=b"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("status does not show %q:\n%s", want, stdout)
		}
	}
}
