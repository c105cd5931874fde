package jepsen

import (
	"slices"
	"testing"
	"time"
)

// TestScheduleDealsEveryKindBeforeRepeating: the CI profile's schedule
// deals each kind once before any repeats, never combines two kinds that
// would overwrite each other, and on the seeds the README reports has a
// stale-read window among its first three.
func TestScheduleDealsEveryKindBeforeRepeating(t *testing.T) {
	for _, seed := range []int64{7, 11, 4242, 1, 2024} {
		cfg := Profiles["ci"]
		cfg.Seed = seed
		steps := buildSchedule(&cfg)
		var dealt []string
		at := time.Duration(0)
		staleAt := time.Duration(-1)
		for i, s := range steps {
			at += s.quiet
			if len(s.kinds) == 2 && !combinable(s.kinds[0], s.kinds[1]) {
				t.Errorf("seed %d step %d combines %v", seed, i, s.kinds)
			}
			for _, k := range s.kinds {
				if k == FaultStaleRead && staleAt < 0 {
					staleAt = at
					if i >= staleReadFirstWindows {
						t.Errorf("seed %d: first stale-read in window %d", seed, i)
					}
				}
				deck := len(dealt) / len(cfg.Faults)
				if slices.Contains(dealt[deck*len(cfg.Faults):], k) {
					t.Errorf("seed %d step %d: %s dealt twice in one deck (%v)", seed, i, k, dealt)
				}
				dealt = append(dealt, k)
			}
			at += s.duration
		}
		if staleAt < 0 {
			t.Errorf("seed %d: no stale-read window in %v", seed, dealt)
		}
		t.Logf("seed %d: %d windows, stale-read at %s: %v", seed, len(steps), staleAt, dealt)
	}
}

// TestStaleRouteSendsReadsToTheIsolatedNode: during a stale-read window
// most reads and best-available holds of the isolated node's sections
// go to it first, and nothing else does; outside a window the usual
// choice stands.
func TestStaleRouteSendsReadsToTheIsolatedNode(t *testing.T) {
	c := &cluster{}
	nodes := []int{1, 2, 3}
	read := &Op{Kind: KindRead, Section: "S2"}
	if got := c.staleRoute(read, nodes, 0); got != 0 {
		t.Fatalf("no window: first %d, want 0", got)
	}
	c.staleReads.Store(&staleTarget{node: 3, sections: map[string]bool{"S2": true}})
	toTarget := 0
	const n = 400
	for range n {
		if c.staleRoute(read, nodes, 0) == 2 {
			toTarget++
		}
		for _, op := range []*Op{{Kind: KindHold, Section: "S2"}, {Kind: KindRead, Section: "S1"}, {Kind: KindSell}} {
			if got := c.staleRoute(op, nodes, 2); got == 2 {
				t.Fatalf("%s of %q sent to the isolated node", op.Kind, op.Section)
			}
		}
	}
	if toTarget < n/2 {
		t.Errorf("%d of %d reads of S2 sent to the isolated node, want about 3 in 4", toTarget, n)
	}
	if got := c.staleRoute(&Op{Kind: KindHoldBest, Section: "S2"}, []int{1, 2}, 1); got != 1 {
		t.Errorf("a client without the isolated node: first %d, want its own choice 1", got)
	}
}
