package main

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice/node"
)

// TestCtlMoveShardResumes: move-shard stopped after the import (as by a
// crash of the node running it) fails saying how to continue; running the
// same command again continues the recorded move and lists the steps; a
// third run is refused, the shard being in the group already.
func TestCtlMoveShardResumes(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a 3-node cluster; skipped with -short")
	}
	var interrupt atomic.Bool
	interrupt.Store(true)
	tc := node.NewTestCluster(t, 3, func(i int, c *node.Config) {
		c.DataGroups = 2
		c.Testing.ShardMoveStep = func(step string) error {
			if step == "imported" && interrupt.Load() {
				return errors.New("stopped by the test")
			}
			return nil
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	addr := "--addr=" + strings.Join(tc.Addrs(), ",")
	if stdout, stderr, err := ctl(t, ctx, addr, "events", "create", "ev", "--name", "Ev", "--onsale", "2x2x4", "--shards", "2", "--groups", "1"); err != nil {
		t.Fatalf("events create: %v\n%s%s", err, stdout, stderr)
	}

	// The shard is in one of g000 and g001: a move to it is refused.
	target := "g000"
	_, _, err := ctl(t, ctx, addr, "move-shard", "ev", "0", target)
	if err != nil && strings.Contains(err.Error(), "SHARD_ALREADY_IN_GROUP") {
		target = "g001"
		_, _, err = ctl(t, ctx, addr, "move-shard", "ev", "0", target)
	}
	if err == nil || !strings.Contains(err.Error(), "run the same command again") {
		t.Fatalf("interrupted move-shard: %v", err)
	}

	interrupt.Store(false)
	stdout, stderr, err := ctl(t, ctx, addr, "move-shard", "ev", "0", target)
	if err != nil || !strings.Contains(stdout, "continued move") || !strings.Contains(stdout, "dropped the shard") {
		t.Fatalf("move-shard again: %v\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
	}
	t.Logf("move-shard printed:\n%s%s", stderr, stdout)

	_, _, err = ctl(t, ctx, addr, "move-shard", "ev", "0", target)
	if err == nil || !strings.Contains(err.Error(), "SHARD_ALREADY_IN_GROUP") {
		t.Fatalf("move-shard of a moved shard: %v", err)
	}
	_, _, err = ctl(t, ctx, addr, "move-shard", "ev", "zero", target)
	if err == nil || !strings.Contains(err.Error(), "want a shard number") {
		t.Fatalf("move-shard with a bad shard: %v", err)
	}
}
