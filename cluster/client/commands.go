package client

import (
	"context"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
)

// Mutations over streams (stream.go): Hold, Sell, Release, ExtendHold and
// Refund go as messages on the node's Inventory.Commands stream unless
// Config.UnaryCommands is set or the node does not serve Commands. They
// are routed and retried exactly like unary calls, and keep their request
// id across retries: a command whose stream broke while it was in flight
// is sent again and applied once.

// CommandStreamInFlightMax bounds the commands of one Client waiting on one
// node's stream; more callers wait for a place (until their deadline).
// The node itself works on at most 1024 commands of a stream.
const CommandStreamInFlightMax = 4096

// commandStreams is a node's Commands stream; unsupported is set once the
// node answered that it does not know the method.
type commandStreams struct {
	taggedStreams[boxofficev1.CommandsRequest, boxofficev1.CommandsResponse]
	unsupported atomic.Bool
}

// newCommandStreams makes the Commands stream of a node; background bounds
// the stream's life.
func newCommandStreams(background context.Context, inventory boxofficev1.InventoryClient) *commandStreams {
	return &commandStreams{taggedStreams: taggedStreams[boxofficev1.CommandsRequest, boxofficev1.CommandsResponse]{
		kind: "command",
		open: func(ctx context.Context) (boxofficev1.Inventory_CommandsClient, error) {
			return inventory.Commands(ctx)
		},
		background:  background,
		inFlightMax: CommandStreamInFlightMax,
		batchKey:    CommandsBatchMetadataKey,
		join: func(first *boxofficev1.CommandsRequest, rest []*boxofficev1.CommandsRequest) {
			first.More = rest
		},
		split: func(resp *boxofficev1.CommandsResponse) []*boxofficev1.CommandsResponse {
			more := resp.More
			resp.More = nil
			return more
		},
	}}
}

// CommandsBatchMetadataKey is the request header with which a client asks a
// node for batched Commands messages (CommandsRequest.more), and the
// response header with which the node says it reads them.
const CommandsBatchMetadataKey = "boxoffice-commands-batch"

// command makes one mutation: as a message on the node's Commands stream
// (set puts req into the message, get takes the answer out), or through
// unary. A nil answer of the wrong kind is a protocol error (INTERNAL).
func command[Req any, Resp comparable](c *Client, ctx context.Context, name, eventID string, to target, req Req,
	unary unaryMethod[Req, Resp], set func(*boxofficev1.CommandsRequest), get func(*boxofficev1.CommandsResponse) Resp) (Resp, error) {
	var resp Resp
	err := c.retry(ctx, name, eventID, to, func(ctx context.Context, deadline time.Time, nc *nodeConn, opts ...grpc.CallOption) error {
		unaryAttempt := func() (Resp, error) {
			ctx, cancel := withDeadline(ctx, deadline)
			defer cancel()
			return unary(nc, ctx, req, opts...)
		}
		var err error
		if c.cfg.UnaryCommands || nc.commands.unsupported.Load() {
			resp, err = unaryAttempt()
			return err
		}
		resp, err = streamed(ctx, deadline, nc.commands, name, opts, set, get, unaryAttempt)
		return err
	})
	return resp, err
}

// streamed sends one command on s (set puts the request into the message,
// get takes the answer out), to be answered by deadline (zero: ctx's); on
// a node that does not serve Commands it calls unary instead. An answer of
// the wrong kind is a protocol error (INTERNAL).
func streamed[Resp comparable](ctx context.Context, deadline time.Time, s *commandStreams, name string, opts []grpc.CallOption,
	set func(*boxofficev1.CommandsRequest), get func(*boxofficev1.CommandsResponse) Resp, unary func() (Resp, error)) (Resp, error) {
	var zero Resp
	if s.unsupported.Load() {
		return unary()
	}
	answer, err := s.call(ctx, deadline, opts, func(tag uint64, timeoutMs uint32) *boxofficev1.CommandsRequest {
		m := &boxofficev1.CommandsRequest{Tag: tag, TimeoutMs: timeoutMs}
		set(m)
		return m
	})
	if err != nil {
		if methodUnimplemented(err) {
			// A node of a version without Commands: it never received
			// the command.
			s.unsupported.Store(true)
			return unary()
		}
		return zero, err
	}
	resp := get(answer)
	if resp == zero {
		return zero, status.Errorf(codes.Internal, "boxoffice client: %s answered with %T on the Commands stream", name, answer.GetResult())
	}
	return resp, nil
}

// NodeInventory is an Inventory client of one node whose Hold, Sell,
// Release, ExtendHold and Refund go as messages on that node's Commands
// stream (one, opened on first use, shared by every caller, reopened after
// it breaks); every other method is the unary call. Unlike Client it
// neither routes nor retries: it is for callers that choose the node of
// every call themselves (a fault-injection harness, a load generator that
// measures forwarding). A command in flight when the stream breaks fails
// with UNAVAILABLE: its outcome is unknown, and sending it again with the
// same request id applies it once. Call options are ignored on the stream
// path.
type NodeInventory struct {
	boxofficev1.InventoryClient
	commands *commandStreams
	cancel   context.CancelFunc
}

// NewNodeInventory makes a NodeInventory over conn, a connection to one
// node. Close ends its stream (not conn). conn's codec is the caller's
// choice; Client's connections use grpc.ForceCodecV2(codec.Client()).
func NewNodeInventory(conn grpc.ClientConnInterface) *NodeInventory {
	inventory := boxofficev1.NewInventoryClient(conn)
	background, cancel := context.WithCancel(context.Background())
	return &NodeInventory{InventoryClient: inventory, cancel: cancel, commands: newCommandStreams(background, inventory)}
}

// Close ends the stream; calls in flight fail.
func (n *NodeInventory) Close() error {
	n.cancel()
	return nil
}

func (n *NodeInventory) Hold(ctx context.Context, req *boxofficev1.HoldRequest, opts ...grpc.CallOption) (*boxofficev1.HoldResponse, error) {
	return streamed(ctx, time.Time{}, n.commands, "Hold", nil,
		func(m *boxofficev1.CommandsRequest) { m.Command = &boxofficev1.CommandsRequest_Hold{Hold: req} },
		(*boxofficev1.CommandsResponse).GetHold,
		func() (*boxofficev1.HoldResponse, error) { return n.InventoryClient.Hold(ctx, req, opts...) })
}

func (n *NodeInventory) Sell(ctx context.Context, req *boxofficev1.SellRequest, opts ...grpc.CallOption) (*boxofficev1.SellResponse, error) {
	return streamed(ctx, time.Time{}, n.commands, "Sell", nil,
		func(m *boxofficev1.CommandsRequest) { m.Command = &boxofficev1.CommandsRequest_Sell{Sell: req} },
		(*boxofficev1.CommandsResponse).GetSell,
		func() (*boxofficev1.SellResponse, error) { return n.InventoryClient.Sell(ctx, req, opts...) })
}

func (n *NodeInventory) Release(ctx context.Context, req *boxofficev1.ReleaseRequest, opts ...grpc.CallOption) (*boxofficev1.ReleaseResponse, error) {
	return streamed(ctx, time.Time{}, n.commands, "Release", nil,
		func(m *boxofficev1.CommandsRequest) { m.Command = &boxofficev1.CommandsRequest_Release{Release: req} },
		(*boxofficev1.CommandsResponse).GetRelease,
		func() (*boxofficev1.ReleaseResponse, error) { return n.InventoryClient.Release(ctx, req, opts...) })
}

func (n *NodeInventory) ExtendHold(ctx context.Context, req *boxofficev1.ExtendHoldRequest, opts ...grpc.CallOption) (*boxofficev1.HoldResponse, error) {
	return streamed(ctx, time.Time{}, n.commands, "ExtendHold", nil,
		func(m *boxofficev1.CommandsRequest) {
			m.Command = &boxofficev1.CommandsRequest_ExtendHold{ExtendHold: req}
		},
		(*boxofficev1.CommandsResponse).GetExtendHold,
		func() (*boxofficev1.HoldResponse, error) { return n.InventoryClient.ExtendHold(ctx, req, opts...) })
}

func (n *NodeInventory) Refund(ctx context.Context, req *boxofficev1.RefundRequest, opts ...grpc.CallOption) (*boxofficev1.RefundResponse, error) {
	return streamed(ctx, time.Time{}, n.commands, "Refund", nil,
		func(m *boxofficev1.CommandsRequest) { m.Command = &boxofficev1.CommandsRequest_Refund{Refund: req} },
		(*boxofficev1.CommandsResponse).GetRefund,
		func() (*boxofficev1.RefundResponse, error) { return n.InventoryClient.Refund(ctx, req, opts...) })
}
