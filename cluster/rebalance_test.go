package cluster

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// rebalanceNodes builds alive nodes from "id:key=value,..." specs (the
// locality may be left out).
func rebalanceNodes(t *testing.T, specs ...string) []RebalanceNode {
	t.Helper()
	locs := localities(t, specs...)
	var nodes []RebalanceNode
	for _, id := range sortedIDs(locs) {
		nodes = append(nodes, RebalanceNode{ID: id, Locality: locs[id], Alive: true})
	}
	return nodes
}

// pick returns the nodes named ids.
func pick(nodes []RebalanceNode, ids ...string) []RebalanceNode {
	var out []RebalanceNode
	for _, n := range nodes {
		if slices.Contains(ids, n.ID) {
			out = append(out, n)
		}
	}
	return out
}

// layout lays out count groups over the nodes as a bootstrap would.
func layout(nodes []RebalanceNode, count, rf int) []RebalanceGroup {
	locs := map[string]Locality{}
	for _, n := range nodes {
		locs[n.ID] = n.Locality
	}
	var groups []RebalanceGroup
	for _, g := range InitialGroups(locs, count, rf) {
		groups = append(groups, RebalanceGroup{ID: g.GroupId, Replicas: g.Replicas})
	}
	return groups
}

// apply returns the groups after the moves.
func apply(groups []RebalanceGroup, moves []Move) []RebalanceGroup {
	out := make([]RebalanceGroup, len(groups))
	for i, g := range groups {
		out[i] = RebalanceGroup{ID: g.ID, Replicas: slices.Clone(g.Replicas), HomeRegion: g.HomeRegion}
		for _, m := range moves {
			if m.Group == g.ID {
				out[i].Replicas = ApplyMove(out[i].Replicas, m)
			}
		}
	}
	return out
}

// counts returns replicas and preferred leaders per node, over ids.
func counts(groups []RebalanceGroup, ids []string) (replicas, leaders map[string]int) {
	replicas, leaders = map[string]int{}, map[string]int{}
	for _, id := range ids {
		replicas[id], leaders[id] = 0, 0
	}
	for _, g := range groups {
		for _, r := range g.Replicas {
			replicas[r]++
		}
		leaders[g.Replicas[0]]++
	}
	return replicas, leaders
}

func spreadOf(nodes []RebalanceNode, replicas []string) []int {
	byID := map[string]Locality{}
	var all []Locality
	for _, n := range nodes {
		byID[n.ID] = n.Locality
		all = append(all, n.Locality)
	}
	locs := make([]Locality, len(replicas))
	for i, r := range replicas {
		locs[i] = byID[r]
	}
	return Spread(locs, LocalityDepth(all))
}

func spanOf(m map[string]int) int {
	lo, hi := -1, 0
	for _, v := range m {
		if lo < 0 || v < lo {
			lo = v
		}
		hi = max(hi, v)
	}
	return hi - lo
}

// checkMoves asserts what every plan must keep: one move per group, the
// replication factor, and no group's spread reduced by any move.
func checkMoves(t *testing.T, nodes []RebalanceNode, groups []RebalanceGroup, moves []Move, rf int) []RebalanceGroup {
	t.Helper()
	state := apply(groups, nil)
	for _, m := range moves {
		for i, g := range state {
			if g.ID != m.Group {
				continue
			}
			after := ApplyMove(g.Replicas, m)
			if len(after) != rf {
				t.Fatalf("%v: %d replicas after, want %d", m, len(after), rf)
			}
			if !spreadAtLeast(spreadOf(nodes, after), spreadOf(nodes, g.Replicas)) {
				t.Fatalf("%v reduces the spread of %v (%v) to %v (%v)", m, g.Replicas,
					spreadOf(nodes, g.Replicas), after, spreadOf(nodes, after))
			}
			state[i].Replicas = after
		}
	}
	return state
}

func TestPlanRebalance(t *testing.T) {
	three := []string{"n1", "n2", "n3"}
	five := []string{"n1", "n2", "n3", "n4", "n5"}
	tests := []struct {
		name      string
		nodes     []string // specs; the first bootstrapN lay out the groups
		bootstrap int
		groups    int
		rf        int
		decom     []string
		dead      []string
		// after simulating every move:
		wantBalanced []string // nodes whose replicas and leaders are within tolerance
		wantEmpty    []string // nodes left with no replica
		wantNoMoves  bool
	}{
		{name: "a 4th node joins and gets replicas and leaders", nodes: append(slices.Clone(three), "n4"), bootstrap: 3,
			groups: 6, rf: 3, wantBalanced: []string{"n1", "n2", "n3", "n4"}},
		{name: "a 4th and 5th node join", nodes: five, bootstrap: 3, groups: 6, rf: 3, wantBalanced: five},
		{name: "5 to 3: two nodes decommission", nodes: five, bootstrap: 5, groups: 10, rf: 3, decom: []string{"n4", "n5"},
			wantBalanced: three, wantEmpty: []string{"n4", "n5"}},
		{name: "balanced: nothing moves", nodes: five, bootstrap: 5, groups: 10, rf: 3, wantNoMoves: true},
		{name: "balanced single replica groups", nodes: three, bootstrap: 3, groups: 7, rf: 1, wantNoMoves: true},
		{name: "a dead node gets nothing", nodes: append(slices.Clone(three), "n4"), bootstrap: 3, groups: 6, rf: 3,
			dead: []string{"n4"}, wantNoMoves: true},
		{name: "RF=3 over 3 regions: a node joins region a",
			nodes: []string{"a1:region=a", "b1:region=b", "c1:region=c", "a2:region=a"}, bootstrap: 3, groups: 6, rf: 3,
			wantBalanced: []string{"a1", "a2"}},
		{name: "RF=3 over 3 regions: a second node per region joins",
			nodes:     []string{"a1:region=a", "b1:region=b", "c1:region=c", "a2:region=a", "b2:region=b", "c2:region=c"},
			bootstrap: 3, groups: 6, rf: 3, wantBalanced: []string{"a1", "a2", "b1", "b2", "c1", "c2"}},
		{name: "RF=3 over 3 regions: decommission within a region",
			nodes: []string{"a1:region=a", "b1:region=b", "c1:region=c", "a2:region=a"}, bootstrap: 4, groups: 8, rf: 3,
			decom: []string{"a2"}, wantEmpty: []string{"a2"}, wantBalanced: []string{"a1", "b1", "c1"}},
		{name: "zones: a node joins a new zone",
			nodes:     []string{"a1:region=a,zone=a1", "a2:region=a,zone=a2", "b1:region=b,zone=b1", "b2:region=b,zone=b2"},
			bootstrap: 3, groups: 6, rf: 3, wantBalanced: []string{"a1", "a2", "b1", "b2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nodes := rebalanceNodes(t, tt.nodes...)
			var boot []string
			for _, spec := range tt.nodes[:tt.bootstrap] {
				id, _, _ := strings.Cut(spec, ":")
				boot = append(boot, id)
			}
			groups := layout(pick(nodes, boot...), tt.groups, tt.rf)
			for i := range nodes {
				nodes[i].Decommissioning = slices.Contains(tt.decom, nodes[i].ID)
				nodes[i].Alive = !slices.Contains(tt.dead, nodes[i].ID)
			}
			opts := DefaultRebalanceOptions(tt.rf)
			opts.Leaders = false // as a meta leader that moved no replica yet: leaders follow replica moves

			first := PlanRebalance(nodes, groups, opts)
			if len(first.Moves) > opts.MovesInFlightMax {
				t.Fatalf("%d moves at once, want at most %d: %v", len(first.Moves), opts.MovesInFlightMax, first.Moves)
			}
			seen := map[string]bool{}
			for _, m := range first.Moves {
				if seen[m.Group] {
					t.Fatalf("two moves of %s in one plan: %v", m.Group, first.Moves)
				}
				seen[m.Group] = true
			}

			all := SimulateRebalance(nodes, groups, opts, 1000)
			if tt.wantNoMoves {
				if len(all.Moves) > 0 {
					t.Fatalf("moves on a balanced cluster: %v", all.Moves)
				}
				return
			}
			if len(all.Moves) == 0 || len(all.Moves) == 1000 {
				t.Fatalf("%d moves", len(all.Moves))
			}
			end := checkMoves(t, nodes, groups, all.Moves, tt.rf)
			opts.Leaders = true
			if again := PlanRebalance(nodes, end, opts); len(again.Moves) > 0 {
				t.Fatalf("not stable: after %v it still plans %v", all.Moves, again.Moves)
			}
			replicas, leaders := counts(end, tt.wantBalanced)
			for _, id := range tt.wantEmpty {
				if replicas[id] > 0 || leaders[id] > 0 {
					t.Errorf("%s still holds %d replicas, leads %d", id, replicas[id], leaders[id])
				}
			}
			sub := func(m map[string]int) map[string]int {
				out := map[string]int{}
				for _, id := range tt.wantBalanced {
					out[id] = m[id]
				}
				return out
			}
			if spanOf(sub(replicas)) > opts.ReplicaTolerance || spanOf(sub(leaders)) > opts.LeaderTolerance {
				t.Errorf("not balanced: replicas %v, leaders %v\nmoves:\n%s", sub(replicas), sub(leaders), moveList(all.Moves))
			}
		})
	}
}

func moveList(moves []Move) string {
	var b strings.Builder
	for _, m := range moves {
		fmt.Fprintln(&b, m)
	}
	return b.String()
}

func TestPlanRebalanceKeepsRegionSpread(t *testing.T) {
	// A new node in region a must not take a replica from the only node of
	// region b or c: every group keeps one replica per region.
	nodes := rebalanceNodes(t, "a1:region=a", "b1:region=b", "c1:region=c", "a2:region=a", "a3:region=a")
	groups := layout(pick(nodes, "a1", "b1", "c1"), 6, 3)
	all := SimulateRebalance(nodes, groups, DefaultRebalanceOptions(3), 100)
	for _, m := range all.Moves {
		if !m.IsLeader() && (m.Remove == "b1" || m.Remove == "c1") {
			t.Errorf("%v takes the only replica of a region", m)
		}
	}
	for _, g := range checkMoves(t, nodes, groups, all.Moves, 3) {
		if s := spreadOf(nodes, g.Replicas); s[0] != 3 {
			t.Errorf("%s on %v spans %d regions", g.ID, g.Replicas, s[0])
		}
	}
}

func TestPlanRebalanceBlockedDecommission(t *testing.T) {
	// The only node of region c decommissions: no node can take its
	// replicas without leaving the groups in two regions.
	nodes := rebalanceNodes(t, "a1:region=a", "b1:region=b", "c1:region=c", "a2:region=a")
	groups := layout(pick(nodes, "a1", "b1", "c1"), 3, 3)
	nodes[3].Decommissioning = true // c1 (sorted: a1, a2, b1, c1)
	plan := PlanRebalance(nodes, groups, DefaultRebalanceOptions(3))
	for _, m := range plan.Moves {
		if m.Remove == "c1" {
			t.Fatalf("moved c1's replica despite the spread: %v", m)
		}
	}
	if len(plan.Blocked) != 3 || !strings.Contains(plan.Blocked[0], "c1") {
		t.Fatalf("blocked = %q, want the 3 groups of c1", plan.Blocked)
	}
}

func TestPlanRebalanceTolerance(t *testing.T) {
	nodes := rebalanceNodes(t, "n1", "n2", "n3")
	groups := []RebalanceGroup{
		{ID: "g0", Replicas: []string{"n1"}}, {ID: "g1", Replicas: []string{"n1"}},
		{ID: "g2", Replicas: []string{"n1"}}, {ID: "g3", Replicas: []string{"n2"}},
		{ID: "g4", Replicas: []string{"n3"}},
	}
	tests := []struct {
		name      string
		tolerance int
		want      []string
	}{
		// n1 holds 3, the others 1: a difference of 2.
		{name: "tolerance 1 moves one", tolerance: 1, want: []string{"g0: replica n1 -> n2"}},
		{name: "tolerance 2 moves none", tolerance: 2},
		{name: "tolerance 0 counts as 1", tolerance: 0, want: []string{"g0: replica n1 -> n2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := DefaultRebalanceOptions(1)
			opts.ReplicaTolerance, opts.LeaderTolerance = tt.tolerance, 5
			all := SimulateRebalance(nodes, groups, opts, 100)
			var got []string
			for _, m := range all.Moves {
				got = append(got, strings.Split(m.String(), " (")[0])
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("moves %q, want %q", got, tt.want)
			}
		})
	}
}

func TestPlanRebalanceBoundsMovesInFlight(t *testing.T) {
	nodes := rebalanceNodes(t, "n1", "n2", "n3", "n4", "n5")
	groups := layout(pick(nodes, "n1", "n2", "n3"), 12, 3)
	opts := DefaultRebalanceOptions(3)
	if got := PlanRebalance(nodes, groups, opts).Moves; len(got) != 2 {
		t.Fatalf("%d moves, want MovesInFlightMax 2: %v", len(got), got)
	}
	groups[0].Moving = true
	got := PlanRebalance(nodes, groups, opts).Moves
	if len(got) != 1 || got[0].Group == groups[0].ID {
		t.Fatalf("with one move in flight: %v, want one move of another group", got)
	}
	groups[1].Moving = true
	if got := PlanRebalance(nodes, groups, opts).Moves; len(got) != 0 {
		t.Fatalf("with two moves in flight: %v, want none", got)
	}
}

func TestPlanRebalanceLeadersWaitForReplicas(t *testing.T) {
	// n1 leads every group but replicas are even: only leaders move, to
	// within the tolerance, and never to a node outside the group.
	nodes := rebalanceNodes(t, "n1", "n2", "n3")
	var groups []RebalanceGroup
	for i := range 6 {
		groups = append(groups, RebalanceGroup{ID: GroupID(i), Replicas: []string{"n1", "n2", "n3"}})
	}
	all := SimulateRebalance(nodes, groups, DefaultRebalanceOptions(3), 100)
	for _, m := range all.Moves {
		if !m.IsLeader() {
			t.Fatalf("replica move %v on even replicas", m)
		}
	}
	_, leaders := counts(apply(groups, all.Moves), []string{"n1", "n2", "n3"})
	if spanOf(leaders) > 1 {
		t.Fatalf("leaders %v", leaders)
	}
	// Without Leaders (no replica moved since), operator-chosen leaders
	// stay.
	opts := DefaultRebalanceOptions(3)
	opts.Leaders = false
	if got := PlanRebalance(nodes, groups, opts).Moves; len(got) != 0 {
		t.Fatalf("leader moves without Leaders: %v", got)
	}
	// A group in flight holds leader moves back.
	groups[0].Moving = true
	if got := PlanRebalance(nodes, groups, DefaultRebalanceOptions(3)).Moves; len(got) != 0 {
		t.Fatalf("leader moves during a replica move: %v", got)
	}
}

func TestRebalanceOptionsValidate(t *testing.T) {
	if err := DefaultRebalanceOptions(3).Validate(); err != nil {
		t.Fatal(err)
	}
	o := DefaultRebalanceOptions(3)
	o.MovesInFlightMax = 0
	if err := o.Validate(); err == nil || !strings.Contains(err.Error(), "MovesInFlightMax 0") {
		t.Fatalf("err = %v", err)
	}
}

// TestPlanRebalanceLeavesBootstrapLayouts: what InitialGroups lays out at
// bootstrap is already balanced, so a fresh cluster moves nothing.
func TestPlanRebalanceLeavesBootstrapLayouts(t *testing.T) {
	regions := []string{"n1:region=us,zone=a", "n2:region=us,zone=b", "n3:region=us,zone=c", "n4:region=eu,zone=a",
		"n5:region=eu,zone=b", "n6:region=eu,zone=c", "n7:region=ap,zone=a", "n8:region=ap,zone=b", "n9:region=ap,zone=c"}
	tests := []struct {
		name       string
		nodes      []string
		groups, rf int
	}{
		{"3 nodes", []string{"n1", "n2", "n3"}, 3, 3},
		{"5 nodes", []string{"n1", "n2", "n3", "n4", "n5"}, 5, 3},
		{"3 regions of 3, RF 3", regions, 9, 3},
		{"3 regions of 3, RF 5", regions, 27, 5},
		{"regions of 3, 1 and 1", []string{"a1:region=a", "a2:region=a", "a3:region=a", "b1:region=b", "c1:region=c"}, 5, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nodes := rebalanceNodes(t, tt.nodes...)
			if all := SimulateRebalance(nodes, layout(nodes, tt.groups, tt.rf), DefaultRebalanceOptions(tt.rf), 100); len(all.Moves) > 0 {
				t.Fatalf("moves on a fresh layout: %v", all.Moves)
			}
		})
	}
}

func TestPlanRebalanceKeepsRegionSurvival(t *testing.T) {
	// RF=5 over 3 regions sits 2/2/1: losing any region leaves a majority.
	// A move that keeps 3 regions but makes it 3/1/1 would lose that, so
	// a new node in region a never takes a replica from b or c.
	nodes := rebalanceNodes(t, "a1:region=a", "a2:region=a", "b1:region=b", "b2:region=b", "c1:region=c",
		"a3:region=a", "a4:region=a")
	groups := layout(pick(nodes, "a1", "a2", "b1", "b2", "c1"), 5, 5)
	all := SimulateRebalance(nodes, groups, DefaultRebalanceOptions(5), 100)
	for _, g := range checkMoves(t, nodes, groups, all.Moves, 5) {
		byID := map[string]Locality{}
		for _, n := range nodes {
			byID[n.ID] = n.Locality
		}
		var locs []Locality
		for _, r := range g.Replicas {
			locs = append(locs, byID[r])
		}
		if c := Concentration(locs, 1); c[0] > 2 {
			t.Errorf("%s on %v has %d replicas in one region: a region's loss loses its majority", g.ID, g.Replicas, c[0])
		}
	}
	if len(all.Moves) == 0 {
		t.Fatalf("no move at all: the new nodes of region a should take replicas from a1 and a2")
	}
}

func TestPlanRebalanceLeavesHomedGroups(t *testing.T) {
	// g000 is homed in region b: its preferred leader stays b1 however
	// unbalanced leaderships are, and no move takes b's last replica.
	nodes := rebalanceNodes(t, "a1:region=a", "b1:region=b", "c1:region=c", "a2:region=a", "b2:region=b", "c2:region=c")
	groups := []RebalanceGroup{
		{ID: "g000", Replicas: []string{"b1", "a1", "c1"}, HomeRegion: "b"},
		{ID: "g001", Replicas: []string{"b1", "a1", "c1"}, HomeRegion: "b"},
		{ID: "g002", Replicas: []string{"b1", "a1", "c1"}, HomeRegion: "b"},
	}
	all := SimulateRebalance(nodes, groups, DefaultRebalanceOptions(3), 100)
	for _, m := range all.Moves {
		if m.IsLeader() {
			t.Errorf("%v moves the leadership of a homed group", m)
		}
	}
	for _, g := range checkMoves(t, nodes, groups, all.Moves, 3) {
		if !slices.ContainsFunc(g.Replicas, func(r string) bool { return strings.HasPrefix(r, "b") }) {
			t.Errorf("%s on %v has no replica in its home region", g.ID, g.Replicas)
		}
	}
}
