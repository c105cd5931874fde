package cluster

import (
	"cmp"
	"fmt"
	"slices"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/node/nodepb"
)

// GroupID names data group i.
func GroupID(i int) string { return fmt.Sprintf("g%03d", i) }

// MetaGroupID names the meta group that holds the catalog.
const MetaGroupID = "meta"

// InitialGroups lays out count data groups over nodes (node id →
// locality) with replicationFactor replicas each.
//
// While every node has the same locality (none, typically), group i takes
// replicationFactor consecutive nodes in id order starting at node i mod n,
// so with count a multiple of n every node is the preferred leader
// (replicas[0]) of the same number of groups and holds the same number of
// replicas.
//
// Otherwise replicas are chosen one at a time, group after group. The
// preferred leader is the node that leads fewest groups so far, then holds
// fewest replicas. Each further replica is the node that shares its first
// tier (region) with the fewest replicas already chosen, then its first
// two tiers (zone) with the fewest, and so on (spread), then holds fewest
// replicas (balance). Ties go to the node nearest after node i mod n in id
// order, as in the uniform layout. So RF=3 over 3 regions puts one replica
// in each, RF=5 over 3 regions two, two and one, and within a region
// distinct zones come first. Spread wins over balance: with regions of 3, 1
// and 1 nodes and RF=3, the two lone nodes hold a replica of every group.
func InitialGroups(nodes map[string]Locality, count, replicationFactor int) []*nodepb.GroupRecord {
	return layoutGroups(nodes, nil, 0, count, replicationFactor)
}

// MoreGroups lays out count more data groups, with ids continuing after
// the last of existing, over nodes (the alive nodes that may take
// replicas, id → locality) as InitialGroups does, counting the leaders
// (replicas[0]) and replicas that existing already puts on each node: the
// new groups go first to the nodes that lead and hold fewest.
func MoreGroups(nodes map[string]Locality, existing []*nodepb.GroupRecord, count, replicationFactor int) []*nodepb.GroupRecord {
	next := 0
	for _, g := range existing {
		var i int
		if _, err := fmt.Sscanf(g.GroupId, "g%d", &i); err == nil {
			next = max(next, i+1)
		}
	}
	return layoutGroups(nodes, existing, next, count, replicationFactor)
}

// GroupIndexMax is the largest index GroupID names with three digits: a
// cluster holds at most GroupIndexMax+1 data groups, so that ids sort in
// creation order.
const GroupIndexMax = 999

func layoutGroups(nodes map[string]Locality, existing []*nodepb.GroupRecord, first, count, replicationFactor int) []*nodepb.GroupRecord {
	ids := sortedIDs(nodes)
	if len(ids) == 0 {
		return nil
	}
	if replicationFactor > len(ids) {
		replicationFactor = len(ids)
	}
	uniform := len(existing) == 0
	for _, id := range ids {
		uniform = uniform && nodes[id].Equal(nodes[ids[0]])
	}
	depth := localityDepth(nodes)
	leaders := make([]int, len(ids))
	load := make([]int, len(ids))
	for _, g := range existing {
		for r, id := range g.Replicas {
			if j, found := slices.BinarySearch(ids, id); found {
				load[j]++
				if r == 0 {
					leaders[j]++
				}
			}
		}
	}
	groups := make([]*nodepb.GroupRecord, 0, count)
	for i := first; i < first+count; i++ {
		chosen := make([]int, 0, replicationFactor)
		for range replicationFactor {
			var pick int
			switch {
			case uniform:
				pick = (i + len(chosen)) % len(ids)
			case len(chosen) == 0:
				pick = bestNode(len(ids), i, nil, func(a, b int) int {
					return cmp.Or(cmp.Compare(leaders[a], leaders[b]), cmp.Compare(load[a], load[b]))
				})
				leaders[pick]++
			default:
				pick = bestNode(len(ids), i, chosen, func(a, b int) int {
					return cmp.Or(compareSpread(nodes, ids, chosen, a, b, depth), cmp.Compare(load[a], load[b]))
				})
			}
			load[pick]++
			chosen = append(chosen, pick)
		}
		replicas := make([]string, len(chosen))
		for r, j := range chosen {
			replicas[r] = ids[j]
		}
		groups = append(groups, &nodepb.GroupRecord{
			GroupId:         GroupID(i),
			Replicas:        replicas,
			InitialReplicas: slices.Clone(replicas),
		})
	}
	return groups
}

// PickReplica chooses the node to add to a group whose replicas are
// replicas: among the candidates (the keys of load, each with the replicas
// it holds), not already replicas, the one that spreads the group most
// (as InitialGroups), then the one that holds fewest replicas, then the
// smallest id. nodes gives the localities of candidates and replicas.
// "" when no candidate is left.
func PickReplica(nodes map[string]Locality, replicas []string, load map[string]int) string {
	var candidates []string
	for _, id := range sortedIDs(load) {
		if !slices.Contains(replicas, id) {
			candidates = append(candidates, id)
		}
	}
	if len(candidates) == 0 {
		return ""
	}
	depth := localityDepth(nodes)
	ids := append(slices.Clone(candidates), replicas...)
	chosen := make([]int, len(replicas))
	for r := range replicas {
		chosen[r] = len(candidates) + r
	}
	best := bestNode(len(candidates), 0, nil, func(a, b int) int {
		return cmp.Or(compareSpread(nodes, ids, chosen, a, b, depth), cmp.Compare(load[ids[a]], load[ids[b]]))
	})
	return candidates[best]
}

// bestNode returns the least of nodes 0..n-1 not in skip under compare,
// visiting them from start (mod n) on, so that ties go to the first
// visited.
func bestNode(n, start int, skip []int, compare func(a, b int) int) int {
	best := -1
	for k := range n {
		j := (start + k) % n
		if slices.Contains(skip, j) {
			continue
		}
		if best < 0 || compare(j, best) < 0 {
			best = j
		}
	}
	return best
}

// compareSpread orders candidates a and b (indexes into ids) by how many
// of the chosen nodes share their first tier, then their first two tiers,
// and so on: fewer first.
func compareSpread(nodes map[string]Locality, ids []string, chosen []int, a, b, depth int) int {
	for level := 1; level <= depth; level++ {
		if c := cmp.Compare(sharing(nodes, ids, chosen, a, level, depth), sharing(nodes, ids, chosen, b, level, depth)); c != 0 {
			return c
		}
	}
	return 0
}

// sharing counts the chosen nodes that share at least level leading tiers
// with node j.
func sharing(nodes map[string]Locality, ids []string, chosen []int, j, level, depth int) int {
	n := 0
	for _, c := range chosen {
		if nodes[ids[c]].sharedTiers(nodes[ids[j]], depth) >= level {
			n++
		}
	}
	return n
}

// localityDepth is the most tiers any node has.
func localityDepth(nodes map[string]Locality) int {
	depth := 0
	for _, l := range nodes {
		depth = max(depth, len(l))
	}
	return depth
}

func sortedIDs[V any](m map[string]V) []string {
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// PlaceShards splits a venue into shardCount shards and places them on
// groupCount of the data groups. Sections and pools go to shards round robin
// in venue order, so neighbouring sections (which tend to be equally hot at
// an on-sale) land on different shards. The event uses groups offset,
// offset+1, ... offset+groupCount-1 (mod the number of groups) and shard s
// goes to the (s mod groupCount)th of them; callers pass a different offset
// per event so that many events spread over the groups.
//
// groupCount 0 means 1: a whole event in one group is the fastest layout
// while that group's leader has CPU to spare, because every command of the
// on-sale shares the group's Raft entries and fsyncs (measured in
// docs/capacity.md). shardCount 0 means one shard per group used, never
// more than sections + pools.
func PlaceShards(v *boxofficev1.Venue, groupIDs []string, shardCount, groupCount, offset int) ([]*nodepb.ShardRecord, error) {
	if len(groupIDs) == 0 {
		return nil, fmt.Errorf("placement: no data groups")
	}
	units := len(v.GetSections()) + len(v.GetPools())
	if units == 0 {
		return nil, fmt.Errorf("placement: venue has no sections or pools")
	}
	if groupCount == 0 {
		groupCount = 1
	}
	if groupCount > len(groupIDs) {
		return nil, fmt.Errorf("placement: group_count %d exceeds the %d data groups", groupCount, len(groupIDs))
	}
	if shardCount == 0 {
		shardCount = groupCount
	}
	if shardCount > units {
		shardCount = units
	}
	if shardCount > 256 {
		return nil, fmt.Errorf("placement: shard_count %d exceeds 256", shardCount)
	}
	groups := slices.Clone(groupIDs)
	slices.Sort(groups)
	shards := make([]*nodepb.ShardRecord, shardCount)
	for s := range shards {
		shards[s] = &nodepb.ShardRecord{Shard: uint32(s), GroupId: groups[(offset+s%groupCount)%len(groups)]}
	}
	tiers := make([]map[string]bool, shardCount)
	for s := range tiers {
		tiers[s] = map[string]bool{}
	}
	unit := 0
	for _, sec := range v.GetSections() {
		s := unit % shardCount
		shards[s].SectionIds = append(shards[s].SectionIds, sec.Id)
		if sec.PriceTier != "" {
			tiers[s][sec.PriceTier] = true
		}
		for _, r := range sec.Rows {
			if r.PriceTier != "" {
				tiers[s][r.PriceTier] = true
			}
		}
		unit++
	}
	for _, p := range v.GetPools() {
		s := unit % shardCount
		shards[s].PoolIds = append(shards[s].PoolIds, p.Id)
		unit++
	}
	for s := range shards {
		for t := range tiers[s] {
			shards[s].PriceTiers = append(shards[s].PriceTiers, t)
		}
		slices.Sort(shards[s].PriceTiers)
	}
	return shards, nil
}
