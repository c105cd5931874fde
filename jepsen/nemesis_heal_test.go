package jepsen

import (
	"slices"
	"testing"
)

// TestHealActiveSettlesMembershipLast: the heals of a window run latest
// first, but a membership heal (which may have to settle an unanswered
// RemoveNode, and that needs the cluster healed) runs after every other
// heal, here the partition injected before it (seed 4242: the removal was
// settled for 90 s against a partition still in place).
func TestHealActiveSettlesMembershipLast(t *testing.T) {
	var order []string
	heal := func(name string) func() error {
		return func() error { order = append(order, name); return nil }
	}
	n := &nemesis{logf: t.Logf}
	n.heals = []activeHeal{
		{kind: FaultPartitionLeader, heal: heal("partition")},
		{kind: FaultMembership, heal: heal("membership")},
		{kind: FaultClock, heal: heal("clock")},
	}
	n.healActive()
	if want := []string{"clock", "partition", "membership"}; !slices.Equal(order, want) {
		t.Fatalf("heal order %v, want %v", order, want)
	}
	if len(n.heals) != 0 {
		t.Fatalf("%d heals left after healActive", len(n.heals))
	}
}
