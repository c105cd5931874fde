package cluster

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/node/nodepb"
)

// A survival goal names a failure domain: a node's region is the first
// tier of its locality, its zone the first two. A group survives the loss
// of one domain when the replicas outside any one domain are a majority of
// its replicas; an event meets its goal when every group its shards are
// on survives. A node without a locality is in the domain "", with every
// other such node.

// goalLevel is how many leading tiers name the goal's failure domain; 0
// for no goal.
func goalLevel(goal boxofficev1.SurvivalGoal) int {
	switch goal {
	case boxofficev1.SurvivalGoal_SURVIVAL_GOAL_REGION:
		return 1
	case boxofficev1.SurvivalGoal_SURVIVAL_GOAL_ZONE:
		return 2
	}
	return 0
}

// goalNoun names the goal's failure domain in messages.
func goalNoun(level int) string {
	if level == 1 {
		return "region"
	}
	return "zone"
}

// domain is the failure domain of l at level: its first level tier values,
// joined with "/" ("eu-west/eu-west-1a").
func domain(l Locality, level int) string {
	values := make([]string, 0, level)
	for i := range min(level, len(l)) {
		values = append(values, l[i].Value)
	}
	return strings.Join(values, "/")
}

// Region is a locality's region (its first tier's value); "" without one.
func Region(l Locality) string { return domain(l, 1) }

// domainReplicasMax is the most replicas of a group of replicationFactor
// that one failure domain may hold for the group to keep a majority
// without it.
func domainReplicasMax(replicationFactor int) int { return (replicationFactor - 1) / 2 }

// SurvivesLoss reports whether a group with these replicas keeps a
// majority of them when any one failure domain of the goal is lost
// (always true without a goal). nodes gives the replicas' localities.
func SurvivesLoss(goal boxofficev1.SurvivalGoal, replicas []string, nodes map[string]Locality) bool {
	level := goalLevel(goal)
	if level == 0 {
		return true
	}
	if len(replicas) == 0 {
		return false
	}
	perDomain := map[string]int{}
	for _, r := range replicas {
		perDomain[domain(nodes[r], level)]++
	}
	for _, n := range perDomain {
		if n > domainReplicasMax(len(replicas)) {
			return false
		}
	}
	return true
}

// GoalPossible says why nodes (id → locality) cannot hold groups of
// replicationFactor replicas that meet goal, in words for an operator
// ("region survival needs replicas in at least 3 regions; nodes are in
// 2: eu-west, us-east"); nil when they can.
func GoalPossible(goal boxofficev1.SurvivalGoal, nodes map[string]Locality, replicationFactor int) error {
	level := goalLevel(goal)
	if level == 0 {
		return nil
	}
	noun := goalNoun(level)
	perDomain := domainReplicasMax(replicationFactor)
	if perDomain == 0 {
		return fmt.Errorf("%s survival needs a replication factor of at least 3; it is %d", noun, replicationFactor)
	}
	domains := map[string]bool{}
	for _, l := range nodes {
		domains[domain(l, level)] = true
	}
	need := (replicationFactor + perDomain - 1) / perDomain
	if len(domains) >= need {
		return nil
	}
	names := make([]string, 0, len(domains))
	for d := range domains {
		if d == "" {
			d = "(no locality)"
		}
		names = append(names, d)
	}
	slices.Sort(names)
	return fmt.Errorf("%s survival needs replicas in at least %d %ss; nodes are in %d: %s",
		noun, need, noun, len(names), strings.Join(names, ", "))
}

// GroupsMeeting returns the ids of the groups whose replicas meet goal,
// sorted. For SURVIVAL_GOAL_UNSPECIFIED (the cluster's default) those are
// the groups that survive a zone loss when any do, else every group.
func GroupsMeeting(goal boxofficev1.SurvivalGoal, groups []*nodepb.GroupRecord, nodes map[string]Locality) []string {
	effective := goal
	if goal == boxofficev1.SurvivalGoal_SURVIVAL_GOAL_UNSPECIFIED {
		effective = boxofficev1.SurvivalGoal_SURVIVAL_GOAL_ZONE
	}
	var ids, all []string
	for _, g := range groups {
		all = append(all, g.GroupId)
		if SurvivesLoss(effective, g.Replicas, nodes) {
			ids = append(ids, g.GroupId)
		}
	}
	if len(ids) == 0 && goal == boxofficev1.SurvivalGoal_SURVIVAL_GOAL_UNSPECIFIED {
		ids = all
	}
	slices.Sort(ids)
	return ids
}

// SeatsPerGroupDefault is the venue size (seats plus general-admission
// capacity) per data group an event gets when CreateEvent leaves
// group_count 0: below it one group is the fastest layout; a busy group
// of this size holds ~160 MiB and restarts in about a second
// (docs/capacity.md).
const SeatsPerGroupDefault = 500_000

// DefaultGroupCount is the number of groups an event of seats seats
// (general-admission capacity included) spans when CreateEvent leaves
// group_count 0: one per seatsPerGroup seats, rounded up, at least 1 and
// at most available (the groups that meet its goal).
func DefaultGroupCount(seats uint64, seatsPerGroup, available int) int {
	if seatsPerGroup <= 0 {
		seatsPerGroup = SeatsPerGroupDefault
	}
	n := (seats + uint64(seatsPerGroup) - 1) / uint64(seatsPerGroup)
	return int(max(1, min(n, uint64(max(available, 1)))))
}

// HomeChoice is a group an event homed in a region can use, and what it
// takes.
type HomeChoice struct {
	GroupID string
	// Leader is the replica in the home region to make the group's
	// preferred leader; "" when the group's home is already the region.
	Leader string
}

// HomeGroups picks count of the candidate groups (ids meeting the goal)
// for an event homed in region: first the groups whose home is already
// region, then those whose preferred leader (replicas[0]) is there, then
// those with a replica there, each in id order after offset (so that
// events spread). A group homed in another region is used only when
// inUse(group) is false (no live event homed there needs it). Returns
// fewer than count when too few groups qualify.
func HomeGroups(region string, candidates []string, groups []*nodepb.GroupRecord, nodes map[string]Locality,
	inUse func(groupID string) bool, count, offset int) []HomeChoice {
	byID := map[string]*nodepb.GroupRecord{}
	for _, g := range groups {
		byID[g.GroupId] = g
	}
	type ranked struct {
		choice HomeChoice
		rank   int
		order  int
	}
	var options []ranked
	ids := slices.Clone(candidates)
	slices.Sort(ids)
	for i, id := range ids {
		g := byID[id]
		if g == nil || len(g.Replicas) == 0 {
			continue
		}
		order := (i - offset%len(ids) + len(ids)) % len(ids)
		switch {
		case g.HomeRegion == region && Region(nodes[g.Replicas[0]]) == region:
			options = append(options, ranked{HomeChoice{GroupID: id}, 0, order})
			continue
		case g.HomeRegion != "" && g.HomeRegion != region && inUse(id):
			continue
		}
		k := slices.IndexFunc(g.Replicas, func(r string) bool { return Region(nodes[r]) == region })
		if k < 0 {
			continue
		}
		rank := 2
		if k == 0 {
			rank = 1
		}
		options = append(options, ranked{HomeChoice{GroupID: id, Leader: g.Replicas[k]}, rank, order})
	}
	slices.SortFunc(options, func(a, b ranked) int { return cmp.Or(cmp.Compare(a.rank, b.rank), cmp.Compare(a.order, b.order)) })
	out := make([]HomeChoice, 0, count)
	for _, o := range options[:min(count, len(options))] {
		out = append(out, o.choice)
	}
	return out
}
