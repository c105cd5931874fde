package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/cluster/client/clienttest"
	"github.com/boxoffice/boxoffice/node"
)

// TestCtlRebalanceDryRunOutput: the dry run prints the moves in flight,
// the planned moves in order with their reasons, and what cannot move.
func TestCtlRebalanceDryRunOutput(t *testing.T) {
	_, addr := fakeCluster(t, func(context.Context, *clienttest.Node, string, proto.Message) (proto.Message, error) {
		return &boxofficev1.PlanRebalanceResponse{
			InFlight: []*boxofficev1.RebalanceMove{{GroupId: "g000", Kind: "replica", FromNodeId: "n1", ToNodeId: "n4", Reason: "balance replicas: n1 holds 6, n4 holds 0"}},
			Moves: []*boxofficev1.RebalanceMove{
				{GroupId: "g001", Kind: "replica", FromNodeId: "n2", ToNodeId: "n4", Reason: "balance replicas: n2 holds 6, n4 holds 1"},
				{GroupId: "g002", Kind: "leader", FromNodeId: "n3", ToNodeId: "n4", Reason: "balance leaders: n3 leads 2, n4 leads 0"},
			},
			Blocked: []string{"g003: no alive node outside the group keeps its locality spread to take n5's replica"},
		}, nil
	})
	stdout, _, err := ctl(t, context.Background(), addr, "rebalance", "--dry-run")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"STEP       GROUP  MOVE     FROM  TO  REASON",
		"in flight  g000   replica  n1    n4  balance replicas: n1 holds 6, n4 holds 0",
		"1          g001   replica  n2    n4  balance replicas: n2 holds 6, n4 holds 1",
		"2          g002   leader   n3    n4  balance leaders: n3 leads 2, n4 leads 0",
		"1 replica move(s) and 1 leader move(s) would be made, a few at a time; nothing was changed",
		"cannot move:\n  g003: no alive node outside the group keeps its locality spread to take n5's replica",
	}
	for _, w := range want {
		if !strings.Contains(stdout, w) {
			t.Errorf("dry run output lacks %q:\n%s", w, stdout)
		}
	}
	stdout, _, err = ctl(t, context.Background(), addr, "rebalance", "--dry-run", "--json")
	var plan boxofficev1.PlanRebalanceResponse
	if err != nil || protojson.Unmarshal([]byte(stdout), &plan) != nil || len(plan.Moves) != 2 {
		t.Fatalf("--json: %v\n%s", err, stdout)
	}
}

// TestCtlDecommissionAndRebalance: an operator adds a fourth node to a
// 3-node cluster, sees in a dry run that it would receive replicas, waits
// for the rebalance, then decommissions it: status marks it, decommission
// waits showing the replicas left and removes it, and bad input is
// refused naming the node.
func TestCtlDecommissionAndRebalance(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a 4-node cluster; skipped with -short")
	}
	tc := node.NewGrowingTestCluster(t, 4, 3, func(_ int, c *node.Config) {
		c.DataGroups = 3
		c.RebalanceInterval = 200 * time.Millisecond
	})
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	addr := "--addr=" + strings.Join(tc.Addrs(), ",")

	stdout, _, err := ctl(t, ctx, addr, "rebalance", "--dry-run")
	if err != nil || !strings.Contains(stdout, "balanced: nothing would move") {
		t.Fatalf("dry run on a balanced cluster: %v\n%s", err, stdout)
	}

	tc.Start(3)
	tc.WaitReady()
	node.WaitFor(t, time.Minute, "n4 known to the catalog", func() bool {
		stdout, _, err = ctl(t, ctx, addr, "rebalance", "--dry-run")
		return err == nil && strings.Contains(stdout, "n4")
	})
	t.Logf("dry run after n4 joined:\n%s", stdout)
	if !strings.Contains(stdout, "replica") || !strings.Contains(stdout, "balance replicas") {
		t.Fatalf("dry run does not move replicas to n4:\n%s", stdout)
	}

	stdout, stderr, err := ctl(t, ctx, addr, "rebalance")
	if err != nil || !strings.Contains(stdout, "balanced: nothing left to move") {
		t.Fatalf("rebalance: %v\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
	}
	t.Logf("rebalance printed:\n%s%s", stderr, stdout)

	for _, bad := range []struct {
		args []string
		want string
	}{
		{[]string{"decommission", "n9"}, `NOT_FOUND`},
		{[]string{"recommission", "n9"}, `"n9"`},
	} {
		_, _, err := ctl(t, ctx, append([]string{addr}, bad.args...)...)
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%v: %v, want an error with %s", bad.args, err, bad.want)
		}
	}

	stdout, _, err = ctl(t, ctx, addr, "decommission", "n4", "--wait=false")
	if err != nil || !strings.Contains(stdout, "n4 is decommissioning") {
		t.Fatalf("decommission --wait=false: %v\n%s", err, stdout)
	}
	// With n4 leaving, n1 cannot go too: 2 nodes would be left for RF 3.
	_, _, err = ctl(t, ctx, addr, "decommission", "n1")
	if err == nil || !strings.Contains(err.Error(), "DECOMMISSION_WOULD_LOSE_REPLICAS") ||
		!strings.Contains(err.Error(), "would leave 2 nodes able to hold replicas, fewer than the replication factor 3") {
		t.Fatalf("decommission n1 after n4: %v", err)
	}
	stdout, _, err = ctl(t, ctx, addr, "status")
	if err != nil || !strings.Contains(stdout, "DECOMMISSIONING") {
		t.Fatalf("status does not mark n4: %v\n%s", err, stdout)
	}
	// Running it again resumes: it waits, then removes n4.
	stdout, stderr, err = ctl(t, ctx, addr, "decommission", "n4")
	if err != nil || !strings.Contains(stdout, "n4 is decommissioned") || !strings.Contains(stderr, "n4 holds 0 replica(s)") {
		t.Fatalf("decommission n4: %v\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
	}
	t.Logf("decommission printed:\n%s%s", stderr, stdout)
	stdout, _, err = ctl(t, ctx, addr, "status")
	if err != nil || strings.Contains(stdout, "n4 ") {
		t.Fatalf("status still lists n4: %v\n%s", err, stdout)
	}
}
