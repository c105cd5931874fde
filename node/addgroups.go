package node

import (
	"context"
	"fmt"
	"time"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/cluster"
	"github.com/boxoffice/boxoffice/node/crossshard"
	"github.com/boxoffice/boxoffice/node/nodepb"
)

// Limits of Cluster.AddGroups.
const (
	// addGroupsCountMax bounds the groups one call adds: each is a Raft
	// group on RF nodes, with its own log and elections.
	addGroupsCountMax = 64
	// dataGroupsMax bounds the data groups of a cluster: GroupID names
	// g000..g999, whose ids sort in creation order.
	dataGroupsMax = cluster.GroupIndexMax + 1
	// addGroupsAttempts bounds the layouts one call tries when other
	// AddGroups calls add groups at the same time.
	addGroupsAttempts = 5
)

// AddGroups lays out req.Count new data groups over the alive nodes that
// are not draining (cluster.MoreGroups: spread over localities, then on
// the nodes leading and holding fewest; with fewer such nodes than the
// replication factor, repairReplicas tops the groups up as nodes come)
// and records them in the catalog
// (ADD_GROUPS). The layout is made from this node's replica of the
// catalog; if another AddGroups applied first, ADD_GROUPS refuses it
// and it is made again. The answer names the groups the request created,
// read from the catalog (add_request_id), so a retry names the same ones.
func (c *clusterService) AddGroups(ctx context.Context, req *boxofficev1.AddGroupsRequest) (*boxofficev1.AddGroupsResponse, error) {
	h := c.host
	ctx, cancel := h.requestContext(ctx)
	defer cancel()
	ids, err := h.addGroups(ctx, req)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &boxofficev1.AddGroupsResponse{GroupIds: ids}, nil
}

func (h *Host) addGroups(ctx context.Context, req *boxofficev1.AddGroupsRequest) ([]string, error) {
	if err := checkID("request_id", req.RequestId, true); err != nil {
		return nil, err
	}
	if req.Count == 0 {
		return nil, invalid("count is required: 1..%d groups", addGroupsCountMax)
	}
	if req.Count > addGroupsCountMax {
		return nil, fmt.Errorf("%w: count %d: at most %d groups per call", ErrTooLarge, req.Count, addGroupsCountMax)
	}
	requestID := req.RequestId + "/groups"
	for attempt := 0; ; attempt++ {
		snap := h.catalog.Export()
		if len(snap.Groups) == 0 {
			return nil, ErrNotReady
		}
		// A retry of a request that applied is answered by the catalog
		// (dedup, which also refuses the id on another request).
		retry := len(groupsAddedBy(snap, requestID)) > 0
		if n := len(snap.Groups) + int(req.Count); n > dataGroupsMax && !retry {
			return nil, fmt.Errorf("%w: count %d: the cluster has %d data groups and holds at most %d",
				ErrTooLarge, req.Count, len(snap.Groups), dataGroupsMax)
		}
		nodes := map[string]cluster.Locality{}
		for _, n := range snap.Nodes {
			if !n.Draining && (n.NodeId == h.cfg.NodeID || h.membership.Alive(n.NodeId)) {
				nodes[n.NodeId] = cluster.LocalityFromProto(n.Locality)
			}
		}
		groups := cluster.MoreGroups(nodes, snap.Groups, int(req.Count), h.cfg.ReplicationFactor)
		if err := h.requireFeatureLevel(2); err != nil {
			return nil, err
		}
		res, err := h.catalogCommand(ctx, &nodepb.CatalogCommand{
			Type:               nodepb.CatalogCommandType_CATALOG_COMMAND_TYPE_ADD_GROUPS,
			RequestId:          requestID,
			Body:               &nodepb.CatalogCommand_AddGroups{AddGroups: &nodepb.AddGroups{Groups: groups}},
			RequestFingerprint: crossshard.RequestDigest(req),
		})
		if err != nil {
			return nil, err
		}
		switch res.Code {
		case nodepb.CatalogCode_CATALOG_CODE_OK:
			return h.waitGroupsAddedBy(ctx, requestID)
		case nodepb.CatalogCode_CATALOG_CODE_GROUPS_CHANGED:
			if attempt+1 < addGroupsAttempts {
				// Another AddGroups came first: lay out again once this
				// replica has seen its groups.
				if err := h.waitCatalogPast(ctx, snap.AppliedIndex); err != nil {
					return nil, err
				}
				continue
			}
			return nil, fmt.Errorf("%w: other AddGroups calls kept changing the groups; retry", ErrBusy)
		default:
			return nil, catalogRefusal(res)
		}
	}
}

// groupsAddedBy returns the ids of the groups ADD_GROUPS requestID
// created, in id order.
func groupsAddedBy(snap *nodepb.CatalogSnapshot, requestID string) []string {
	var ids []string
	for _, g := range snap.Groups {
		if g.AddRequestId == requestID {
			ids = append(ids, g.GroupId)
		}
	}
	return ids
}

// catalogPoll is how often a node looks at its catalog replica while it
// waits for it to apply a command the meta leader committed.
const catalogPoll = 10 * time.Millisecond

// waitGroupsAddedBy waits until this node's catalog replica holds the
// groups of ADD_GROUPS requestID, which the meta leader has applied.
func (h *Host) waitGroupsAddedBy(ctx context.Context, requestID string) ([]string, error) {
	for {
		if ids := groupsAddedBy(h.catalog.Export(), requestID); len(ids) > 0 {
			return ids, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(catalogPoll):
		}
	}
}

// waitCatalogPast waits until this node's catalog replica has applied an
// entry after index.
func (h *Host) waitCatalogPast(ctx context.Context, index uint64) error {
	for h.catalog.Export().AppliedIndex <= index {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(catalogPoll):
		}
	}
	return nil
}
