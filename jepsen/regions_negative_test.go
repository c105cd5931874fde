package jepsen

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestNegativeControlRegionLoss plants an event that stops selling when a
// region is lost and checks that the region-loss checker fails the run.
// The layout has one region of two nodes (r1: n1 and n4) and three of one,
// so region-loss can only kill r1; every client talks only to n1 and n4,
// so after the kill no operation reaches a node that can serve it, as if
// the nodes left could not elect. The cluster itself is healthy, so the
// other checkers are not the subject.
func TestNegativeControlRegionLoss(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cluster of processes")
	}
	cfg := Profiles["ci-regions"]
	cfg.Profile, cfg.Seed, cfg.OutDir = "negative-region-loss", 1, t.TempDir()
	cfg.Regions = []string{"r1", "r2", "r3", "r1", "r4"}
	cfg.Duration, cfg.Clients, cfg.Sections = 25*time.Second, 8, 5
	cfg.QuietMin, cfg.FaultMin, cfg.FaultMax = 3*time.Second, 12*time.Second, 12*time.Second
	cfg.CheckTimeout = 30 * time.Second
	cfg.Logf = t.Logf
	cfg.Replay = "go test ./jepsen -run TestNegativeControlRegionLoss -count=1 -v"
	if got := lossRegions(cfg.Regions); !slices.Equal(got, []string{"r1"}) {
		t.Fatalf("loss regions %v, want [r1]", got)
	}
	cfg.plans = func(c *cluster, ev event) func(int) clientPlan {
		return func(int) clientPlan {
			// A pause between operations: once r1 is down every attempt
			// fails at once, and the clients would otherwise pile up
			// thousands of unknown outcomes.
			return clientPlan{nodes: []int{1, 4}, mix: DefaultMix, sections: ev.sections, pause: 100 * time.Millisecond}
		}
	}
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Setup != nil {
		t.Fatalf("run failed: %v", res.Setup)
	}
	t.Logf("\n%s", Summary(&cfg, res))
	rl := res.RegionLoss
	if len(rl.Losses) == 0 || !rl.Losses[0].Judged || rl.Losses[0].Region != "r1" {
		t.Fatalf("region losses %+v: want a judged loss of r1", rl.Losses)
	}
	if !slices.ContainsFunc(rl.Problems, func(p string) bool { return strings.Contains(p, "no sale called after the kill was acknowledged") }) {
		t.Fatalf("the region-loss checker did not catch the event that stopped selling: problems %v", rl.Problems)
	}
	v := res.Verdict()
	if v.Verdict != "INVALID" || !slices.ContainsFunc(v.Failed, func(f Failure) bool { return f.Check == CheckRegionLoss }) {
		t.Fatalf("verdict %+v: want INVALID naming %s", v, CheckRegionLoss)
	}
}
