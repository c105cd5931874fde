package node

import (
	"context"
	"errors"

	"github.com/hashicorp/raft"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/boxoffice/boxoffice/fsm/fsmpb"
	"github.com/boxoffice/boxoffice/node/nodepb"
)

// peerService answers other nodes on the peer port. It never forwards: a
// node that does not lead the group says so and names the leader it knows.
type peerService struct {
	nodepb.UnimplementedPeerServer
	host *Host
}

func (p *peerService) Propose(ctx context.Context, req *nodepb.ProposeRequest) (*nodepb.ProposeResponse, error) {
	g := p.host.group(req.GroupId)
	if g == nil {
		return &nodepb.ProposeResponse{NotLeader: true}, nil
	}
	if g.raft.State() != raft.Leader {
		_, id := g.leader()
		return &nodepb.ProposeResponse{NotLeader: true, LeaderNodeId: id}, nil
	}
	var cmd fsmpb.Command
	if err := proto.Unmarshal(req.Command, &cmd); err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "command does not decode: %v", err)
	}
	res, err := g.propose(ctx, &cmd)
	if errors.Is(err, errNotLeader) {
		_, id := g.leader()
		return &nodepb.ProposeResponse{NotLeader: true, LeaderNodeId: id}, nil
	}
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	data, err := proto.Marshal(res)
	if err != nil {
		return nil, status.Errorf(codes.Internal, "encoding result: %v", err)
	}
	return &nodepb.ProposeResponse{Result: data}, nil
}

func (p *peerService) ProposeCatalog(ctx context.Context, req *nodepb.ProposeCatalogRequest) (*nodepb.ProposeCatalogResponse, error) {
	h := p.host
	if h.meta.raft.State() != raft.Leader {
		_, id := h.meta.leader()
		return &nodepb.ProposeCatalogResponse{NotLeader: true, LeaderNodeId: id}, nil
	}
	var cmd nodepb.CatalogCommand
	if err := proto.Unmarshal(req.Command, &cmd); err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "catalog command does not decode: %v", err)
	}
	res, err := h.applyCatalog(&cmd)
	if errors.Is(err, errNotLeader) {
		_, id := h.meta.leader()
		return &nodepb.ProposeCatalogResponse{NotLeader: true, LeaderNodeId: id}, nil
	}
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &nodepb.ProposeCatalogResponse{Result: res}, nil
}

func (p *peerService) ReadShard(ctx context.Context, req *nodepb.ReadShardRequest) (*nodepb.ReadShardResponse, error) {
	g := p.host.group(req.GroupId)
	if g == nil {
		return &nodepb.ReadShardResponse{NotLeader: true}, nil
	}
	if !req.Stale {
		if err := g.linearizable(ctx); err != nil {
			if errors.Is(err, errNotLeader) {
				_, id := g.leader()
				return &nodepb.ReadShardResponse{NotLeader: true, LeaderNodeId: id}, nil
			}
			return nil, toStatus(ctx, err)
		}
	}
	resp, err := p.host.localShardRead(g, req)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return resp, nil
}

func (p *peerService) ReadCatalog(ctx context.Context, req *nodepb.ReadCatalogRequest) (*nodepb.ReadCatalogResponse, error) {
	h := p.host
	if err := h.meta.linearizable(ctx); err != nil {
		if errors.Is(err, errNotLeader) {
			_, id := h.meta.leader()
			return &nodepb.ReadCatalogResponse{NotLeader: true, LeaderNodeId: id}, nil
		}
		return nil, toStatus(ctx, err)
	}
	if req.GetEventId() != "" {
		return &nodepb.ReadCatalogResponse{Catalog: h.catalog.ExportEvent(req.GetEventId())}, nil
	}
	return &nodepb.ReadCatalogResponse{Catalog: h.catalog.Export()}, nil
}

func (p *peerService) LocalStatus(ctx context.Context, req *nodepb.LocalStatusRequest) (*nodepb.LocalStatusResponse, error) {
	return &nodepb.LocalStatusResponse{NodeId: p.host.cfg.NodeID, Groups: p.host.localGroupStatus(req.IncludeStateHashes)}, nil
}

// isRetryableForward reports whether a failed forwarding attempt may be
// tried again. Commands carry request ids, so re-sending one whose outcome
// is unknown is safe: it applies at most once.
func isRetryableForward(err error) bool {
	if errors.Is(err, context.Canceled) {
		return false
	}
	st, ok := status.FromError(err)
	if !ok {
		return true // connection-level failure
	}
	switch st.Code() {
	case codes.Unavailable, codes.DeadlineExceeded, codes.Canceled:
		return true
	}
	return false
}
