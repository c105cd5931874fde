package cluster

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
)

// The rebalance planner decides which replicas and leaderships move so
// that every node carries its share of the data groups. It is pure: the
// caller (the meta leader, or a dry run) passes what it knows of the nodes
// and groups and executes, or only shows, the moves it returns.
//
// Rules, in order:
//
//  1. Locality spread never gets worse: a move replaces one replica of a
//     group by another only if the group then spans at least as many
//     distinct first tiers (regions), first two tiers (zones), and so on,
//     as before (Spread).
//  2. A decommissioning node loses every replica, to the node that spreads
//     the group most, then holds fewest replicas.
//  3. Otherwise replicas go from the node that holds most to the node that
//     holds fewest, while the two differ by more than ReplicaTolerance.
//  4. Once no replica move is planned or in flight, and if
//     RebalanceOptions.Leaders says so, preferred leaderships (replicas[0])
//     go from the node with the most leader load to one with less among
//     the group's replicas. A node's leader load is the sum, over the
//     groups it prefers to lead, of the group's weight 1 + Load/meanLoad
//     (meanLoad: the mean Load of all groups; every weight is 1 when no
//     group has load, and leader load is then a count of leaderships). A
//     leadership moves from one node to another only while their loads
//     differ by more than LeaderTolerance, and only if the group weighs
//     less than that difference, so that the move strictly narrows it (the
//     sum of squared leader loads falls at every move, so planning again
//     and again ends). Among the groups that qualify, the one weighing
//     closest to half the difference moves (then the first by id). When
//     no move is left, two nodes' leader loads differ by more than
//     LeaderTolerance only where every group the first could hand to the
//     second weighs at least the difference: a hot group's leader leads
//     nothing else where other nodes can. The caller asks for it after
//     replica moves, not at every pass: an operator who made a node a
//     group's preferred leader (TransferLeader) keeps it there until
//     replicas move again.
//
// One move per group at a time, and at most MovesInFlightMax replica moves
// in the whole cluster, counting those already in flight: a replica move
// copies a group's state to a new node, and an on-sale must not wait
// behind many of them. Tolerances are at least 1: with 0, a count that
// cannot be divided evenly would move back and forth for ever.

// RebalanceNode is what the planner knows of a node.
type RebalanceNode struct {
	ID       string
	Locality Locality
	// Alive: the node answers gossip. Only alive nodes receive replicas.
	Alive bool
	// Draining nodes (about to restart) neither receive nor give replicas
	// and lead nothing.
	Draining bool
	// Decommissioning nodes lose every replica.
	Decommissioning bool
}

// RebalanceGroup is what the planner knows of a data group.
type RebalanceGroup struct {
	ID string
	// Replicas as the catalog lists them; Replicas[0] is the preferred
	// leader.
	Replicas []string
	// Moving: a replica move of this group is in flight; the planner
	// leaves the group alone and counts the move against MovesInFlightMax.
	Moving bool
	// HomeRegion, when set, is the region (first locality tier value) the
	// group is led from (an event's home_region): the planner never moves
	// its preferred leadership and never takes its last replica out of
	// that region.
	HomeRegion string
	// Load is the group's recent commands per second (0: idle or not
	// known; negative or not finite counts as 0); it weighs the group's
	// preferred leadership (rule 4).
	Load float64
}

// RebalanceOptions are the planner's limits.
type RebalanceOptions struct {
	// ReplicationFactor is the replicas a group should have; groups with
	// another count (short of replicas, or in the middle of a move) are
	// not moved.
	ReplicationFactor int
	// ReplicaTolerance is the largest difference of replicas held between
	// two nodes that the planner leaves alone (at least 1).
	ReplicaTolerance int
	// LeaderTolerance is the largest difference of leader load (rule 4:
	// leaderships when no group has load) between two nodes that the
	// planner leaves alone (at least 1).
	LeaderTolerance int
	// MovesInFlightMax bounds replica moves in flight cluster-wide (at
	// least 1); leader moves per plan are bounded by it too.
	MovesInFlightMax int
	// Leaders: balance preferred leaderships too (rule 4).
	Leaders bool
}

// DefaultRebalanceOptions are the limits the nodes use.
func DefaultRebalanceOptions(replicationFactor int) RebalanceOptions {
	return RebalanceOptions{ReplicationFactor: replicationFactor, ReplicaTolerance: 1, LeaderTolerance: 1, MovesInFlightMax: 2,
		Leaders: true}
}

// Validate names the field and value it rejects.
func (o RebalanceOptions) Validate() error {
	switch {
	case o.ReplicationFactor < 1:
		return fmt.Errorf("ReplicationFactor %d: at least 1", o.ReplicationFactor)
	case o.ReplicaTolerance < 1:
		return fmt.Errorf("ReplicaTolerance %d: at least 1", o.ReplicaTolerance)
	case o.LeaderTolerance < 1:
		return fmt.Errorf("LeaderTolerance %d: at least 1", o.LeaderTolerance)
	case o.MovesInFlightMax < 1:
		return fmt.Errorf("MovesInFlightMax %d: at least 1", o.MovesInFlightMax)
	}
	return nil
}

// Move is one planned change. A replica move (Add and Remove set) adds a
// replica on Add and, once it has caught up, removes the one on Remove; Add
// takes Remove's place in the replica list. A leader move (Lead set) makes
// Lead, already a replica, the group's preferred leader.
type Move struct {
	Group  string
	Add    string
	Remove string
	Lead   string
	Reason string
}

// IsLeader reports whether m moves a leadership rather than a replica.
func (m Move) IsLeader() bool { return m.Lead != "" }

func (m Move) String() string {
	if m.IsLeader() {
		return fmt.Sprintf("%s: leader to %s (%s)", m.Group, m.Lead, m.Reason)
	}
	return fmt.Sprintf("%s: replica %s -> %s (%s)", m.Group, m.Remove, m.Add, m.Reason)
}

// RebalancePlan is the planner's answer.
type RebalancePlan struct {
	Moves []Move
	// Blocked says why a replica that should move cannot (a decommissioning
	// node's replica with no node that keeps the group's spread).
	Blocked []string
}

// PlanRebalance returns the next moves (see the rules above). Given the
// same input it returns the same plan, and a balanced cluster gets none.
func PlanRebalance(nodes []RebalanceNode, groups []RebalanceGroup, opts RebalanceOptions) RebalancePlan {
	p := newPlanner(nodes, groups, opts)
	return p.plan()
}

// SimulateRebalance plans, applies the moves to its own copy of the
// groups, and plans again until nothing is left or movesMax moves are
// planned: every move a rebalance would make from this state, as a dry run
// shows it. Moves already in flight are taken as done (their groups are
// passed as they will be after). Leaders are balanced once a replica move
// was planned, or from the start if opts.Leaders says so.
func SimulateRebalance(nodes []RebalanceNode, groups []RebalanceGroup, opts RebalanceOptions, movesMax int) RebalancePlan {
	state := make([]RebalanceGroup, len(groups))
	for i, g := range groups {
		state[i] = g
		state[i].Replicas = slices.Clone(g.Replicas)
		state[i].Moving = false
	}
	var all RebalancePlan
	for len(all.Moves) < movesMax {
		plan := PlanRebalance(nodes, state, opts)
		all.Blocked = plan.Blocked
		if len(plan.Moves) == 0 {
			break
		}
		for _, m := range plan.Moves {
			if len(all.Moves) == movesMax {
				break
			}
			opts.Leaders = opts.Leaders || !m.IsLeader()
			all.Moves = append(all.Moves, m)
			for i := range state {
				if state[i].ID == m.Group {
					state[i].Replicas = ApplyMove(state[i].Replicas, m)
				}
			}
		}
	}
	return all
}

// ApplyMove returns replicas after m is done: Add in Remove's place, or
// Lead first with the others in their order.
func ApplyMove(replicas []string, m Move) []string {
	out := slices.Clone(replicas)
	if m.IsLeader() {
		i := slices.Index(out, m.Lead)
		if i < 0 {
			return out
		}
		return append([]string{m.Lead}, slices.Delete(out, i, i+1)...)
	}
	out = slices.DeleteFunc(out, func(id string) bool { return id == m.Add })
	if i := slices.Index(out, m.Remove); i >= 0 {
		out[i] = m.Add
	} else {
		out = append(out, m.Add)
	}
	return out
}

// Spread is how many distinct localities a set of nodes spans at each
// depth: element 0 counts distinct first tiers, element 1 distinct first
// two tiers, and so on up to depth.
func Spread(localities []Locality, depth int) []int {
	out := make([]int, depth)
	for level := 1; level <= depth; level++ {
		seen := map[string]bool{}
		for _, l := range localities {
			var key strings.Builder
			for i := range level {
				t := l.tier(i)
				key.WriteString(t.Key + "=" + t.Value + ",")
			}
			seen[key.String()] = true
		}
		out[level-1] = len(seen)
	}
	return out
}

// LocalityDepth is the most tiers any of the localities has.
func LocalityDepth(localities []Locality) int {
	depth := 0
	for _, l := range localities {
		depth = max(depth, len(l))
	}
	return depth
}

// Concentration is, at each depth, the most nodes of a set that share
// their first tiers: element 0 the most in one region, element 1 the most
// in one zone, and so on up to depth. A group survives the loss of any one
// locality at a depth while its concentration there is below a majority.
func Concentration(localities []Locality, depth int) []int {
	out := make([]int, depth)
	for level := 1; level <= depth; level++ {
		count := map[string]int{}
		for _, l := range localities {
			var key strings.Builder
			for i := range level {
				t := l.tier(i)
				key.WriteString(t.Key + "=" + t.Value + ",")
			}
			count[key.String()]++
			out[level-1] = max(out[level-1], count[key.String()])
		}
	}
	return out
}

// concentrationAtMost reports whether a is at most b at every depth.
func concentrationAtMost(a, b []int) bool {
	for i := range b {
		if a[i] > b[i] {
			return false
		}
	}
	return true
}

// spreadAtLeast reports whether a spans at least as much as b at every
// depth.
func spreadAtLeast(a, b []int) bool {
	for i := range b {
		if a[i] < b[i] {
			return false
		}
	}
	return true
}

type planner struct {
	nodes    map[string]RebalanceNode
	ids      []string // every node, sorted
	groups   []RebalanceGroup
	opts     RebalanceOptions
	depth    int
	replicas map[string]int // replicas held, per node
	moving   map[string]bool
	budget   int
}

func newPlanner(nodes []RebalanceNode, groups []RebalanceGroup, opts RebalanceOptions) *planner {
	opts.ReplicaTolerance = max(opts.ReplicaTolerance, 1)
	opts.LeaderTolerance = max(opts.LeaderTolerance, 1)
	opts.MovesInFlightMax = max(opts.MovesInFlightMax, 1)
	p := &planner{nodes: map[string]RebalanceNode{}, opts: opts, replicas: map[string]int{}, moving: map[string]bool{}}
	var locs []Locality
	for _, n := range nodes {
		p.nodes[n.ID] = n
		p.ids = append(p.ids, n.ID)
		locs = append(locs, n.Locality)
	}
	slices.Sort(p.ids)
	p.depth = LocalityDepth(locs)
	p.groups = slices.Clone(groups)
	slices.SortFunc(p.groups, func(a, b RebalanceGroup) int { return cmp.Compare(a.ID, b.ID) })
	inFlight := 0
	for _, g := range p.groups {
		for _, r := range g.Replicas {
			p.replicas[r]++
		}
		if g.Moving {
			p.moving[g.ID] = true
			inFlight++
		}
	}
	p.budget = opts.MovesInFlightMax - inFlight
	return p
}

// target reports whether a node may receive a replica or a leadership.
func (p *planner) target(id string) bool {
	n, ok := p.nodes[id]
	return ok && n.Alive && !n.Draining && !n.Decommissioning
}

func (p *planner) spread(replicas []string) []int {
	return Spread(p.localities(replicas), p.depth)
}

func (p *planner) localities(replicas []string) []Locality {
	locs := make([]Locality, len(replicas))
	for i, r := range replicas {
		locs[i] = p.nodes[r].Locality
	}
	return locs
}

// inRegion counts the replicas whose first tier's value is region.
func (p *planner) inRegion(replicas []string, region string) int {
	n := 0
	for _, r := range replicas {
		if l := p.nodes[r].Locality; len(l) > 0 && l[0].Value == region {
			n++
		}
	}
	return n
}

// movable reports whether the planner may move g's replicas now.
func (p *planner) movable(g RebalanceGroup) bool {
	return !p.moving[g.ID] && len(g.Replicas) == p.opts.ReplicationFactor
}

// replacement returns the best node to take remove's replica of g among
// candidates: one not already a replica that keeps the group's spread
// (distinct localities at every depth never fewer, the most replicas in
// one locality never more, so a group that survives a region's or a
// zone's loss still does; a homed group keeps a replica in its home
// region), spreading it most, then holding fewest replicas, then by id;
// "" if none.
func (p *planner) replacement(g RebalanceGroup, remove string, candidates []string) string {
	before := p.spread(g.Replicas)
	crowded := Concentration(p.localities(g.Replicas), p.depth)
	home := 0
	if g.HomeRegion != "" {
		home = min(p.inRegion(g.Replicas, g.HomeRegion), 1)
	}
	best, bestSpread := "", []int(nil)
	for _, c := range candidates {
		if !p.target(c) || slices.Contains(g.Replicas, c) {
			continue
		}
		moved := ApplyMove(g.Replicas, Move{Add: c, Remove: remove})
		after := p.spread(moved)
		if !spreadAtLeast(after, before) || !concentrationAtMost(Concentration(p.localities(moved), p.depth), crowded) ||
			(home > 0 && p.inRegion(moved, g.HomeRegion) == 0) {
			continue
		}
		if best == "" || cmp.Or(slices.Compare(bestSpread, after), cmp.Compare(p.replicas[c], p.replicas[best])) < 0 {
			best, bestSpread = c, after
		}
	}
	return best
}

func (p *planner) plan() RebalancePlan {
	var plan RebalancePlan
	// Rule 2: decommissioning nodes lose every replica.
	for _, g := range p.groups {
		if p.budget <= 0 {
			break
		}
		if !p.movable(g) {
			continue
		}
		for _, r := range g.Replicas {
			if n, ok := p.nodes[r]; !ok || !n.Decommissioning {
				continue
			}
			add := p.replacement(g, r, p.ids)
			if add == "" {
				plan.Blocked = append(plan.Blocked, fmt.Sprintf(
					"%s: no alive node outside the group keeps its locality spread to take %s's replica", g.ID, r))
				continue
			}
			plan.Moves = append(plan.Moves, p.take(g, Move{Group: g.ID, Add: add, Remove: r,
				Reason: fmt.Sprintf("%s is decommissioning", r)}))
			break
		}
	}
	// Rule 3: replicas from the most to the least loaded node.
	for p.budget > 0 {
		m, ok := p.balanceReplicas()
		if !ok {
			break
		}
		plan.Moves = append(plan.Moves, m)
	}
	// Rule 4: leaders, once replicas stay where they are.
	if !p.opts.Leaders || len(plan.Moves) > 0 || len(p.moving) > 0 {
		return plan
	}
	for range p.opts.MovesInFlightMax {
		m, ok := p.balanceLeaders()
		if !ok {
			break
		}
		plan.Moves = append(plan.Moves, m)
	}
	return plan
}

// take records a replica move: counts, the group's in-flight mark and the
// budget.
func (p *planner) take(g RebalanceGroup, m Move) Move {
	p.replicas[m.Add]++
	p.replicas[m.Remove]--
	p.moving[g.ID] = true
	p.budget--
	return m
}

// byLoad returns the nodes that may receive replicas, fewest count first
// (ties by id).
func (p *planner) byLoad(count map[string]int) []string {
	var ids []string
	for _, id := range p.ids {
		if p.target(id) {
			ids = append(ids, id)
		}
	}
	slices.SortStableFunc(ids, func(a, b string) int { return cmp.Compare(count[a], count[b]) })
	return ids
}

func (p *planner) balanceReplicas() (Move, bool) {
	ids := p.byLoad(p.replicas)
	tol := p.opts.ReplicaTolerance
	for i := len(ids) - 1; i >= 0; i-- {
		from := ids[i]
		for _, to := range ids {
			if p.replicas[from]-p.replicas[to] <= tol {
				break // the rest hold at least as many
			}
			// Prefer a group that from does not lead, so no leadership
			// has to move with the replica.
			for _, leading := range []bool{false, true} {
				for _, g := range p.groups {
					if !p.movable(g) || !slices.Contains(g.Replicas, from) || slices.Contains(g.Replicas, to) ||
						(g.Replicas[0] == from) != leading {
						continue
					}
					if p.replacement(g, from, []string{to}) != to {
						continue
					}
					return p.take(g, Move{Group: g.ID, Add: to, Remove: from, Reason: fmt.Sprintf(
						"balance replicas: %s holds %d, %s holds %d", from, p.replicas[from], to, p.replicas[to])}), true
				}
			}
		}
	}
	return Move{}, false
}

// preferredLeader is the first replica of g that may lead.
func (p *planner) preferredLeader(g RebalanceGroup) string {
	for _, r := range g.Replicas {
		if n, ok := p.nodes[r]; ok && !n.Draining && !n.Decommissioning {
			return r
		}
	}
	return ""
}

// load is g's Load, 0 for none, a negative or a non-finite one (a rate
// comes over the wire).
func (g RebalanceGroup) load() float64 {
	if !(g.Load > 0) || math.IsInf(g.Load, 0) {
		return 0
	}
	return g.Load
}

// leaderWeights returns each group's leader weight, 1 + Load/meanLoad
// (all 1 when no group has load), and whether any group has load.
func (p *planner) leaderWeights() (map[string]float64, bool) {
	total := 0.0
	for _, g := range p.groups {
		total += g.load()
	}
	weights := make(map[string]float64, len(p.groups))
	for _, g := range p.groups {
		weights[g.ID] = 1
		if total > 0 {
			weights[g.ID] += g.load() * float64(len(p.groups)) / total
		}
	}
	return weights, total > 0
}

// leaderLoadEpsilon absorbs rounding in sums of weights.
const leaderLoadEpsilon = 1e-9

func (p *planner) balanceLeaders() (Move, bool) {
	weights, loaded := p.leaderWeights()
	load := map[string]float64{}     // leader load per node
	leads := map[string]int{}        // leaderships per node
	commands := map[string]float64{} // commands per second led, per node
	for _, g := range p.groups {
		l := p.preferredLeader(g)
		load[l] += weights[g.ID]
		leads[l]++
		commands[l] += g.load()
	}
	var ids []string
	for _, id := range p.ids {
		if p.target(id) {
			ids = append(ids, id)
		}
	}
	slices.SortStableFunc(ids, func(a, b string) int { return cmp.Compare(load[a], load[b]) })
	tol := float64(p.opts.LeaderTolerance)
	for i := len(ids) - 1; i >= 0; i-- {
		from := ids[i]
		for _, to := range ids {
			diff := load[from] - load[to]
			if diff <= tol+leaderLoadEpsilon {
				break // the rest lead at least as much
			}
			best := -1
			for gi, g := range p.groups {
				if p.moving[g.ID] || g.HomeRegion != "" || p.preferredLeader(g) != from || !slices.Contains(g.Replicas, to) ||
					weights[g.ID] >= diff-leaderLoadEpsilon {
					continue
				}
				if best < 0 || math.Abs(diff-2*weights[g.ID]) < math.Abs(diff-2*weights[p.groups[best].ID])-leaderLoadEpsilon {
					best = gi
				}
			}
			if best < 0 {
				continue
			}
			g := p.groups[best]
			reason := fmt.Sprintf("balance leaders: %s leads %d, %s leads %d", from, leads[from], to, leads[to])
			if loaded {
				reason = fmt.Sprintf("balance leader load: %s leads %d groups at %.0f cmd/s, %s leads %d at %.0f cmd/s",
					from, leads[from], commands[from], to, leads[to], commands[to])
			}
			m := Move{Group: g.ID, Lead: to, Reason: reason}
			p.groups[best].Replicas = ApplyMove(g.Replicas, m)
			p.moving[g.ID] = true
			return m, true
		}
	}
	return Move{}, false
}
