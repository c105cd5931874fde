package cluster

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// withLoads returns groups with loads[i] as group i's Load (the last load
// for the rest).
func withLoads(groups []RebalanceGroup, loads ...float64) []RebalanceGroup {
	out := make([]RebalanceGroup, len(groups))
	for i, g := range groups {
		out[i] = g
		out[i].Replicas = slices.Clone(g.Replicas)
		out[i].Load = loads[min(i, len(loads)-1)]
	}
	return out
}

// afterMoves returns groups, loads kept, after the moves.
func afterMoves(groups []RebalanceGroup, moves []Move) []RebalanceGroup {
	out := withLoads(groups, 0)
	for i := range out {
		out[i].Load = groups[i].Load
		for _, m := range moves {
			if m.Group == out[i].ID {
				out[i].Replicas = ApplyMove(out[i].Replicas, m)
			}
		}
	}
	return out
}

// leaderLoads returns each node's leader load (rule 4) and each group's
// weight.
func leaderLoads(nodes []RebalanceNode, groups []RebalanceGroup) (map[string]float64, map[string]float64) {
	p := newPlanner(nodes, groups, DefaultRebalanceOptions(3))
	weights, _ := p.leaderWeights()
	load := map[string]float64{}
	for _, n := range nodes {
		load[n.ID] = 0
	}
	for _, g := range groups {
		load[g.Replicas[0]] += weights[g.ID]
	}
	return load, weights
}

// checkLeaderTolerance asserts the documented end state of rule 4: two
// nodes' leader loads differ by more than the tolerance only where every
// group the first could hand to the second weighs at least the difference.
func checkLeaderTolerance(t *testing.T, nodes []RebalanceNode, groups []RebalanceGroup, tolerance int) {
	t.Helper()
	load, weights := leaderLoads(nodes, groups)
	for _, from := range nodes {
		for _, to := range nodes {
			diff := load[from.ID] - load[to.ID]
			if diff <= float64(tolerance)+leaderLoadEpsilon {
				continue
			}
			for _, g := range groups {
				if g.Replicas[0] == from.ID && slices.Contains(g.Replicas, to.ID) && g.HomeRegion == "" &&
					weights[g.ID] < diff-leaderLoadEpsilon {
					t.Fatalf("%s leads %.2f, %s %.2f: %s (weight %.2f) could narrow it; groups %v", from.ID, load[from.ID],
						to.ID, load[to.ID], g.ID, weights[g.ID], groups)
				}
			}
		}
	}
}

// simulateLeaderLoad runs SimulateRebalance and checks what every run must
// keep: each leader move lowers the sum of squared leader loads, the end
// state holds the tolerance, and planning again finds nothing.
func simulateLeaderLoad(t *testing.T, nodes []RebalanceNode, groups []RebalanceGroup, opts RebalanceOptions) []RebalanceGroup {
	t.Helper()
	plan := SimulateRebalance(nodes, groups, opts, 1000)
	if len(plan.Moves) == 1000 {
		t.Fatalf("no end to the moves: %v", plan.Moves[:20])
	}
	state := withLoads(groups, 0)
	for i := range state {
		state[i].Load = groups[i].Load
	}
	squares := func() float64 {
		load, _ := leaderLoads(nodes, state)
		sum := 0.0
		for _, l := range load {
			sum += l * l
		}
		return sum
	}
	for _, m := range plan.Moves {
		before := squares()
		state = afterMoves(state, []Move{m})
		if m.IsLeader() && squares() >= before {
			t.Fatalf("%v does not narrow the leader loads (%.2f -> %.2f)", m, before, squares())
		}
	}
	checkLeaderTolerance(t, nodes, state, opts.LeaderTolerance)
	again := opts
	again.Leaders = true
	if more := PlanRebalance(nodes, state, again).Moves; len(more) != 0 {
		t.Fatalf("a second plan after %v: %v", plan.Moves, more)
	}
	return state
}

func TestPlanRebalanceLeaderLoad(t *testing.T) {
	four := rebalanceNodes(t, "n1", "n2", "n3", "n4")
	for _, tc := range []struct {
		name   string
		nodes  []RebalanceNode
		groups []RebalanceGroup
	}{
		{
			name:   "a hot group among cold ones, leaders even by count",
			nodes:  four,
			groups: withLoads(layout(four, 8, 3), 850, 5),
		},
		{
			name:   "a hot group among idle ones, all led by one node",
			nodes:  four,
			groups: withLoads(leadAll(layout(four, 8, 3), "n1"), 0, 0, 0, 850, 0),
		},
		{
			name:  "a fourth node joins a three-node cluster, one group hot",
			nodes: four,
			groups: withLoads(layout(pick(four, "n1", "n2", "n3"), 6, 3),
				12, 900, 12),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := DefaultRebalanceOptions(3)
			state := simulateLeaderLoad(t, tc.nodes, tc.groups, opts)
			hot := slices.IndexFunc(state, func(g RebalanceGroup) bool { return g.Load >= 850 })
			leader := state[hot].Replicas[0]
			for _, g := range state {
				if g.ID != state[hot].ID && g.Replicas[0] == leader {
					t.Fatalf("hot %s's leader %s also leads %s: %v", state[hot].ID, leader, g.ID, state)
				}
			}
		})
	}
}

// leadAll makes id every group's preferred leader (it must be a replica).
func leadAll(groups []RebalanceGroup, id string) []RebalanceGroup {
	out := withLoads(groups, 0)
	for i := range out {
		if slices.Contains(out[i].Replicas, id) {
			out[i].Replicas = ApplyMove(out[i].Replicas, Move{Lead: id})
		}
	}
	return out
}

func TestPlanRebalanceLeaderLoadZeroIsCount(t *testing.T) {
	// With no load anywhere, leader load is a count of leaderships: n1
	// leads all six groups of three nodes and hands two to each of the
	// others, one at a time, the first group by id first, as without
	// loads. Negative and non-finite loads count as none.
	nodes := rebalanceNodes(t, "n1", "n2", "n3")
	var groups []RebalanceGroup
	for i := range 6 {
		groups = append(groups, RebalanceGroup{ID: GroupID(i), Replicas: []string{"n1", "n2", "n3"}})
	}
	for _, load := range []float64{0, -5, math.NaN(), math.Inf(1)} {
		plan := SimulateRebalance(nodes, withLoads(groups, load), DefaultRebalanceOptions(3), 100)
		var got []string
		for _, m := range plan.Moves {
			got = append(got, m.String())
		}
		want := []string{
			GroupID(0) + ": leader to n2 (balance leaders: n1 leads 6, n2 leads 0)",
			GroupID(1) + ": leader to n3 (balance leaders: n1 leads 5, n3 leads 0)",
			GroupID(2) + ": leader to n2 (balance leaders: n1 leads 4, n2 leads 1)",
			GroupID(3) + ": leader to n3 (balance leaders: n1 leads 3, n3 leads 1)",
		}
		if !slices.Equal(got, want) {
			t.Fatalf("loads %v: moves:\n%s\nwant:\n%s", load, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}

func TestPlanRebalanceLeaderLoadConverges(t *testing.T) {
	// Uneven loads over five nodes, twelve groups, from every node leading
	// every group it can: the moves end, each narrows the leader loads, and
	// a second plan is empty.
	nodes := rebalanceNodes(t, "n1", "n2", "n3", "n4", "n5")
	loads := []float64{850, 3, 0, 120, 40, 40, 7, 300, 0, 15, 60, 1}
	for _, first := range []string{"n1", "n2", "n3", "n4", "n5"} {
		for _, tolerance := range []int{1, 2} {
			t.Run(fmt.Sprintf("%s leads/tolerance %d", first, tolerance), func(t *testing.T) {
				opts := DefaultRebalanceOptions(3)
				opts.LeaderTolerance = tolerance
				simulateLeaderLoad(t, nodes, leadAll(withLoads(layout(nodes, 12, 3), loads...), first), opts)
			})
		}
	}
}

func TestPlanRebalanceLeaderLoadReason(t *testing.T) {
	nodes := rebalanceNodes(t, "n1", "n2")
	groups := withLoads([]RebalanceGroup{
		{ID: "g1", Replicas: []string{"n1", "n2"}},
		{ID: "g2", Replicas: []string{"n1", "n2"}},
		{ID: "g3", Replicas: []string{"n1", "n2"}},
	}, 850, 0)
	opts := DefaultRebalanceOptions(2)
	moves := PlanRebalance(nodes, groups, opts).Moves
	if len(moves) != 1 {
		t.Fatalf("moves %v, want one", moves)
	}
	// Weights: g1 1 + 850/(850/3) = 4, g2 and g3 1, so n1 is at 6 and n2
	// at 0. Handing g1 over leaves 2 against 4, a cold group 4 against 2:
	// g1 moves, as close to half the difference as any.
	want := "g1: leader to n2 (balance leader load: n1 leads 3 groups at 850 cmd/s, n2 leads 0 at 0 cmd/s)"
	if moves[0].String() != want {
		t.Fatalf("move %v, want %s", moves[0], want)
	}
}

func TestPlanRebalanceLeaderLoadConvergesOnManyLayouts(t *testing.T) {
	// Seeded layouts: 3 to 7 nodes, 3 to 20 groups, loads from idle to
	// one hot group, leaders anywhere among the replicas.
	rng := rand.New(rand.NewPCG(19, 4))
	for c := range 300 {
		var ids []string
		for i := range 3 + rng.IntN(5) {
			ids = append(ids, fmt.Sprintf("n%d", i+1))
		}
		nodes := rebalanceNodes(t, ids...)
		groups := layout(nodes, 3+rng.IntN(18), 3)
		for i := range groups {
			switch rng.IntN(4) {
			case 0:
				groups[i].Load = 0
			case 1:
				groups[i].Load = 1000 * rng.Float64()
			default:
				groups[i].Load = 10 * rng.Float64()
			}
			lead := groups[i].Replicas[rng.IntN(len(groups[i].Replicas))]
			groups[i].Replicas = ApplyMove(groups[i].Replicas, Move{Lead: lead})
		}
		opts := DefaultRebalanceOptions(3)
		opts.LeaderTolerance = 1 + rng.IntN(2)
		t.Run(fmt.Sprint(c), func(t *testing.T) { simulateLeaderLoad(t, nodes, groups, opts) })
	}
}
