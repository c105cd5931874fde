package node

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/raft"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/cluster"
	"github.com/boxoffice/boxoffice/node/nodepb"
)

// Leadership operations for operators. Both are states in the catalog,
// not actions that a crashed caller leaves half done:
//
//   - Drain marks a node draining; every node's rebalancer (rebalanceLoop)
//     then hands the leaderships it holds away from draining nodes and
//     never towards them. The mark stays until Drain(drained=false), so a
//     node restarted while drained comes back without leaderships.
//   - TransferLeader makes the target the group's preferred leader in the
//     catalog (so the rebalancer keeps it there) and then asks the group's
//     leader to hand over now.
//
// Both need the rebalancer: with Config.RebalanceInterval negative, a
// drained node keeps its leaderships until it stops.

// TransferLeader implements boxoffice.v1.Cluster.
func (c *clusterService) TransferLeader(ctx context.Context, req *boxofficev1.TransferLeaderRequest) (*boxofficev1.TransferLeaderResponse, error) {
	h := c.host
	ctx, cancel := h.requestContext(ctx)
	defer cancel()
	if err := h.checkTransfer(req.GroupId, req.NodeId); err != nil {
		return nil, toStatus(ctx, err)
	}
	if req.GroupId != cluster.MetaGroupID {
		res, err := h.catalogCommand(ctx, &nodepb.CatalogCommand{
			Type: nodepb.CatalogCommandType_CATALOG_COMMAND_TYPE_SET_PREFERRED_LEADER,
			Body: &nodepb.CatalogCommand_SetPreferredLeader{SetPreferredLeader: &nodepb.SetPreferredLeader{
				GroupId: req.GroupId, NodeId: req.NodeId}},
		})
		if err == nil {
			err = catalogRefusal(res)
		}
		if err != nil {
			return nil, toStatus(ctx, err)
		}
	}
	_, err := onLeader(ctx, h, req.GroupId, "transfer-leader",
		func(g *group) (struct{}, error) { return struct{}{}, h.transferLeadership(g, req.NodeId) },
		func(ctx context.Context, peer nodepb.PeerClient) (struct{}, bool, string, error) {
			resp, err := peer.TransferLeadership(ctx, &nodepb.TransferLeadershipRequest{GroupId: req.GroupId, NodeId: req.NodeId})
			return struct{}{}, resp.GetNotLeader(), resp.GetLeaderNodeId(), err
		})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &boxofficev1.TransferLeaderResponse{}, nil
}

// checkTransfer refuses, before anything changes, a transfer of an unknown
// group, to an unknown or draining node, or to a node that the catalog
// does not list as a replica of the group.
func (h *Host) checkTransfer(groupID, nodeID string) error {
	if groupID == "" {
		return invalid("group_id is required")
	}
	if nodeID == "" {
		return invalid("node_id is required")
	}
	var rec *nodepb.GroupRecord
	if groupID != cluster.MetaGroupID {
		if rec = h.catalog.Group(groupID); rec == nil {
			return fmt.Errorf("%w: group %q (group_id) is not a group of the cluster; groups: meta, %s",
				ErrNotFound, groupID, strings.Join(h.catalog.GroupIDs(), ", "))
		}
	}
	n := h.catalog.Node(nodeID)
	if n == nil {
		return fmt.Errorf("%w: node %q (node_id) is not registered", ErrNotFound, nodeID)
	}
	if n.Draining {
		return fmt.Errorf("%w: node %q (node_id) is draining; undrain it first", ErrNodeDraining, nodeID)
	}
	if rec != nil && !slices.Contains(rec.Replicas, nodeID) {
		return invalid("node %q (node_id) is not a replica of group %q (replicas: %s)",
			nodeID, groupID, strings.Join(rec.Replicas, ", "))
	}
	return nil
}

// transferLeadership hands leadership of g, which this node leads, to
// nodeID, a voter of g; it returns once Raft has made the transfer.
func (h *Host) transferLeadership(g *group, nodeID string) error {
	if g.raft.State() != raft.Leader {
		return errNotLeader
	}
	if nodeID == h.cfg.NodeID {
		return nil // already leads
	}
	f := g.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return leadershipError(err)
	}
	voter := false
	for _, s := range f.Configuration().Servers {
		voter = voter || (string(s.ID) == nodeID && s.Suffrage == raft.Voter)
	}
	if !voter {
		return invalid("node %q (node_id) is not a voter of group %q", nodeID, g.id)
	}
	n := h.catalog.Node(nodeID)
	if n == nil {
		return fmt.Errorf("%w: node %q (node_id) is not registered", ErrNotFound, nodeID)
	}
	err := g.raft.LeadershipTransferToServer(raft.ServerID(nodeID), raft.ServerAddress(n.PeerAddr)).Error()
	h.logger.Info("leadership transferred by operator", "group", g.id, "to", nodeID, "error", err)
	return leadershipError(err)
}

// Drain implements boxoffice.v1.Cluster.
func (c *clusterService) Drain(ctx context.Context, req *boxofficev1.DrainRequest) (*boxofficev1.DrainResponse, error) {
	h := c.host
	ctx, cancel := h.requestContext(ctx)
	defer cancel()
	if req.NodeId == "" {
		return nil, toStatus(ctx, invalid("node_id is required"))
	}
	res, err := h.catalogCommand(ctx, &nodepb.CatalogCommand{
		Type: nodepb.CatalogCommandType_CATALOG_COMMAND_TYPE_SET_NODE_DRAINING,
		Body: &nodepb.CatalogCommand_SetNodeDraining{SetNodeDraining: &nodepb.SetNodeDraining{
			NodeId: req.NodeId, Draining: req.Drained}},
	})
	if err == nil {
		err = catalogRefusal(res)
	}
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	h.logger.Info("node drain mark set", "peer", req.NodeId, "draining", req.Drained)
	return &boxofficev1.DrainResponse{}, nil
}

// TransferLeadership implements nodepb.Peer: the forwarded half of
// Cluster.TransferLeader, on the group's leader.
func (p *peerService) TransferLeadership(ctx context.Context, req *nodepb.TransferLeadershipRequest) (*nodepb.TransferLeadershipResponse, error) {
	g := p.host.groupByID(req.GroupId)
	if g == nil {
		return &nodepb.TransferLeadershipResponse{NotLeader: true}, nil
	}
	err := p.host.transferLeadership(g, req.NodeId)
	if errors.Is(err, errNotLeader) {
		_, id := g.leader()
		return &nodepb.TransferLeadershipResponse{NotLeader: true, LeaderNodeId: id}, nil
	}
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &nodepb.TransferLeadershipResponse{}, nil
}
