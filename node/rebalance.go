package node

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/raft"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/cluster"
	"github.com/boxoffice/boxoffice/node/nodepb"
)

// Replica moves, on the meta leader (rebalanceReplicas, called after
// repairReplicas on every reconcile pass). cluster.PlanRebalance decides;
// this file carries out each replica move in three steps, each a state
// in the catalog so that a new meta leader picks up where the last one
// stopped:
//
//  1. MOVE_REPLICA START appends the new node to the group's replicas and
//     records the move. The group's leader adds it as a voter
//     (reconcileMembers); the new replica catches up from a snapshot.
//  2. Once the new replica is a voter of the leader's configuration and
//     has applied to within moveCatchUpLagMax entries of the leader's
//     commit index, and the leaving node does not lead the group (a
//     leader that leaves hands over first: transferLeadership to the node
//     that will be preferred, then the move finishes at once),
//     MOVE_REPLICA FINISH puts the new node in the leaving one's place. The leader then removes the old replica
//     (reconcileMembers, only while a quorum of the rest answers:
//     removalKeepsQuorum) and the old node stops it (stopRemovedGroups).
//  3. A move whose new node is no longer alive is cancelled
//     (MOVE_REPLICA CANCEL): the group goes back to its replicas before.
//
// A group has at most one move in flight, and the cluster
// MovesInFlightMax; a group therefore never has more than one voter over
// its replication factor, and never fewer than it. Leader moves are
// SET_PREFERRED_LEADER: the rebalance loop of the group's leader then
// hands the leadership over. Leaderships are weighed by their groups'
// recent commands per second (groupLoads) and balanced only after a
// replica move ended on this meta leader (leadersDue), until balanced:
// an operator's TransferLeader, which makes its target the preferred
// leader, holds until replicas move again.

// moveCatchUpLagMax is how far, in entries, a new replica may still be
// behind the leader's commit index when its move finishes. The old replica
// leaves only then, so the group never counts on a voter that is still
// installing a snapshot.
const moveCatchUpLagMax = 256

// movesPlanMax bounds a dry run's simulated moves.
const movesPlanMax = 1000

// rebalanceOptions are the planner's limits on this node.
func (h *Host) rebalanceOptions() cluster.RebalanceOptions {
	return cluster.DefaultRebalanceOptions(h.cfg.ReplicationFactor)
}

// rebalanceInput is what the planner needs from the catalog and from this
// node's view of gossip.
// loads are the groups' commands per second (groupLoads; nil: none).
func (h *Host) rebalanceInput(snap *nodepb.CatalogSnapshot, loads map[string]float64) ([]cluster.RebalanceNode, []cluster.RebalanceGroup) {
	var nodes []cluster.RebalanceNode
	for _, n := range snap.Nodes {
		nodes = append(nodes, cluster.RebalanceNode{
			ID:              n.NodeId,
			Locality:        cluster.LocalityFromProto(n.Locality),
			Alive:           h.membership.Alive(n.NodeId) && h.memberProven(n.NodeId, n.PeerAddr, n.GrpcAddr),
			Draining:        n.Draining,
			Decommissioning: n.Decommissioning,
		})
	}
	moving := map[string]bool{}
	for _, m := range snap.Moves {
		moving[m.GroupId] = true
	}
	var groups []cluster.RebalanceGroup
	for _, g := range snap.Groups {
		groups = append(groups, cluster.RebalanceGroup{ID: g.GroupId, Replicas: g.Replicas, Moving: moving[g.GroupId],
			HomeRegion: g.HomeRegion, Load: loads[g.GroupId]})
	}
	return nodes, groups
}

// rebalanceReplicas runs on the meta leader: it advances the moves in
// flight, then starts the planner's next moves.
func (h *Host) rebalanceReplicas(ctx context.Context) error {
	if err := h.requireFeatureLevel(2); err != nil {
		return nil // MOVE_REPLICA waits until every node can apply it
	}
	var errs []error
	for _, m := range h.catalog.Export().Moves {
		if err := h.advanceMove(ctx, m); err != nil {
			errs = append(errs, fmt.Errorf("move of %s from %s to %s: %w", m.GroupId, m.RemoveNodeId, m.AddNodeId, err))
		}
	}
	snap := h.catalog.Export()
	opts := h.rebalanceOptions()
	opts.Leaders = h.leadersDue.Load()
	var loads map[string]float64
	if opts.Leaders {
		loads = h.groupLoads(ctx, snap)
	}
	nodes, groups := h.rebalanceInput(snap, loads)
	plan := cluster.PlanRebalance(nodes, groups, opts)
	if len(plan.Moves) == 0 && len(snap.Moves) == 0 {
		h.leadersDue.Store(false) // balanced: until a replica moves again
	}
	for _, m := range plan.Moves {
		if err := h.startMove(ctx, snap.AppliedIndex, m); err != nil {
			errs = append(errs, fmt.Errorf("%v: %w", m, err))
		}
	}
	h.metrics.movesInFlight.Set(float64(len(h.catalog.Moves())))
	return errors.Join(errs...)
}

// groupLoadsMaxAge is how long gathered command rates serve the planner
// before groupLoads asks every node again.
const groupLoadsMaxAge = 10 * time.Second

// groupLoads returns each data group's recent commands per second, for
// the planner to weigh leaderships by: the highest rate a replica
// reports (mergeCommandRate), or, when none answered, the last rate known
// (0 if none). It asks every node's LocalStatus at most every
// groupLoadsMaxAge, each within statusPeerContext's bound.
func (h *Host) groupLoads(ctx context.Context, snap *nodepb.CatalogSnapshot) map[string]float64 {
	if rates, at := h.lastSeen.knownRates(); !at.IsZero() && time.Since(at) < groupLoadsMaxAge {
		return rates
	}
	var mu sync.Mutex
	byGroup := map[string]*boxofficev1.GroupStatus{}
	merge := func(groups []*boxofficev1.GroupStatus) {
		mu.Lock()
		defer mu.Unlock()
		for _, g := range groups {
			acc := byGroup[g.GroupId]
			if acc == nil {
				acc = &boxofficev1.GroupStatus{GroupId: g.GroupId}
				byGroup[g.GroupId] = acc
			}
			mergeCommandRate(acc, g)
		}
	}
	merge(h.localGroupStatus(false))
	var wg sync.WaitGroup
	for _, n := range snap.Nodes {
		if n.NodeId == h.cfg.NodeID {
			continue
		}
		wg.Add(1)
		go func(n *nodepb.NodeRecord) {
			defer wg.Done()
			client, err := h.peers.get(n.PeerAddr)
			if err != nil {
				return
			}
			actx, cancel := statusPeerContext(ctx)
			defer cancel()
			if resp, err := client.LocalStatus(actx, &nodepb.LocalStatusRequest{}); err == nil {
				merge(resp.Groups)
			}
		}(n)
	}
	wg.Wait()
	rates := map[string]float64{}
	for id, g := range byGroup {
		if id != cluster.MetaGroupID {
			rates[id] = g.RecentCommandsPerSecond
		}
	}
	return h.lastSeen.rememberRates(rates, time.Now())
}

// startMove proposes one planned move. Its request id names the catalog
// state it was planned from, so a retry applies once.
func (h *Host) startMove(ctx context.Context, plannedAt uint64, m cluster.Move) error {
	requestID := "rebalance/" + strconv.FormatUint(plannedAt, 10) + "/" + m.Group
	cmd := &nodepb.CatalogCommand{RequestId: requestID}
	kind := "replica"
	if m.IsLeader() {
		kind = "leader"
		cmd.Type = nodepb.CatalogCommandType_CATALOG_COMMAND_TYPE_SET_PREFERRED_LEADER
		cmd.Body = &nodepb.CatalogCommand_SetPreferredLeader{SetPreferredLeader: &nodepb.SetPreferredLeader{GroupId: m.Group, NodeId: m.Lead}}
	} else {
		cmd.Type = nodepb.CatalogCommandType_CATALOG_COMMAND_TYPE_MOVE_REPLICA
		cmd.Body = &nodepb.CatalogCommand_MoveReplica{MoveReplica: &nodepb.MoveReplica{Phase: nodepb.MovePhase_MOVE_PHASE_START,
			Move: &nodepb.ReplicaMove{GroupId: m.Group, AddNodeId: m.Add, RemoveNodeId: m.Remove, Reason: m.Reason}}}
	}
	cmd.NowUnixMs = h.now().UnixMilli()
	res, err := h.catalogCommand(ctx, cmd)
	if err == nil {
		err = catalogRefusal(res)
	}
	if err != nil {
		h.metrics.moves.WithLabelValues(kind, "refused").Inc()
		return err
	}
	h.metrics.moves.WithLabelValues(kind, "started").Inc()
	h.logger.Info("rebalance: move started", "group", m.Group, "kind", kind, "add", m.Add, "remove", m.Remove,
		"lead", m.Lead, "reason", m.Reason)
	return nil
}

// advanceMove finishes or cancels a move in flight when it can, and
// otherwise leaves it for a later pass.
func (h *Host) advanceMove(ctx context.Context, m *nodepb.ReplicaMove) error {
	add := h.catalog.Node(m.AddNodeId)
	if add == nil || add.Decommissioning || !h.membership.Alive(m.AddNodeId) {
		return h.endMove(ctx, m, nodepb.MovePhase_MOVE_PHASE_CANCEL, "the new replica's node is gone or leaving")
	}
	rec := h.catalog.Group(m.GroupId)
	if rec == nil {
		return nil
	}
	joined, err := h.peerGroupStatus(ctx, add, m.GroupId)
	if err != nil || joined == nil || joined.LeaderNodeId == "" {
		return err // not started yet, or no leader: later
	}
	leaderRec := h.catalog.Node(joined.LeaderNodeId)
	if leaderRec == nil {
		return nil
	}
	leading, err := h.peerGroupStatus(ctx, leaderRec, m.GroupId)
	if err != nil || leading == nil || len(leading.Replicas) == 0 || len(joined.Replicas) == 0 {
		return err
	}
	newReplica, leader := joined.Replicas[0], leading.Replicas[0]
	if leader.RaftState != raft.Leader.String() || !newReplica.Voter || !slices.Contains(leading.Configuration, m.AddNodeId) ||
		newReplica.AppliedIndex+moveCatchUpLagMax < leader.CommitIndex {
		return nil // still catching up
	}
	if joined.LeaderNodeId == m.RemoveNodeId {
		// The leaving node leads: hand over to the node that will be
		// preferred once it is gone, then finish at once, before the
		// group's rebalance loop can hand the leadership back to the
		// leaving node (still the preferred leader until FINISH).
		after := cluster.ApplyMove(rec.Replicas, cluster.Move{Add: m.AddNodeId, Remove: m.RemoveNodeId})
		target := h.preferredLeader(&nodepb.GroupRecord{Replicas: after})
		if target == "" || target == m.RemoveNodeId {
			return nil
		}
		_, err := onLeader(ctx, h, m.GroupId, "transfer-leader",
			func(g *group) (struct{}, error) { return struct{}{}, h.transferLeadership(g, target) },
			func(ctx context.Context, peer nodepb.PeerClient) (struct{}, bool, string, error) {
				resp, err := peer.TransferLeadership(ctx, &nodepb.TransferLeadershipRequest{GroupId: m.GroupId, NodeId: target})
				return struct{}{}, resp.GetNotLeader(), resp.GetLeaderNodeId(), err
			})
		if err != nil {
			return err
		}
	}
	return h.endMove(ctx, m, nodepb.MovePhase_MOVE_PHASE_FINISH, "the new replica caught up")
}

func (h *Host) endMove(ctx context.Context, m *nodepb.ReplicaMove, phase nodepb.MovePhase, why string) error {
	res, err := h.catalogCommand(ctx, &nodepb.CatalogCommand{
		Type:      nodepb.CatalogCommandType_CATALOG_COMMAND_TYPE_MOVE_REPLICA,
		RequestId: fmt.Sprintf("rebalance/%s/%s/%s/%d/%v", m.GroupId, m.RemoveNodeId, m.AddNodeId, m.StartedAtUnixMs, phase),
		NowUnixMs: h.now().UnixMilli(),
		Body:      &nodepb.CatalogCommand_MoveReplica{MoveReplica: &nodepb.MoveReplica{Phase: phase, Move: m}},
	})
	if err == nil && res.GetCode() != nodepb.CatalogCode_CATALOG_CODE_NOT_FOUND {
		err = catalogRefusal(res)
	}
	if err != nil {
		return err
	}
	outcome := "finished"
	if phase == nodepb.MovePhase_MOVE_PHASE_CANCEL {
		outcome = "cancelled"
	}
	h.leadersDue.Store(true)
	h.metrics.moves.WithLabelValues("replica", outcome).Inc()
	h.logger.Info("rebalance: move "+outcome, "group", m.GroupId, "add", m.AddNodeId, "remove", m.RemoveNodeId, "why", why)
	return nil
}

// peerGroupStatus asks node n for its replica of groupID (nil when it has
// none).
func (h *Host) peerGroupStatus(ctx context.Context, n *nodepb.NodeRecord, groupID string) (*boxofficev1.GroupStatus, error) {
	var groups []*boxofficev1.GroupStatus
	if n.NodeId == h.cfg.NodeID {
		groups = h.localGroupStatus(false)
	} else {
		client, err := h.peers.get(n.PeerAddr)
		if err != nil {
			return nil, err
		}
		actx, cancel := attemptContext(ctx)
		resp, err := client.LocalStatus(actx, &nodepb.LocalStatusRequest{})
		cancel()
		if err != nil {
			return nil, err
		}
		groups = resp.Groups
	}
	for _, g := range groups {
		if g.GroupId == groupID {
			return g, nil
		}
	}
	return nil, nil
}

// PlanRebalance implements boxoffice.v1.Cluster.
func (c *clusterService) PlanRebalance(ctx context.Context, _ *boxofficev1.PlanRebalanceRequest) (*boxofficev1.PlanRebalanceResponse, error) {
	h := c.host
	snap := h.catalog.Export()
	nodes, groups := h.rebalanceInput(snap, h.groupLoads(ctx, snap))
	resp := &boxofficev1.PlanRebalanceResponse{}
	for _, m := range snap.Moves {
		resp.InFlight = append(resp.InFlight, &boxofficev1.RebalanceMove{GroupId: m.GroupId, Kind: "replica",
			FromNodeId: m.RemoveNodeId, ToNodeId: m.AddNodeId, Reason: m.Reason})
		// Plan from the state after the moves in flight.
		for i := range groups {
			if groups[i].ID == m.GroupId {
				groups[i].Replicas = cluster.ApplyMove(groups[i].Replicas, cluster.Move{Add: m.AddNodeId, Remove: m.RemoveNodeId})
			}
		}
	}
	opts := h.rebalanceOptions()
	opts.Leaders = len(snap.Moves) > 0 || h.leadersDue.Load()
	plan := cluster.SimulateRebalance(nodes, groups, opts, movesPlanMax)
	replicas := map[string][]string{} // as the simulated moves leave them
	for _, g := range groups {
		replicas[g.ID] = g.Replicas
	}
	for _, m := range plan.Moves {
		out := &boxofficev1.RebalanceMove{GroupId: m.Group, Kind: "replica", FromNodeId: m.Remove, ToNodeId: m.Add, Reason: m.Reason}
		if m.IsLeader() {
			out.Kind, out.FromNodeId, out.ToNodeId = "leader", preferredOf(nodes, replicas[m.Group]), m.Lead
		}
		replicas[m.Group] = cluster.ApplyMove(replicas[m.Group], m)
		resp.Moves = append(resp.Moves, out)
	}
	resp.Blocked = plan.Blocked
	return resp, nil
}

// preferredOf is the first of replicas that is neither draining nor
// decommissioning.
func preferredOf(nodes []cluster.RebalanceNode, replicas []string) string {
	for _, r := range replicas {
		i := slices.IndexFunc(nodes, func(n cluster.RebalanceNode) bool { return n.ID == r })
		if i >= 0 && !nodes[i].Draining && !nodes[i].Decommissioning {
			return r
		}
	}
	return ""
}
