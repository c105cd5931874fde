package node

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/raft"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/api/codec"
	"github.com/boxoffice/boxoffice/cluster"
	"github.com/boxoffice/boxoffice/node/nodepb"
)

// Membership changes are driven by the catalog. The catalog says which
// nodes replicate each group; Raft configurations follow it:
//
//   - RemoveNode deletes a node from the catalog; every group leader then
//     removes it from its Raft configuration, and the node, if still up,
//     stops its replicas.
//   - The meta leader tops up groups that have fewer replicas than the
//     replication factor with alive nodes, those that spread the group over
//     the most localities first, then those holding the fewest replicas.
//   - The meta leader moves replicas from node to node (rebalance.go): a
//     node that joins receives some, a decommissioning node loses all.
//   - Each group leader adds catalog replicas missing from its
//     configuration (AddVoter: the new replica catches up from a snapshot)
//     and removes servers the catalog no longer lists, but only while a
//     quorum of the voters that would remain answer it (removalKeepsQuorum):
//     otherwise the removal waits, and RemoveNode answers UNAVAILABLE.
//
// A node added back after losing its disk is a new replica: RemoveNode also
// clears it from the groups' initial replicas, so it never bootstraps.

// membershipChangeTimeout bounds one Raft configuration change.
const membershipChangeTimeout = 10 * time.Second

// peerProbeTimeout bounds the question a leader asks each remaining voter
// before it removes a server (see removalKeepsQuorum).
const peerProbeTimeout = time.Second

// errRemovalWouldLoseQuorum: a leader defers removing a voter while the
// voters that would remain cannot form a quorum among those that answer.
var errRemovalWouldLoseQuorum = errors.New("removal deferred: the remaining voters would have no reachable quorum")

func (c *clusterService) RemoveNode(ctx context.Context, req *boxofficev1.RemoveNodeRequest) (*boxofficev1.RemoveNodeResponse, error) {
	h := c.host
	if req.NodeId == "" {
		return nil, toStatus(ctx, invalid("node_id is required"))
	}
	ctx, cancel := h.requestContext(ctx)
	defer cancel()
	res, err := h.catalogCommand(ctx, &nodepb.CatalogCommand{
		Type: nodepb.CatalogCommandType_CATALOG_COMMAND_TYPE_REMOVE_NODE,
		Body: &nodepb.CatalogCommand_RemoveNode{RemoveNode: &nodepb.RemoveNode{NodeId: req.NodeId}},
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	if res.Code != nodepb.CatalogCode_CATALOG_CODE_OK && res.Code != nodepb.CatalogCode_CATALOG_CODE_NOT_FOUND {
		return nil, status.Error(codes.Internal, res.Message)
	}
	// The catalog no longer lists the node; the group leaders now take it
	// out of their Raft configurations (reconcileMembers, reconcileMeta).
	// Answer only once every group's leader has done so: a caller may wipe
	// the node's disk after a successful RemoveNode, and a wiped node that
	// is still a voter would vote with an empty log and let a leader be
	// elected without entries it had acknowledged (jepsen, seed 4242).
	if err := c.waitOutOfConfigurations(ctx, req.NodeId); err != nil {
		return nil, err
	}
	if res.Code == nodepb.CatalogCode_CATALOG_CODE_NOT_FOUND {
		return nil, toStatus(ctx, fmt.Errorf("%w: node %q (node_id) is not registered", ErrNotFound, req.NodeId))
	}
	return &boxofficev1.RemoveNodeResponse{}, nil
}

// waitOutOfConfigurations waits until every group's leader reports a Raft
// configuration without nodeID. On the request's deadline it answers
// UNAVAILABLE naming the groups still waiting: the removal goes on, the
// call may be repeated, and the node's disk must not be wiped yet.
func (c *clusterService) waitOutOfConfigurations(ctx context.Context, nodeID string) error {
	pending := []string{"every group (no status yet)"}
	unavailable := func() error {
		return status.Errorf(codes.Unavailable,
			"node %q is removed from the catalog but still in the Raft configuration of %s; do not wipe its data until RemoveNode succeeds (retry it)",
			nodeID, strings.Join(pending, ", "))
	}
	for {
		st, err := c.Status(ctx, &boxofficev1.StatusRequest{})
		if ctx.Err() != nil {
			// The deadline cut this look short (its peers then show as
			// unreachable and every group as leaderless): answer with the
			// last complete look.
			return unavailable()
		}
		var now []string
		if err != nil {
			now = append(now, "status: "+err.Error())
		}
		for _, g := range st.GetGroups() {
			switch {
			case len(g.Configuration) == 0:
				now = append(now, g.GroupId+" (no leader answered)")
			case slices.Contains(g.Configuration, nodeID):
				now = append(now, g.GroupId)
			}
		}
		if len(now) == 0 {
			return nil
		}
		pending = now
		select {
		case <-ctx.Done():
			return unavailable()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// repairReplicas runs on the meta leader: groups short of replicas get an
// alive node that is not decommissioning, the one that spreads the group
// over the most localities, then holds the fewest replicas
// (cluster.PickReplica), one change per group per round. Then the
// rebalancer moves replicas between nodes (rebalanceReplicas).
func (h *Host) repairReplicas(ctx context.Context, snap *nodepb.CatalogSnapshot) error {
	load := map[string]int{}
	localities := map[string]cluster.Locality{}
	for _, n := range snap.Nodes {
		localities[n.NodeId] = cluster.LocalityFromProto(n.Locality)
		if !n.Decommissioning && h.membership.Alive(n.NodeId) && h.memberProven(n.NodeId, n.PeerAddr, n.GrpcAddr) {
			load[n.NodeId] = 0
		}
	}
	for _, g := range snap.Groups {
		for _, r := range g.Replicas {
			if _, ok := load[r]; ok {
				load[r]++
			}
		}
	}
	var errs []error
	for _, g := range snap.Groups {
		if len(g.Replicas) >= h.cfg.ReplicationFactor {
			continue
		}
		best := cluster.PickReplica(localities, g.Replicas, load)
		if best == "" {
			continue
		}
		replicas := append(slices.Clone(g.Replicas), best)
		if _, err := h.catalogCommand(ctx, &nodepb.CatalogCommand{
			Type: nodepb.CatalogCommandType_CATALOG_COMMAND_TYPE_SET_REPLICAS,
			Body: &nodepb.CatalogCommand_SetReplicas{SetReplicas: &nodepb.SetReplicas{GroupId: g.GroupId, Replicas: replicas}},
		}); err != nil {
			errs = append(errs, err)
			continue
		}
		load[best]++
		h.logger.Info("group short of replicas: added one", "group", g.GroupId, "peer", best, "replicas", replicas)
	}
	if err := h.rebalanceReplicas(ctx); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// reconcileMembers runs on every node for the groups it leads: it makes the
// Raft configuration match the catalog.
func (h *Host) reconcileMembers(snap *nodepb.CatalogSnapshot) error {
	nodes := map[string]*nodepb.NodeRecord{}
	for _, n := range snap.Nodes {
		nodes[n.NodeId] = n
	}
	var errs []error
	probe := newPeerProbe(h)
	for _, rec := range snap.Groups {
		g := h.group(rec.GroupId)
		if g == nil || g.raft.State() != raft.Leader {
			continue
		}
		cf := g.raft.GetConfiguration()
		if err := cf.Error(); err != nil {
			continue
		}
		current := map[string]bool{}
		for _, s := range cf.Configuration().Servers {
			current[string(s.ID)] = true
		}
		for _, id := range rec.Replicas {
			n := nodes[id]
			if current[id] || n == nil || !h.membership.Alive(id) || !h.memberProven(id, n.PeerAddr, n.GrpcAddr) {
				continue
			}
			if err := g.raft.AddVoter(raft.ServerID(id), raft.ServerAddress(n.PeerAddr), 0, membershipChangeTimeout).Error(); err != nil {
				errs = append(errs, fmt.Errorf("group %s: add %s: %w", g.id, id, err))
				continue
			}
			h.logger.Info("replica added", "group", g.id, "peer", id)
		}
		for id := range current {
			if slices.Contains(rec.Replicas, id) || id == h.cfg.NodeID {
				continue
			}
			if err := h.removalKeepsQuorum(g.id, cf.Configuration(), id, probe); err != nil {
				errs = append(errs, fmt.Errorf("group %s: remove %s: %w", g.id, id, err))
				continue
			}
			if err := g.raft.RemoveServer(raft.ServerID(id), 0, membershipChangeTimeout).Error(); err != nil {
				errs = append(errs, fmt.Errorf("group %s: remove %s: %w", g.id, id, err))
				continue
			}
			h.logger.Info("replica removed", "group", g.id, "peer", id)
		}
		if !slices.Contains(rec.Replicas, h.cfg.NodeID) && len(rec.Replicas) > 0 {
			// This node leads a group it should leave: hand over first.
			_ = g.raft.LeadershipTransfer().Error()
		}
	}
	return errors.Join(errs...)
}

// removalKeepsQuorum, asked by a group's leader before it removes server
// id from the group's configuration, refuses (errRemovalWouldLoseQuorum)
// unless a quorum of the voters that would remain answer now on the peer
// port and run the group. hashicorp/raft uses a configuration from the
// moment it is appended, so removing a voter of a three-replica group while
// another voter is cut off leaves a two-voter group that needs the cut-off
// one: no entry commits and no leader can be elected until it is back,
// though the replicas that are still connected (the removed one included)
// could have gone on. Deferring keeps the group available; the removal
// happens on a later pass once the remaining voters answer, and RemoveNode
// answers UNAVAILABLE until then (jepsen seed 4242: RemoveNode during the
// isolation of a third node left every group, the catalog included, without
// a leader until the isolation ended). Only the timing of a removal
// changes, never whether RemoveNode may answer OK. Removing a non-voter
// never changes a quorum and is not checked. etcd's --strict-reconfig-check
// refuses a member removal on the same grounds.
func (h *Host) removalKeepsQuorum(groupID string, cf raft.Configuration, id string, probe *peerProbe) error {
	voters, answering := 0, 0
	var silent []string
	for _, s := range cf.Servers {
		if s.Suffrage != raft.Voter {
			if string(s.ID) == id {
				return nil
			}
			continue
		}
		if string(s.ID) == id {
			continue
		}
		voters++
		if string(s.ID) == h.cfg.NodeID || probe.runsGroup(string(s.Address), groupID) {
			answering++
		} else {
			silent = append(silent, string(s.ID))
		}
	}
	if voters > 0 && answering < voters/2+1 {
		return fmt.Errorf("%w (%d of %d answer; silent: %s)", errRemovalWouldLoseQuorum, answering, voters, strings.Join(silent, ", "))
	}
	return nil
}

// peerProbe asks nodes over the peer port which groups they run, each node
// at most once per reconcile pass, so that a pass over many groups costs
// one round trip (or one peerProbeTimeout) per node.
type peerProbe struct {
	h *Host
	// answers: peer address → the groups it runs, each with its replica's
	// applied index; nil: no answer.
	answers map[string]map[string]uint64
}

func newPeerProbe(h *Host) *peerProbe {
	return &peerProbe{h: h, answers: map[string]map[string]uint64{}}
}

// runsGroup reports whether the node at peerAddr answered and runs groupID.
func (p *peerProbe) runsGroup(peerAddr, groupID string) bool {
	_, ok := p.applied(peerAddr, groupID)
	return ok
}

// applied returns the applied index of the node at peerAddr in groupID,
// and false when it did not answer or does not run the group.
func (p *peerProbe) applied(peerAddr, groupID string) (uint64, bool) {
	groups, asked := p.answers[peerAddr]
	if !asked {
		groups = p.ask(peerAddr)
		p.answers[peerAddr] = groups
	}
	index, ok := groups[groupID]
	return index, ok
}

// ask uses a connection of its own rather than the shared peer client: after
// a partition heals, the shared connection to a node that was cut off can
// be waiting out gRPC's reconnect backoff for seconds more, while Raft
// (which dials afresh) already reaches it, and the removal would wait that
// long for nothing.
func (p *peerProbe) ask(peerAddr string) map[string]uint64 {
	conn, err := grpc.NewClient("passthrough:///"+peerAddr,
		grpc.WithTransportCredentials(insecure.NewCredentials()), // the dialer does TLS (see peerClients.get)
		grpc.WithContextDialer(func(ctx context.Context, addr string) (net.Conn, error) {
			return p.h.dialer.dial(ctx, addr, []byte{connKindPeer})
		}),
		grpc.WithDefaultCallOptions(grpc.ForceCodecV2(codec.Server())))
	if err != nil {
		return nil
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(p.h.ctx, peerProbeTimeout)
	defer cancel()
	resp, err := nodepb.NewPeerClient(conn).LocalStatus(ctx, &nodepb.LocalStatusRequest{}, grpc.WaitForReady(true))
	if err != nil {
		return nil
	}
	groups := map[string]uint64{}
	for _, g := range resp.Groups {
		for _, r := range g.Replicas {
			if r.NodeId == resp.NodeId {
				groups[g.GroupId] = r.AppliedIndex
			}
		}
		if _, ok := groups[g.GroupId]; !ok {
			groups[g.GroupId] = 0
		}
	}
	return groups
}

// reconcileMeta runs on the meta leader: registered nodes follow the
// catalog as non-voters, unregistered servers go, and the voters are
// spread over regions (reconcileMetaVoters, node/metavoters.go).
func (h *Host) reconcileMeta(snap *nodepb.CatalogSnapshot) error {
	cf := h.meta.raft.GetConfiguration()
	if err := cf.Error(); err != nil {
		return err
	}
	registered := map[string]*nodepb.NodeRecord{}
	for _, n := range snap.Nodes {
		registered[n.NodeId] = n
	}
	inConfig := map[string]raft.ServerSuffrage{}
	for _, s := range cf.Configuration().Servers {
		inConfig[string(s.ID)] = s.Suffrage
	}
	if h.catalog.Removed(h.cfg.NodeID, h.incarnation) {
		// This node was removed while leading the catalog: hand over; the
		// next leader takes it out of the configuration.
		return h.meta.raft.LeadershipTransfer().Error()
	}
	var errs []error
	probe := newPeerProbe(h)
	for id := range inConfig {
		if registered[id] == nil && id != h.cfg.NodeID && len(snap.Nodes) > 0 {
			if err := h.removalKeepsQuorum(h.meta.id, cf.Configuration(), id, probe); err != nil {
				errs = append(errs, fmt.Errorf("meta: remove %s: %w", id, err))
				continue
			}
			if err := h.meta.raft.RemoveServer(raft.ServerID(id), 0, membershipChangeTimeout).Error(); err != nil {
				errs = append(errs, err)
			}
		}
	}
	for _, id := range sortedKeys(registered) {
		if !h.membership.Alive(id) || !h.memberProven(id, registered[id].PeerAddr, registered[id].GrpcAddr) {
			continue
		}
		if _, present := inConfig[id]; !present {
			addr := raft.ServerAddress(registered[id].PeerAddr)
			if err := h.meta.raft.AddNonvoter(raft.ServerID(id), addr, 0, membershipChangeTimeout).Error(); err != nil {
				errs = append(errs, err)
			}
		}
	}
	errs = append(errs, h.reconcileMetaVoters(snap, probe))
	return errors.Join(errs...)
}

// stopRemovedGroups stops local replicas of groups the catalog no longer
// assigns to this node, and deletes their data.
func (h *Host) stopRemovedGroups(snap *nodepb.CatalogSnapshot) {
	assigned := map[string]bool{}
	for _, g := range snap.Groups {
		if slices.Contains(g.Replicas, h.cfg.NodeID) {
			assigned[g.GroupId] = true
		}
	}
	if len(snap.Groups) == 0 {
		return
	}
	for _, g := range h.groupList() {
		if g.store == nil || assigned[g.id] {
			continue
		}
		h.mu.Lock()
		delete(h.groups, g.id)
		h.mu.Unlock()
		_ = g.shutdown()
		_ = h.logDB.DeleteGroup(g.id)
		_ = os.RemoveAll(filepath.Join(h.cfg.DataDir, "snapshots", g.id))
		h.logger.Info("replica stopped: this node is no longer assigned to the group", "group", g.id)
	}
}
