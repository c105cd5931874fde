package catalog

import (
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/boxoffice/boxoffice/node/nodepb"
)

// Decommission and replica moves. A decommissioning node keeps its
// replicas until the meta leader's rebalancer has moved each one; the
// catalog holds the mark and the moves in flight, so a new meta leader
// finishes what the last one started.

// setDecommissioningLocked applies SET_NODE_DECOMMISSIONING. Marking a node
// also drains it (its leaderships go first); taking the mark off undrains
// it.
func (c *Catalog) setDecommissioningLocked(d *nodepb.SetNodeDecommissioning) *nodepb.CatalogResult {
	n, exists := c.nodes[d.GetNodeId()]
	if !exists {
		return refusal(nodepb.CatalogCode_CATALOG_CODE_NOT_FOUND, "node %q is not registered", d.GetNodeId())
	}
	if d.Decommissioning && !n.Decommissioning {
		if refused := c.checkDecommissionLocked(n.NodeId, int(d.ReplicationFactor)); refused != nil {
			return refused
		}
	}
	n.Decommissioning = d.Decommissioning // in place: Node and Export hand out copies
	n.Draining = d.Decommissioning
	return &nodepb.CatalogResult{Code: nodepb.CatalogCode_CATALOG_CODE_OK}
}

// checkDecommissionLocked refuses to decommission id when the nodes left
// to hold replicas (registered, not decommissioning) would be fewer than
// the replication factor, or would span fewer distinct localities, at
// some tier, than the replicas of a group span now: a move never lowers a
// group's spread, so some replicas could never leave.
func (c *Catalog) checkDecommissionLocked(id string, replicationFactor int) *nodepb.CatalogResult {
	var left []*nodepb.NodeRecord
	for _, nid := range sortedKeys(c.nodes) {
		if n := c.nodes[nid]; nid != id && !n.Decommissioning {
			left = append(left, n)
		}
	}
	if len(left) < replicationFactor {
		return refusal(nodepb.CatalogCode_CATALOG_CODE_DECOMMISSION_WOULD_LOSE_REPLICAS,
			"decommissioning node %q would leave %d nodes able to hold replicas, fewer than the replication factor %d",
			id, len(left), replicationFactor)
	}
	depth := 0
	for _, n := range c.nodes {
		depth = max(depth, len(n.Locality))
	}
	available := spread(left, depth)
	for _, gid := range sortedKeys(c.groups) {
		var replicas []*nodepb.NodeRecord
		for _, r := range c.groups[gid].Replicas {
			if n := c.nodes[r]; n != nil {
				replicas = append(replicas, n)
			}
		}
		need := spread(replicas, depth)
		for level := range need {
			if available[level] < need[level] {
				return refusal(nodepb.CatalogCode_CATALOG_CODE_DECOMMISSION_WOULD_LOSE_REPLICAS,
					"decommissioning node %q would leave %d nodes spanning %d distinct localities at tier %d, and group %q spans %d",
					id, len(left), available[level], level+1, gid, need[level])
			}
		}
	}
	return nil
}

// spread counts the distinct localities of nodes at each depth: element 0
// distinct first tiers, element 1 distinct first two tiers, and so on (as
// cluster.Spread, which the catalog does not import).
func spread(nodes []*nodepb.NodeRecord, depth int) []int {
	out := make([]int, depth)
	for level := 1; level <= depth; level++ {
		seen := map[string]bool{}
		for _, n := range nodes {
			var key strings.Builder
			for i := range level {
				if i < len(n.Locality) {
					key.WriteString(n.Locality[i].GetKey() + "=" + n.Locality[i].GetValue())
				}
				key.WriteString(",")
			}
			seen[key.String()] = true
		}
		out[level-1] = len(seen)
	}
	return out
}

// moveReplicaLocked applies MOVE_REPLICA (see nodepb.MovePhase).
func (c *Catalog) moveReplicaLocked(m *nodepb.MoveReplica, nowUnixMs int64) *nodepb.CatalogResult {
	mv := m.GetMove()
	g, exists := c.groups[mv.GetGroupId()]
	if !exists {
		return refusal(nodepb.CatalogCode_CATALOG_CODE_NOT_FOUND, "group %q not found", mv.GetGroupId())
	}
	ok := &nodepb.CatalogResult{Code: nodepb.CatalogCode_CATALOG_CODE_OK}
	switch m.GetPhase() {
	case nodepb.MovePhase_MOVE_PHASE_START:
		switch {
		case c.moves[g.GroupId] != nil:
			return refusal(nodepb.CatalogCode_CATALOG_CODE_MOVE_CONFLICT, "group %q already has a replica move in flight", g.GroupId)
		case c.nodes[mv.AddNodeId] == nil:
			return refusal(nodepb.CatalogCode_CATALOG_CODE_MOVE_CONFLICT, "node %q is not registered", mv.AddNodeId)
		case slices.Contains(g.Replicas, mv.AddNodeId):
			return refusal(nodepb.CatalogCode_CATALOG_CODE_MOVE_CONFLICT, "node %q is already a replica of group %q", mv.AddNodeId, g.GroupId)
		case !slices.Contains(g.Replicas, mv.RemoveNodeId):
			return refusal(nodepb.CatalogCode_CATALOG_CODE_MOVE_CONFLICT, "node %q is not a replica of group %q", mv.RemoveNodeId, g.GroupId)
		}
		rec := proto.Clone(mv).(*nodepb.ReplicaMove)
		rec.StartedAtUnixMs = nowUnixMs
		c.moves[g.GroupId] = rec
		g.Replicas = append(g.Replicas, mv.AddNodeId)
		return ok
	case nodepb.MovePhase_MOVE_PHASE_FINISH, nodepb.MovePhase_MOVE_PHASE_CANCEL:
		cur := c.moves[g.GroupId]
		if cur == nil || cur.AddNodeId != mv.AddNodeId || cur.RemoveNodeId != mv.RemoveNodeId {
			return refusal(nodepb.CatalogCode_CATALOG_CODE_NOT_FOUND, "group %q has no move of a replica from %q to %q in flight",
				g.GroupId, mv.RemoveNodeId, mv.AddNodeId)
		}
		delete(c.moves, g.GroupId)
		if m.GetPhase() == nodepb.MovePhase_MOVE_PHASE_CANCEL {
			g.Replicas = slices.DeleteFunc(g.Replicas, func(r string) bool { return r == cur.AddNodeId })
			return ok
		}
		if i := slices.Index(g.Replicas, cur.RemoveNodeId); i >= 0 && slices.Contains(g.Replicas, cur.AddNodeId) {
			g.Replicas = slices.DeleteFunc(g.Replicas, func(r string) bool { return r == cur.AddNodeId })
			g.Replicas[i] = cur.AddNodeId
		}
		return ok
	default:
		return refusal(nodepb.CatalogCode_CATALOG_CODE_INVALID, "move replica: unknown phase %v", m.GetPhase())
	}
}

// forgetMovesOfLocked drops the moves that add or remove a node that was
// removed: REMOVE_NODE already took it out of every group.
func (c *Catalog) forgetMovesOfLocked(id string) {
	for gid, m := range c.moves {
		if m.AddNodeId == id || m.RemoveNodeId == id {
			delete(c.moves, gid)
		}
	}
}

// Moves returns copies of the replica moves in flight, by group id.
func (c *Catalog) Moves() []*nodepb.ReplicaMove {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]*nodepb.ReplicaMove, 0, len(c.moves))
	for _, gid := range sortedKeys(c.moves) {
		out = append(out, proto.Clone(c.moves[gid]).(*nodepb.ReplicaMove))
	}
	return out
}
