package node

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/raft"
	"google.golang.org/protobuf/proto"

	"github.com/boxoffice/boxoffice/cluster"
	"github.com/boxoffice/boxoffice/fsm/fsmpb"
	"github.com/boxoffice/boxoffice/node/nodepb"
)

// Routing of commands and reads to group leaders. A request may reach any
// node: the node proposes locally when it leads the group, and otherwise
// forwards over the peer port to the leader it knows of, retrying on leader
// change until the request's deadline. Forwarding is one hop: a node that
// receives a forwarded command and does not lead answers "not leader" with
// its hint instead of forwarding again, so requests never loop.

// retryPause is the wait before asking again when no leader is known.
const retryPause = 20 * time.Millisecond

// groupByID returns the local replica of a group, the meta group included.
func (h *Host) groupByID(id string) *group {
	if id == cluster.MetaGroupID {
		return h.meta
	}
	return h.group(id)
}

// onLeader runs a request on the leader of groupID: local(g) when this node
// leads the group, otherwise remote on the leader it knows of (or on each
// replica in turn, each answering with its own hint), retrying on leader
// change until ctx ends. local returns errNotLeader when leadership turned
// out to be lost; remote reports a peer's "not leader" answer and its hint.
// kind labels the forwards metric.
func onLeader[T any](ctx context.Context, h *Host, groupID, kind string,
	local func(g *group) (T, error),
	remote func(ctx context.Context, peer nodepb.PeerClient) (res T, notLeader bool, leaderHint string, err error),
) (T, error) {
	var zero T
	var hint string // node id of the last known leader
	for attempt := 1; ; attempt++ {
		if g := h.groupByID(groupID); g != nil {
			if g.raft.State() == raft.Leader {
				res, err := local(g)
				if !errors.Is(err, errNotLeader) {
					return res, err
				}
			}
			if _, id := g.leader(); id != "" && id != h.cfg.NodeID {
				hint = id
			}
		}
		if target := h.forwardTarget(groupID, hint, attempt); target != nil {
			if client, err := h.peers.get(target.PeerAddr); err == nil {
				h.metrics.forwards.WithLabelValues(kind).Inc()
				actx, cancel := attemptContext(ctx)
				res, notLeader, leader, err := remote(actx, client)
				cancel()
				switch {
				case err == nil && !notLeader:
					return res, nil
				case err == nil:
					hint = leader
				case !isRetryableForward(err):
					return zero, err
				}
			}
		}
		if err := pause(ctx, attempt); err != nil {
			return zero, h.noLeader(groupID, hint, err)
		}
	}
}

// shardCommand runs one fsm command on the leader of groupID.
func (h *Host) shardCommand(ctx context.Context, groupID string, cmd *fsmpb.Command) (*fsmpb.Result, error) {
	return onLeader(ctx, h, groupID, "command",
		func(g *group) (*fsmpb.Result, error) { return g.propose(ctx, cmd) },
		func(ctx context.Context, peer nodepb.PeerClient) (*fsmpb.Result, bool, string, error) {
			data, err := proto.Marshal(cmd)
			if err != nil {
				return nil, false, "", err
			}
			resp, err := peer.Propose(ctx, &nodepb.ProposeRequest{GroupId: groupID, Command: data})
			if err != nil || resp.NotLeader {
				return nil, resp.GetNotLeader(), resp.GetLeaderNodeId(), err
			}
			var res fsmpb.Result
			if err := proto.Unmarshal(resp.Result, &res); err != nil {
				return nil, false, "", fmt.Errorf("peer result does not decode: %w", err)
			}
			return &res, false, "", nil
		})
}

// forwardTarget picks the node to forward to: the hinted leader, else the
// group's replicas in turn (each answers with its own hint).
func (h *Host) forwardTarget(groupID, hint string, attempt int) *nodepb.NodeRecord {
	if hint != "" && hint != h.cfg.NodeID {
		if n := h.catalog.Node(hint); n != nil {
			return n
		}
	}
	var replicas []string
	if groupID == cluster.MetaGroupID {
		for _, n := range h.catalog.Export().Nodes {
			replicas = append(replicas, n.NodeId)
		}
	} else if rec := h.catalog.Group(groupID); rec != nil {
		replicas = rec.Replicas
	}
	var others []string
	for _, id := range replicas {
		if id != h.cfg.NodeID {
			others = append(others, id)
		}
	}
	if len(others) == 0 {
		return nil
	}
	return h.catalog.Node(others[attempt%len(others)])
}

// readShard serves a shard read: linearizable on the leader (forwarding if
// needed) or stale from a local replica. A shard not found where the
// caller's catalog placed it is read where the meta leader's catalog says
// it moved (shardmove.go).
func (h *Host) readShard(ctx context.Context, req *nodepb.ReadShardRequest) (*nodepb.ReadShardResponse, error) {
	resp, err := h.readShardIn(ctx, req)
	if err != nil && isNotFound(err) {
		if moved := h.movedShardGroup(ctx, req.EventId, req.Shard, req.GroupId); moved != "" {
			again := proto.Clone(req).(*nodepb.ReadShardRequest)
			again.GroupId = moved
			return h.readShardIn(ctx, again)
		}
	}
	return resp, err
}

func (h *Host) readShardIn(ctx context.Context, req *nodepb.ReadShardRequest) (*nodepb.ReadShardResponse, error) {
	if req.Stale {
		if g := h.group(req.GroupId); g != nil {
			resp, err := h.localShardRead(g, req)
			// A replica that has not applied the shard's creation yet
			// sends the read to the leader instead of denying the shard.
			if !errors.Is(err, ErrNotFound) || req.HoldId != "" {
				return resp, err
			}
		}
	}
	return onLeader(ctx, h, req.GroupId, "read",
		func(g *group) (*nodepb.ReadShardResponse, error) {
			if err := g.linearizable(ctx); err != nil {
				return nil, err
			}
			return h.localShardRead(g, req)
		},
		func(ctx context.Context, peer nodepb.PeerClient) (*nodepb.ReadShardResponse, bool, string, error) {
			resp, err := peer.ReadShard(ctx, req)
			return resp, resp.GetNotLeader(), resp.GetLeaderNodeId(), err
		})
}

// catalogCommand proposes a catalog command on the meta leader.
func (h *Host) catalogCommand(ctx context.Context, cmd *nodepb.CatalogCommand) (*nodepb.CatalogResult, error) {
	return onLeader(ctx, h, cluster.MetaGroupID, "catalog",
		func(*group) (*nodepb.CatalogResult, error) { return h.applyCatalog(cmd) },
		func(ctx context.Context, peer nodepb.PeerClient) (*nodepb.CatalogResult, bool, string, error) {
			data, err := proto.Marshal(cmd)
			if err != nil {
				return nil, false, "", err
			}
			resp, err := peer.ProposeCatalog(ctx, &nodepb.ProposeCatalogRequest{Command: data})
			return resp.GetResult(), resp.GetNotLeader(), resp.GetLeaderNodeId(), err
		})
}

// readCatalog returns the catalog as the meta leader has it (linearizable).
// readCatalogEvent reads one event linearizably on the meta leader (nil
// when the catalog has no such event). It is how a node whose replica of
// the catalog lags (an event created a moment ago) checks that event:
// asking for the whole catalog shipped every venue of every event, several
// MB each, and the first holds of a fresh event on a lagging node did that
// dozens of times at once (a 50-200 ms stall at the start of an on-sale).
func (h *Host) readCatalogEvent(ctx context.Context, id string) (*nodepb.EventRecord, error) {
	snap, err := onLeader(ctx, h, cluster.MetaGroupID, "catalog-read",
		func(g *group) (*nodepb.CatalogSnapshot, error) {
			if err := g.linearizable(ctx); err != nil {
				return nil, err
			}
			return h.catalog.ExportEvent(id), nil
		},
		func(ctx context.Context, peer nodepb.PeerClient) (*nodepb.CatalogSnapshot, bool, string, error) {
			resp, err := peer.ReadCatalog(ctx, &nodepb.ReadCatalogRequest{EventId: id})
			return resp.GetCatalog(), resp.GetNotLeader(), resp.GetLeaderNodeId(), err
		})
	if err != nil {
		return nil, err
	}
	for _, e := range snap.GetEvents() {
		if e.GetEventId() == id {
			return e, nil
		}
	}
	return nil, nil
}

func (h *Host) noLeader(groupID, hint string, cause error) error {
	e := &noLeaderError{group: groupID}
	if n := h.catalog.Node(hint); n != nil {
		e.leaderGRPC = n.GrpcAddr
	}
	if errors.Is(cause, context.DeadlineExceeded) {
		return fmt.Errorf("%w: %w", context.DeadlineExceeded, e)
	}
	return e
}

// attemptContext bounds one forwarding attempt so that a dead target does not
// eat the whole deadline.
func attemptContext(ctx context.Context) (context.Context, context.CancelFunc) {
	const attemptMax = time.Second
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < attemptMax {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, attemptMax)
}

// pause waits before the next routing attempt, growing slowly.
func pause(ctx context.Context, attempt int) error {
	d := retryPause * time.Duration(min(attempt, 10))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
