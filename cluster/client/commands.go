package client

import (
	"context"
	"sync/atomic"

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

func newCommandStreams(c *Client, inventory boxofficev1.InventoryClient) *commandStreams {
	return &commandStreams{taggedStreams: taggedStreams[boxofficev1.CommandsRequest, boxofficev1.CommandsResponse]{
		kind: "command",
		open: func(ctx context.Context) (boxofficev1.Inventory_CommandsClient, error) {
			return inventory.Commands(ctx)
		},
		background:  c.background,
		inFlightMax: CommandStreamInFlightMax,
	}}
}

// command makes one mutation: as a message on the node's Commands stream
// (set puts req into the message, get takes the answer out), or through
// unary. A nil answer of the wrong kind is a protocol error (INTERNAL).
func command[Req any, Resp comparable](c *Client, ctx context.Context, name, eventID string, to target, req Req,
	unary unaryMethod[Req, Resp], set func(*boxofficev1.CommandsRequest), get func(*boxofficev1.CommandsResponse) Resp) (Resp, error) {
	var resp Resp
	err := c.retry(ctx, name, eventID, to, func(ctx context.Context, nc *nodeConn, opts ...grpc.CallOption) error {
		var err error
		if c.cfg.UnaryCommands || nc.commands.unsupported.Load() {
			resp, err = unary(nc, ctx, req, opts...)
			return err
		}
		answer, err := nc.commands.call(ctx, opts, func(tag uint64, timeoutMs uint32) *boxofficev1.CommandsRequest {
			m := &boxofficev1.CommandsRequest{Tag: tag, TimeoutMs: timeoutMs}
			set(m)
			return m
		})
		if err != nil {
			if status.Code(err) == codes.Unimplemented && nc.commands.streamUnimplemented() {
				// A node of a version without Commands: it never
				// received the command.
				nc.commands.unsupported.Store(true)
				resp, err = unary(nc, ctx, req, opts...)
			}
			return err
		}
		var zero Resp
		if resp = get(answer); resp == zero {
			return status.Errorf(codes.Internal, "boxoffice client: %s answered with %T on the Commands stream", name, answer.GetResult())
		}
		return nil
	})
	return resp, err
}

// streamUnimplemented reports whether the node's current stream ended
// because the node does not serve Commands.
func (s *commandStreams) streamUnimplemented() bool {
	s.mu.Lock()
	current := s.current
	s.mu.Unlock()
	if current == nil {
		return false
	}
	current.mu.Lock()
	defer current.mu.Unlock()
	return current.pending == nil && status.Code(current.err) == codes.Unimplemented
}
