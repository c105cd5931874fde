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

// shardCommand runs one fsm command on the leader of groupID.
func (h *Host) shardCommand(ctx context.Context, groupID string, cmd *fsmpb.Command) (*fsmpb.Result, error) {
	var hint string // node id of the last known leader
	attempt := 0
	for {
		attempt++
		if g := h.group(groupID); g != nil {
			if g.raft.State() == raft.Leader {
				res, err := g.propose(ctx, cmd)
				if !errors.Is(err, errNotLeader) {
					return res, err
				}
			}
			if _, id := g.leader(); id != "" && id != h.cfg.NodeID {
				hint = id
			}
		}
		target := h.forwardTarget(groupID, hint, attempt)
		if target != nil {
			res, leader, err := h.forwardCommand(ctx, target, groupID, cmd)
			if err == nil && res != nil {
				return res, nil
			}
			if err != nil && !isRetryableForward(err) {
				return nil, err
			}
			hint = leader
		}
		if err := pause(ctx, attempt); err != nil {
			return nil, h.noLeader(groupID, hint, err)
		}
	}
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

func (h *Host) forwardCommand(ctx context.Context, target *nodepb.NodeRecord, groupID string, cmd *fsmpb.Command) (*fsmpb.Result, string, error) {
	client, err := h.peers.get(target.PeerAddr)
	if err != nil {
		return nil, "", err
	}
	data, err := proto.Marshal(cmd)
	if err != nil {
		return nil, "", err
	}
	h.metrics.forwards.WithLabelValues("command").Inc()
	actx, cancel := attemptContext(ctx)
	defer cancel()
	resp, err := client.Propose(actx, &nodepb.ProposeRequest{GroupId: groupID, Command: data})
	if err != nil {
		return nil, "", err
	}
	if resp.NotLeader {
		return nil, resp.LeaderNodeId, nil
	}
	var res fsmpb.Result
	if err := proto.Unmarshal(resp.Result, &res); err != nil {
		return nil, "", fmt.Errorf("peer %s: result does not decode: %w", target.NodeId, err)
	}
	return &res, "", nil
}

// readShard serves a shard read: linearizable on the leader (forwarding if
// needed) or stale from a local replica.
func (h *Host) readShard(ctx context.Context, req *nodepb.ReadShardRequest) (*nodepb.ReadShardResponse, error) {
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
	var hint string
	attempt := 0
	for {
		attempt++
		if g := h.group(req.GroupId); g != nil {
			if g.raft.State() == raft.Leader {
				err := g.linearizable(ctx)
				if err == nil {
					return h.localShardRead(g, req)
				}
				if !errors.Is(err, errNotLeader) {
					return nil, err
				}
			}
			if _, id := g.leader(); id != "" && id != h.cfg.NodeID {
				hint = id
			}
		}
		if target := h.forwardTarget(req.GroupId, hint, attempt); target != nil {
			client, err := h.peers.get(target.PeerAddr)
			if err == nil {
				h.metrics.forwards.WithLabelValues("read").Inc()
				actx, cancel := attemptContext(ctx)
				var resp *nodepb.ReadShardResponse
				resp, err = client.ReadShard(actx, req)
				cancel()
				if err == nil && !resp.NotLeader {
					return resp, nil
				}
				if err == nil {
					hint = resp.LeaderNodeId
				} else if !isRetryableForward(err) {
					return nil, err
				}
			}
		}
		if err := pause(ctx, attempt); err != nil {
			return nil, h.noLeader(req.GroupId, hint, err)
		}
	}
}

// catalogCommand proposes a catalog command on the meta leader.
func (h *Host) catalogCommand(ctx context.Context, cmd *nodepb.CatalogCommand) (*nodepb.CatalogResult, error) {
	var hint string
	attempt := 0
	for {
		attempt++
		if h.meta.raft.State() == raft.Leader {
			res, err := h.applyCatalog(cmd)
			if !errors.Is(err, errNotLeader) {
				return res, err
			}
		}
		if _, id := h.meta.leader(); id != "" && id != h.cfg.NodeID {
			hint = id
		}
		if target := h.forwardTarget(cluster.MetaGroupID, hint, attempt); target != nil {
			client, err := h.peers.get(target.PeerAddr)
			if err == nil {
				data, _ := proto.Marshal(cmd)
				actx, cancel := attemptContext(ctx)
				var resp *nodepb.ProposeCatalogResponse
				resp, err = client.ProposeCatalog(actx, &nodepb.ProposeCatalogRequest{Command: data})
				cancel()
				if err == nil && !resp.NotLeader {
					return resp.Result, nil
				}
				if err == nil {
					hint = resp.LeaderNodeId
				} else if !isRetryableForward(err) {
					return nil, err
				}
			}
		}
		if err := pause(ctx, attempt); err != nil {
			return nil, h.noLeader(cluster.MetaGroupID, hint, err)
		}
	}
}

// readCatalog returns the catalog as the meta leader has it (linearizable).
func (h *Host) readCatalog(ctx context.Context) (*nodepb.CatalogSnapshot, error) {
	var hint string
	attempt := 0
	for {
		attempt++
		if h.meta.raft.State() == raft.Leader {
			err := h.meta.linearizable(ctx)
			if err == nil {
				return h.catalog.Export(), nil
			}
			if !errors.Is(err, errNotLeader) {
				return nil, err
			}
		}
		if _, id := h.meta.leader(); id != "" && id != h.cfg.NodeID {
			hint = id
		}
		if target := h.forwardTarget(cluster.MetaGroupID, hint, attempt); target != nil {
			client, err := h.peers.get(target.PeerAddr)
			if err == nil {
				actx, cancel := attemptContext(ctx)
				var resp *nodepb.ReadCatalogResponse
				resp, err = client.ReadCatalog(actx, &nodepb.ReadCatalogRequest{})
				cancel()
				if err == nil && !resp.NotLeader {
					return resp.Catalog, nil
				}
				if err == nil {
					hint = resp.LeaderNodeId
				} else if !isRetryableForward(err) {
					return nil, err
				}
			}
		}
		if err := pause(ctx, attempt); err != nil {
			return nil, h.noLeader(cluster.MetaGroupID, hint, err)
		}
	}
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
