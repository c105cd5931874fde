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
// try it first, and no other operation tries it at all; outside a
// window every node is tried in turn from the usual first choice.
func TestStaleRouteSendsReadsToTheIsolatedNode(t *testing.T) {
	c := &cluster{}
	nodes := []int{1, 2, 3}
	read := &Op{Kind: KindRead, Section: "S2"}
	if got := c.attemptOrder(read, nodes, 1); !slices.Equal(got, []int{2, 3, 1}) {
		t.Fatalf("no window: order %v, want [2 3 1]", got)
	}
	c.staleReads.Store(&staleTarget{node: 3, sections: map[string]bool{"S2": true}})
	toTarget := 0
	const n = 400
	for k := range n {
		if got := c.attemptOrder(read, nodes, k%3); got[0] == 3 {
			toTarget++
			if !slices.Equal(got[1:], []int{1, 2}) && !slices.Equal(got[1:], []int{2, 1}) {
				t.Fatalf("read order %v: want the isolated node, then the others", got)
			}
		}
		for _, op := range []*Op{{Kind: KindHold, Section: "S2"}, {Kind: KindRead, Section: "S1"}, {Kind: KindSell}} {
			if got := c.attemptOrder(op, nodes, k%3); slices.Contains(got, 3) || len(got) != 2 {
				t.Fatalf("%s of %q: order %v, want n1 and n2 only", op.Kind, op.Section, got)
			}
		}
		if got := c.avoidIsolated(nodes, 3); got == 3 {
			t.Fatal("a retry comparison sent to the isolated node")
		}
	}
	if toTarget < n/2 {
		t.Errorf("%d of %d reads of S2 sent to the isolated node first, want about 3 in 4", toTarget, n)
	}
	if got := c.attemptOrder(&Op{Kind: KindHoldBest, Section: "S2"}, []int{1, 2}, 1); !slices.Equal(got, []int{2, 1}) {
		t.Errorf("a client without the isolated node: order %v, want [2 1]", got)
	}
}
