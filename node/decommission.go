package node

import (
	"context"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/node/nodepb"
)

// Decommission is a mark in the catalog, like Drain, not an action a
// crashed caller leaves half done: the meta leader's rebalancer
// (rebalance.go) moves the node's replicas away while the mark is on, and
// `ctl decommission` removes the node (RemoveNode) once it holds none. The
// catalog refuses a mark whose replicas could not all move
// (SET_NODE_DECOMMISSIONING), so the check and the mark are one step.

// Decommission implements boxoffice.v1.Cluster.
func (c *clusterService) Decommission(ctx context.Context, req *boxofficev1.DecommissionRequest) (*boxofficev1.DecommissionResponse, error) {
	h := c.host
	ctx, cancel := h.requestContext(ctx)
	defer cancel()
	if err := checkID("node_id", req.NodeId, true); err != nil {
		return nil, toStatus(ctx, err)
	}
	if err := h.requireFeatureLevel(2); err != nil {
		return nil, toStatus(ctx, err)
	}
	res, err := h.catalogCommand(ctx, &nodepb.CatalogCommand{
		Type:      nodepb.CatalogCommandType_CATALOG_COMMAND_TYPE_SET_NODE_DECOMMISSIONING,
		NowUnixMs: h.now().UnixMilli(),
		Body: &nodepb.CatalogCommand_SetNodeDecommissioning{SetNodeDecommissioning: &nodepb.SetNodeDecommissioning{
			NodeId: req.NodeId, Decommissioning: !req.Recommission, ReplicationFactor: uint32(h.cfg.ReplicationFactor)}},
	})
	if err == nil {
		err = catalogRefusal(res)
	}
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	h.logger.Info("node decommission mark set", "peer", req.NodeId, "decommissioning", !req.Recommission)
	return &boxofficev1.DecommissionResponse{}, nil
}
