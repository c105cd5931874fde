package jepsen

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
)

// TestNegativeControlUnsafeReads shows the harness catching a real bug:
// nodes started with --testing-unsafe-reads serve "linearizable" reads
// from local state without VerifyLeader. The scenario makes a stale read
// all but certain:
//   - n1 gets a 10s heartbeat and leader lease, so once isolated it keeps
//     believing it leads for ~10s; n2 and n3 keep 500ms, so they elect a
//     new leader within about a second;
//   - the target section is one whose shard n1 leads (leadership moves to
//     the preferred node every second, so n1 leads some groups);
//   - writers talk only to n2 and n3, readers only to n1, all on the
//     target section; n1 is isolated from n2 and n3 for 8 seconds.
//
// Reads on n1 then return the seat states of before the partition while
// holds and releases acknowledged by the new leader change them: porcupine
// must report the history not linearizable.
//
// It runs in each network this machine allows: the namespace network
// (root) and the loopback one, whose proxy cuts only Raft and forwarding.
func TestNegativeControlUnsafeReads(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cluster of processes")
	}
	networks := []string{NetworkLoopback}
	if os.Geteuid() == 0 {
		networks = append([]string{NetworkNamespace}, networks...)
	}
	for _, network := range networks {
		t.Run(network, func(t *testing.T) { negativeControlUnsafeReads(t, network) })
	}
}

func negativeControlUnsafeReads(t *testing.T, network string) {
	const isolation = 8 * time.Second
	cfg := Profiles["ci"]
	cfg.Profile, cfg.Seed, cfg.OutDir, cfg.Network = "negative-control", 1, t.TempDir(), network
	cfg.Duration, cfg.Faults, cfg.Clients = 14*time.Second, nil, 8
	cfg.Sections, cfg.Gateways = 4, 0 // the store's reads are the subject
	cfg.UnsafeReads = true
	cfg.CheckTimeout = 30 * time.Second
	cfg.Logf = t.Logf
	cfg.Replay = "go test ./jepsen -run TestNegativeControlUnsafeReads/" + network + " -count=1 -v"
	cfg.NodeFlags = map[string][]string{
		"n1": {"--raft-heartbeat-timeout", "10s", "--raft-election-timeout", "10s", "--raft-leader-lease-timeout", "10s", "--rebalance-interval", "1s"},
		"n2": {"--rebalance-interval", "1s"},
		"n3": {"--rebalance-interval", "1s"},
	}
	var target string
	cfg.ready = func(ctx context.Context, c *cluster, ev *event) error {
		deadline := time.Now().Add(45 * time.Second)
		for target == "" && time.Now().Before(deadline) {
			cctx, cancel := context.WithTimeout(ctx, time.Second)
			routing, err := c.clusterAPI(2).Routing(cctx, &boxofficev1.RoutingRequest{EventId: ev.id})
			cancel()
			if err == nil {
				for _, s := range routing.GetShards() {
					if s.GetLeaderNodeId() == "n1" && len(s.GetSectionIds()) > 0 {
						target = s.GetSectionIds()[0]
					}
				}
			}
			if target == "" {
				sleepCtx(ctx, 500*time.Millisecond)
			}
		}
		if target == "" {
			return fmt.Errorf("n1 leads no shard of the event after 45s")
		}
		// Isolate n1 two seconds into the traffic, for 8 seconds.
		go func() {
			if !sleepCtx(ctx, 2*time.Second) {
				return
			}
			for _, other := range []int{2, 3} {
				if err := c.net.cut(1, other); err != nil {
					t.Errorf("cut: %v", err)
				}
			}
			t.Logf("isolated n1, leader of section %s", target)
			sleepCtx(ctx, isolation)
			if err := c.net.healAll(); err != nil {
				t.Errorf("heal: %v", err)
			}
		}()
		return nil
	}
	cfg.plans = func(c *cluster, ev event) func(int) clientPlan {
		return func(client int) clientPlan {
			if client < 3 {
				return clientPlan{nodes: []int{1}, mix: Mix{Read: 1}, sections: []string{target}, pause: 20 * time.Millisecond}
			}
			return clientPlan{nodes: []int{2, 3}, mix: Mix{Hold: 6, Release: 4, Sell: 1, Refund: 1}, sections: []string{target}}
		}
	}

	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Setup != nil {
		t.Fatalf("run failed: %v", res.Setup)
	}
	t.Log("\n" + Summary(&cfg, res))
	if res.Linearizability.Verdict != porcupine.Illegal {
		t.Fatalf("the checker did not catch the stale reads of --testing-unsafe-reads: verdict %s", res.Linearizability.Verdict)
	}
}
