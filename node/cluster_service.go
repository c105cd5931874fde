package node

import (
	"context"
	"encoding/hex"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/raft"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
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
			acc.Replicas = append(acc.Replicas, g.Replicas...)
		}
	}
	merge(local)
	var mu sync.Mutex
	var wg sync.WaitGroup
	snap := h.catalog.Export()
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
				actx, cancel := attemptContext(ctx)
				var r *nodepb.LocalStatusResponse
				r, err = client.LocalStatus(actx, &nodepb.LocalStatusRequest{IncludeStateHashes: req.IncludeStateHashes})
				cancel()
				if err == nil {
					groups = r.Groups
					h.lastSeen.record(groups, time.Now())
				}
			}
			if err != nil {
				for _, g := range snap.Groups {
					if slices.Contains(g.Replicas, n.NodeId) {
						down := &boxofficev1.ReplicaStatus{NodeId: n.NodeId, RaftState: "unreachable"}
						h.lastSeen.fill(g.GroupId, down)
						groups = append(groups, &boxofficev1.GroupStatus{GroupId: g.GroupId, Replicas: []*boxofficev1.ReplicaStatus{down}})
					}
				}
			}
			mu.Lock()
			merge(groups)
			mu.Unlock()
		}(n)
	}
	wg.Wait()
	h.lastSeen.prune(snap)
	for _, id := range sortedKeys(byGroup) {
		g := byGroup[id]
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
		}
		resp.Groups = append(resp.Groups, g)
	}
	return resp, nil
}

// nodeInfos lists registered nodes with their gossip state.
func (h *Host) nodeInfos() []*boxofficev1.NodeInfo {
	states := map[string]string{}
	for _, m := range h.membership.Members() {
		states[m.NodeID] = m.State
	}
	var out []*boxofficev1.NodeInfo
	snap := h.catalog.Export()
	replicas := map[string]uint32{}
	for _, g := range snap.Groups {
		for _, r := range g.Replicas {
			replicas[r]++
		}
	}
	for _, n := range snap.Nodes {
		state := states[n.NodeId]
		if state == "" {
			state = "unknown"
		}
		out = append(out, &boxofficev1.NodeInfo{NodeId: n.NodeId, GrpcAddr: n.GrpcAddr, PeerAddr: n.PeerAddr,
			HttpAddr: n.HttpAddr, GossipAddr: n.GossipAddr, State: state, Locality: n.Locality, Draining: n.Draining,
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
			GroupId:       g.id,
			LeaderNodeId:  leader,
			Configuration: configuration,
			Shards:        shardsByGroup[g.id],
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
type replicaMemory struct {
	mu   sync.Mutex
	seen map[[2]string]lastReplica // (group, node)
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
			if r.RaftState != "unreachable" {
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

// prune forgets replicas the catalog no longer lists.
func (m *replicaMemory) prune(snap *nodepb.CatalogSnapshot) {
	listed := map[[2]string]bool{}
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
