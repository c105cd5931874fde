package cluster

import (
	"fmt"
	"slices"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/node/nodepb"
)

// GroupID names data group i.
func GroupID(i int) string { return fmt.Sprintf("g%03d", i) }

// MetaGroupID names the meta group that holds the catalog.
const MetaGroupID = "meta"

// InitialGroups lays out count data groups over nodes with replicationFactor
// replicas each. Group i starts at node i mod n, so with count a multiple of
// n every node is the preferred leader (replicas[0]) of the same number of
// groups and holds the same number of replicas.
func InitialGroups(nodeIDs []string, count, replicationFactor int) []*nodepb.GroupRecord {
	nodes := slices.Clone(nodeIDs)
	slices.Sort(nodes)
	if replicationFactor > len(nodes) {
		replicationFactor = len(nodes)
	}
	groups := make([]*nodepb.GroupRecord, 0, count)
	for i := range count {
		replicas := make([]string, 0, replicationFactor)
		for r := range replicationFactor {
			replicas = append(replicas, nodes[(i+r)%len(nodes)])
		}
		groups = append(groups, &nodepb.GroupRecord{
			GroupId:         GroupID(i),
			Replicas:        replicas,
			InitialReplicas: slices.Clone(replicas),
		})
	}
	return groups
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
