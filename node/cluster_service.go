package node

import (
	"context"
	"encoding/hex"
	"maps"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/raft"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/cluster"
	"github.com/boxoffice/boxoffice/node/nodepb"
)

// clusterService implements boxoffice.v1.Cluster.
type clusterService struct {
	boxofficev1.UnimplementedClusterServer
	host *Host
}

func (c *clusterService) Status(ctx context.Context, req *boxofficev1.StatusRequest) (*boxofficev1.StatusResponse, error) {
	h := c.host
	resp := &boxofficev1.StatusResponse{NodeId: h.cfg.NodeID, Nodes: h.nodeInfos(), Plaintext: h.cfg.TLS == nil}
	level, mixed := clusterFeatureLevel(h.announcedNodes())
	resp.ClusterFeatureLevel, resp.MixedVersions = uint32(level), mixed
	local := h.localGroupStatus(req.IncludeStateHashes)
	if req.LocalOnly {
		resp.Groups = local
		return resp, nil
	}
	// Ask every other node for its replicas' state, in parallel, and merge
	// per group; unreachable nodes show as such.
	byGroup := map[string]*boxofficev1.GroupStatus{}
	merge := func(groups []*boxofficev1.GroupStatus) {
		for _, g := range groups {
			acc := byGroup[g.GroupId]
			if acc == nil {
				acc = &boxofficev1.GroupStatus{GroupId: g.GroupId, Shards: g.Shards}
				byGroup[g.GroupId] = acc
			}
			if g.LeaderNodeId != "" {
				acc.LeaderNodeId = g.LeaderNodeId
			}
			if len(g.Configuration) > 0 {
				acc.Configuration = g.Configuration // only a leader reports it
			}
			mergeCommandRate(acc, g)
			acc.Replicas = append(acc.Replicas, g.Replicas...)
		}
	}
	merge(local)
	var mu sync.Mutex
	var wg sync.WaitGroup
	snap := h.catalog.Export()
	metaMembers := h.metaMembers()
	for _, n := range snap.Nodes {
		if n.NodeId == h.cfg.NodeID {
			continue
		}
		wg.Add(1)
		go func(n *nodepb.NodeRecord) {
			defer wg.Done()
			var groups []*boxofficev1.GroupStatus
			client, err := h.peers.get(n.PeerAddr)
			if err == nil {
				actx, cancel := statusPeerContext(ctx)
				var r *nodepb.LocalStatusResponse
				r, err = client.LocalStatus(actx, &nodepb.LocalStatusRequest{IncludeStateHashes: req.IncludeStateHashes})
				cancel()
				if err == nil {
					groups = r.Groups
					h.lastSeen.record(groups, time.Now())
				}
			}
			if err != nil {
				markDown := func(groupID string) {
					down := &boxofficev1.ReplicaStatus{NodeId: n.NodeId, RaftState: replicaUnreachable}
					h.lastSeen.fill(groupID, down)
					groups = append(groups, &boxofficev1.GroupStatus{GroupId: groupID, Replicas: []*boxofficev1.ReplicaStatus{down}})
				}
				// The catalog lists data groups' replicas; the meta group's
				// are in its Raft configuration, as this node last knew it.
				if slices.Contains(metaMembers, n.NodeId) {
					markDown(cluster.MetaGroupID)
				}
				for _, g := range snap.Groups {
					if slices.Contains(g.Replicas, n.NodeId) {
						markDown(g.GroupId)
					}
				}
			}
			mu.Lock()
			merge(groups)
			mu.Unlock()
		}(n)
	}
	wg.Wait()
	h.lastSeen.prune(snap, metaMembers)
	// A group of the catalog that no replica reported (their nodes are up
	// but have not opened it yet) shows without a leader rather than not at all.
	for _, g := range snap.Groups {
		if byGroup[g.GroupId] == nil {
			byGroup[g.GroupId] = &boxofficev1.GroupStatus{GroupId: g.GroupId}
		}
	}
	for _, id := range sortedKeys(byGroup) {
		g := byGroup[id]
		// Followers go on naming a leader that has died until they elect
		// another; a leader whose node did not answer is not shown as one.
		for _, r := range g.Replicas {
			if r.NodeId == g.LeaderNodeId && r.RaftState == replicaUnreachable {
				g.LeaderNodeId = ""
			}
		}
		slices.SortFunc(g.Replicas, func(a, b *boxofficev1.ReplicaStatus) int {
			if a.NodeId < b.NodeId {
				return -1
			}
			if a.NodeId > b.NodeId {
				return 1
			}
			return 0
		})
		if rec := h.catalog.Group(id); rec != nil {
			g.PreferredLeaderNodeId = h.preferredLeader(rec)
			g.HomeRegion = rec.HomeRegion
		}
		resp.Groups = append(resp.Groups, g)
	}
	return resp, nil
}

// mergeCommandRate takes g's rate into acc: the highest any replica
// reports. Every replica measures what it applies, and one that joined
// (or restarted) moments ago, perhaps now the leader, reports less than
// the group's rate until its average has caught up.
func mergeCommandRate(acc, g *boxofficev1.GroupStatus) {
	acc.RecentCommandsPerSecond = max(acc.RecentCommandsPerSecond, g.RecentCommandsPerSecond)
}

// replicaUnreachable is the raft_state of a replica whose node did not
// answer Status.
const replicaUnreachable = "unreachable"

// statusPeerTimeout bounds the wait for one node's answer to Status.
const statusPeerTimeout = time.Second

// statusPeerContext bounds one node's LocalStatus within Status: at most
// statusPeerTimeout, and, under a caller's deadline, at most three
// quarters of what is left of it, so that an unreachable node (a lost
// region drops packets rather than refusing them) costs the answer its
// mark, not the whole answer: the caller still gets what the others said.
func statusPeerContext(ctx context.Context) (context.Context, context.CancelFunc) {
	budget := statusPeerTimeout
	if deadline, ok := ctx.Deadline(); ok {
		budget = min(budget, time.Until(deadline)*3/4)
	}
	return context.WithTimeout(ctx, budget)
}

// metaMembers is the meta group's Raft configuration (voters and
// non-voters) as this node knows it.
func (h *Host) metaMembers() []string {
	if h.meta == nil || h.meta.raft == nil {
		return nil
	}
	f := h.meta.raft.GetConfiguration()
	if f.Error() != nil {
		return nil
	}
	var members []string
	for _, s := range f.Configuration().Servers {
		members = append(members, string(s.ID))
	}
	return members
}

// nodeInfos lists registered nodes with their gossip state.
func (h *Host) nodeInfos() []*boxofficev1.NodeInfo {
	states := map[string]string{}
	for _, m := range h.membership.Members() {
		states[m.NodeID] = m.State
	}
	var out []*boxofficev1.NodeInfo
	replicas := map[string]uint32{}
	for _, g := range h.catalog.Export().Groups {
		for _, r := range g.Replicas {
			replicas[r]++
		}
	}
	for _, n := range h.announcedNodes() {
		state := states[n.NodeId]
		if state == "" {
			state = "unknown"
		}
		out = append(out, &boxofficev1.NodeInfo{NodeId: n.NodeId, GrpcAddr: n.GrpcAddr, PeerAddr: n.PeerAddr,
			HttpAddr: n.HttpAddr, GossipAddr: n.GossipAddr, State: state, Locality: n.Locality, Draining: n.Draining,
			ReleaseVersion: n.ReleaseVersion, FeatureLevel: uint32(recordFeatureLevel(n)),
			OlderBuild:      recordFeatureLevel(n) < featureLevelCurrent,
			Decommissioning: n.Decommissioning, ReplicaCount: replicas[n.NodeId]})
	}
	return out
}

// localGroupStatus reports this node's replicas.
func (h *Host) localGroupStatus(withHashes bool) []*boxofficev1.GroupStatus {
	shardsByGroup := map[string][]string{}
	for _, e := range h.catalog.Export().Events {
		for _, s := range e.Shards {
			shardsByGroup[s.GroupId] = append(shardsByGroup[s.GroupId], e.EventId+"/"+strconv.Itoa(int(s.Shard)))
		}
	}
	var out []*boxofficev1.GroupStatus
	for _, g := range h.groupList() {
		_, leader := g.leader()
		voter := false
		var configuration []string
		if f := g.raft.GetConfiguration(); f.Error() == nil {
			for _, s := range f.Configuration().Servers {
				if string(s.ID) == h.cfg.NodeID {
					voter = s.Suffrage == raft.Voter
				}
			}
			if g.raft.State() == raft.Leader {
				for _, s := range f.Configuration().Servers {
					configuration = append(configuration, string(s.ID))
				}
				slices.Sort(configuration)
			}
		}
		var hash string
		var hashIndex uint64
		if g.store != nil && withHashes {
			var sum [32]byte
			hashIndex, sum = g.store.AppliedHash()
			hash = hex.EncodeToString(sum[:])
		}
		out = append(out, &boxofficev1.GroupStatus{
			GroupId:                 g.id,
			LeaderNodeId:            leader,
			Configuration:           configuration,
			Shards:                  shardsByGroup[g.id],
			RecentCommandsPerSecond: g.commandRate.get(),
			Replicas: []*boxofficev1.ReplicaStatus{{
				NodeId:         h.cfg.NodeID,
				RaftState:      g.raft.State().String(),
				AppliedIndex:   g.raft.AppliedIndex(),
				CommitIndex:    g.raft.CommitIndex(),
				LastLogIndex:   g.raft.LastIndex(),
				Term:           g.raft.CurrentTerm(),
				Voter:          voter,
				StateHash:      hash,
				StateHashIndex: hashIndex,
			}},
		})
	}
	return out
}

func (c *clusterService) Routing(ctx context.Context, req *boxofficev1.RoutingRequest) (*boxofficev1.RoutingResponse, error) {
	h := c.host
	e, err := h.event(ctx, req.EventId)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	resp := &boxofficev1.RoutingResponse{EventId: e.EventId, Nodes: h.nodeInfos()}
	for _, s := range e.Shards {
		route := &boxofficev1.ShardRoute{Shard: s.Shard, GroupId: s.GroupId, SectionIds: s.SectionIds, PoolIds: s.PoolIds}
		if g := h.group(s.GroupId); g != nil {
			_, route.LeaderNodeId = g.leader()
		}
		if route.LeaderNodeId == "" {
			if rec := h.catalog.Group(s.GroupId); rec != nil && len(rec.Replicas) > 0 {
				route.LeaderNodeId = rec.Replicas[0] // the preferred leader: a good guess
			}
		}
		if n := h.catalog.Node(route.LeaderNodeId); n != nil {
			route.LeaderGrpcAddr = n.GrpcAddr
		}
		resp.Shards = append(resp.Shards, route)
	}
	return resp, nil
}

// replicaMemory is what this node last heard, through Status, from each
// other node's replica of each group, so that a replica whose node is down
// shows its last known role instead of nothing. It holds at most one entry
// per replica the catalog lists (prune drops the others).
//
// It also keeps each data group's last known command rate (groupLoads),
// so that a group none of whose replicas answers keeps its rate.
type replicaMemory struct {
	mu   sync.Mutex
	seen map[[2]string]lastReplica // (group, node)

	rates   map[string]float64 // group: commands per second
	ratesAt time.Time          // the last gather of every node's rates
}

// knownRates returns the groups' last known rates and when they were
// gathered (zero: never).
func (m *replicaMemory) knownRates() (map[string]float64, time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return maps.Clone(m.rates), m.ratesAt
}

// rememberRates records a gather: groups not in it keep their last rate.
// It returns every known rate.
func (m *replicaMemory) rememberRates(rates map[string]float64, at time.Time) map[string]float64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.rates == nil {
		m.rates = map[string]float64{}
	}
	maps.Copy(m.rates, rates)
	m.ratesAt = at
	return maps.Clone(m.rates)
}

type lastReplica struct {
	state string
	voter bool
	term  uint64
	at    time.Time
}

func (m *replicaMemory) record(groups []*boxofficev1.GroupStatus, now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.seen == nil {
		m.seen = map[[2]string]lastReplica{}
	}
	for _, g := range groups {
		for _, r := range g.Replicas {
			if r.RaftState != replicaUnreachable {
				m.seen[[2]string{g.GroupId, r.NodeId}] = lastReplica{state: r.RaftState, voter: r.Voter, term: r.Term, at: now}
			}
		}
	}
}

func (m *replicaMemory) fill(groupID string, down *boxofficev1.ReplicaStatus) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if last, ok := m.seen[[2]string{groupID, down.NodeId}]; ok {
		down.LastKnownRaftState, down.LastKnownVoter, down.LastKnownTerm = last.state, last.voter, last.term
		down.LastSeenUnixMs = last.at.UnixMilli()
	}
}

// prune forgets replicas the catalog, or for the meta group its
// configuration, no longer lists.
func (m *replicaMemory) prune(snap *nodepb.CatalogSnapshot, metaMembers []string) {
	listed := map[[2]string]bool{}
	for _, n := range metaMembers {
		listed[[2]string{cluster.MetaGroupID, n}] = true
	}
	for _, g := range snap.Groups {
		for _, n := range g.Replicas {
			listed[[2]string{g.GroupId, n}] = true
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for k := range m.seen {
		if !listed[k] {
			delete(m.seen, k)
		}
	}
	for id := range m.rates {
		if !slices.ContainsFunc(snap.Groups, func(g *nodepb.GroupRecord) bool { return g.GroupId == id }) {
			delete(m.rates, id)
		}
	}
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
