package cluster

import (
	"cmp"
	"slices"
)

// MetaVotersFor is how many voters the meta group (the catalog) has in a
// cluster of registered nodes: 3, or 5 from 5 nodes on. Five voters over
// three regions sit 2/2/1, so the catalog keeps a quorum after the loss of
// any one region as a data group of replication factor 5 does, and of any
// two nodes; three voters in three regions survive one region.
func MetaVotersFor(registered int) int {
	if registered >= 5 {
		return 5
	}
	return 3
}

// MetaVoters chooses count voters of the meta group among candidates
// (the alive nodes, id → locality), one at a time: the candidate that
// shares its region with the fewest already chosen, then its zone, and so
// on (as a data group's replicas are spread), then keep first (the
// current leader, which should not demote itself), then a current voter
// (so that a spread set is left alone), then the smallest id. So with
// nodes in three regions the voters are in three regions, and with five
// voters they sit 2/2/1. Fewer than count when there are fewer candidates.
func MetaVoters(candidates map[string]Locality, current []string, keep string, count int) []string {
	ids := sortedIDs(candidates)
	depth := localityDepth(candidates)
	chosen := make([]int, 0, count)
	for range min(count, len(ids)) {
		pick := bestNode(len(ids), 0, chosen, func(a, b int) int {
			return cmp.Or(compareSpread(candidates, ids, chosen, a, b, depth),
				compareTrueFirst(ids[a] == keep, ids[b] == keep),
				compareTrueFirst(slices.Contains(current, ids[a]), slices.Contains(current, ids[b])))
		})
		chosen = append(chosen, pick)
	}
	voters := make([]string, len(chosen))
	for i, j := range chosen {
		voters[i] = ids[j]
	}
	slices.Sort(voters)
	return voters
}

func compareTrueFirst(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return -1
	}
	return 1
}
