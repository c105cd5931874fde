package node

import (
	"context"
	"fmt"
	"slices"

	"github.com/hashicorp/raft"

	"github.com/boxoffice/boxoffice/cluster"
	"github.com/boxoffice/boxoffice/node/nodepb"
)

// reconcileMetaVoters runs on the meta leader after reconcileMeta has made
// every registered, alive node a member: it makes the meta group's voters
// the ones cluster.MetaVoters chooses among the alive nodes (spread over
// regions, then zones), cluster.MetaVotersFor(registered nodes) of them,
// by one change per pass:
//
//   - a chosen node that is a non-voter is promoted (AddVoter) first, so
//     the number of voters never drops below the target on the way, once
//     it has applied the catalog nearly as far as the leader has
//     committed it (metaCaughtUp);
//   - only when every chosen node votes and there are more voters than
//     the target is one of the others demoted (DemoteVoter), those not
//     alive first, and only while a quorum of the voters that would
//     remain answer (removalKeepsQuorum, as for a removal).
//
// So with nodes in three regions the catalog has a voter in each and
// keeps a quorum when a whole region is lost; after that loss the lost
// voters are replaced by alive nodes, and when the region is back the
// voters spread over it again. A voter that is only unreachable is never
// demoted while the voters number no more than the target: a node that
// comes back finds its vote.
func (h *Host) reconcileMetaVoters(snap *nodepb.CatalogSnapshot, probe *peerProbe) error {
	cf := h.meta.raft.GetConfiguration()
	if err := cf.Error(); err != nil {
		return err
	}
	config := cf.Configuration()
	registered := map[string]*nodepb.NodeRecord{}
	for _, n := range snap.Nodes {
		registered[n.NodeId] = n
	}
	if len(registered) == 0 {
		return nil // the catalog is not written yet
	}
	alive := map[string]cluster.Locality{}
	suffrage := map[string]raft.ServerSuffrage{}
	var voters []string
	for _, s := range config.Servers {
		id := string(s.ID)
		suffrage[id] = s.Suffrage
		if s.Suffrage == raft.Voter {
			voters = append(voters, id)
		}
		n := registered[id]
		if n != nil && (id == h.cfg.NodeID || h.membership.Alive(id) && h.memberProven(id, n.PeerAddr, n.GrpcAddr)) {
			alive[id] = cluster.LocalityFromProto(n.Locality)
		}
	}
	target := cluster.MetaVotersFor(len(registered))
	chosen := cluster.MetaVoters(alive, voters, h.cfg.NodeID, target)
	for _, id := range chosen {
		if suffrage[id] == raft.Voter {
			continue
		}
		if !h.metaCaughtUp(registered[id].PeerAddr, id) {
			return fmt.Errorf("meta: promote %s: waiting for it to catch up with the catalog", id)
		}
		addr := raft.ServerAddress(registered[id].PeerAddr)
		if err := h.meta.raft.AddVoter(raft.ServerID(id), addr, 0, membershipChangeTimeout).Error(); err != nil {
			return fmt.Errorf("meta: promote %s: %w", id, err)
		}
		h.logger.Info("meta voter promoted", "peer", id, "voters", chosen)
		return nil
	}
	if len(voters) <= target {
		return nil
	}
	var extra []string
	for _, id := range voters {
		if !slices.Contains(chosen, id) && id != h.cfg.NodeID {
			extra = append(extra, id)
		}
	}
	// Those not alive first, then in id order.
	slices.SortStableFunc(extra, func(a, b string) int {
		_, aliveA := alive[a]
		_, aliveB := alive[b]
		return compareBool(aliveA, aliveB)
	})
	for _, id := range extra {
		if err := h.removalKeepsQuorum(h.meta.id, config, id, probe); err != nil {
			return fmt.Errorf("meta: demote %s: %w", id, err)
		}
		if err := h.meta.raft.DemoteVoter(raft.ServerID(id), 0, membershipChangeTimeout).Error(); err != nil {
			return fmt.Errorf("meta: demote %s: %w", id, err)
		}
		h.logger.Info("meta voter demoted", "peer", id, "voters", chosen)
		return nil
	}
	return nil
}

// metaCatchUpSlack is how many entries behind the leader's commit index a
// non-voter may have applied and still be promoted.
const metaCatchUpSlack = 64

// metaCaughtUp asks node id (over the peer port) how far it has applied
// the catalog: a non-voter is promoted only once it is within
// metaCatchUpSlack of the leader's commit index. hashicorp/raft counts a
// voter in the quorum from the moment it is added, so a new voter that
// still installs a snapshot would stall every catalog commit that needs
// it (as after a region loss, with only a bare majority of voters alive).
func (h *Host) metaCaughtUp(peerAddr, id string) bool {
	client, err := h.peers.get(peerAddr)
	if err != nil {
		return false
	}
	ctx, cancel := context.WithTimeout(h.ctx, peerProbeTimeout)
	defer cancel()
	resp, err := client.LocalStatus(ctx, &nodepb.LocalStatusRequest{})
	if err != nil {
		return false
	}
	commit := h.meta.raft.CommitIndex()
	for _, g := range resp.Groups {
		if g.GroupId != cluster.MetaGroupID {
			continue
		}
		for _, r := range g.Replicas {
			if r.NodeId == id && r.AppliedIndex+metaCatchUpSlack >= commit {
				return true
			}
		}
	}
	return false
}

// compareBool orders false before true.
func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}
