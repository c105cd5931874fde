package node

import (
	"context"
	"slices"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
)

// Commands serves Hold, Sell, Release, ExtendHold and Refund over one stream
// (taggedStream, streams.go): each command is applied by the same code as
// its unary method (same validation, routing, forwarding, request-id
// deduplication), so a command means the same on either path and a
// command resent after a broken stream is applied once. Every command may
// wait (on its group's next Raft entry, or a forward), so all go to the
// workers; a stream has up to commandStreamInFlightMax in flight, which
// is what lets commands of many fans share one entry.
const (
	// commandStreamInFlightMax bounds the commands of one stream that the
	// node has received and not yet answered (the proto documents 1024).
	commandStreamInFlightMax = 1024
	// commandStreamWorkersMax bounds the goroutines serving one stream:
	// one per command in flight, since each waits on Raft.
	commandStreamWorkersMax = commandStreamInFlightMax
)

func (s *inventoryService) Commands(stream boxofficev1.Inventory_CommandsServer) error {
	h := s.host
	t := taggedStream[boxofficev1.CommandsRequest, boxofficev1.CommandsResponse]{
		inFlightMax: commandStreamInFlightMax,
		workersMax:  commandStreamWorkersMax,
		serve:       h.streamCommand,
		split: func(req *boxofficev1.CommandsRequest) []*boxofficev1.CommandsRequest {
			more := req.More
			req.More = nil
			return more
		},
		open:     h.metrics.cmdStreamsOpen,
		inFlight: h.metrics.cmdStreamsInFlight,
		received: h.metrics.cmdStreamMessages.WithLabelValues("received"),
		sent:     h.metrics.cmdStreamMessages.WithLabelValues("sent"),
	}
	// Batches both ways for a client that asks (CommandsRequest.more):
	// it learns from the header, sent at once, that this node reads them.
	if md, ok := metadata.FromIncomingContext(stream.Context()); ok && slices.Contains(md.Get(CommandsBatchMetadataKey), "1") {
		if err := stream.SendHeader(metadata.Pairs(CommandsBatchMetadataKey, "1")); err != nil {
			return err
		}
		t.join = func(first *boxofficev1.CommandsResponse, rest []*boxofficev1.CommandsResponse) { first.More = rest }
		t.joinMax = commandsBatchMax
	}
	return t.run(stream)
}

// CommandsBatchMetadataKey is the request header with which a client asks
// for batched Commands messages, and the response header with which the
// node says it reads them (CommandsRequest.more, CommandsResponse.more).
const CommandsBatchMetadataKey = "boxoffice-commands-batch"

// commandsBatchMax bounds the answers the node puts in one message.
const commandsBatchMax = 256

// streamCommand applies one command of a stream exactly as the unary method
// of its kind does, and turns its error into a StreamError with the status
// that method would have returned. The operations and request-seconds
// metrics count it under the unary method's name.
func (h *Host) streamCommand(ctx context.Context, req *boxofficev1.CommandsRequest) *boxofficev1.CommandsResponse {
	began := time.Now()
	timeout := h.cfg.RequestTimeout
	if limit := time.Duration(req.TimeoutMs) * time.Millisecond; limit > 0 && limit < timeout {
		timeout = limit
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	answer := &boxofficev1.CommandsResponse{Tag: req.Tag}
	var (
		method string
		err    error
	)
	switch cmd := req.Command.(type) {
	case *boxofficev1.CommandsRequest_Hold:
		method = "Hold"
		var resp *boxofficev1.HoldResponse
		if resp, err = h.hold(ctx, cmd.Hold); err == nil {
			answer.Result = &boxofficev1.CommandsResponse_Hold{Hold: resp}
		}
	case *boxofficev1.CommandsRequest_Sell:
		method = "Sell"
		var resp *boxofficev1.SellResponse
		if resp, err = h.sell(ctx, cmd.Sell); err == nil {
			answer.Result = &boxofficev1.CommandsResponse_Sell{Sell: resp}
		}
	case *boxofficev1.CommandsRequest_Release:
		method = "Release"
		var resp *boxofficev1.ReleaseResponse
		if resp, err = h.release(ctx, cmd.Release); err == nil {
			answer.Result = &boxofficev1.CommandsResponse_Release{Release: resp}
		}
	case *boxofficev1.CommandsRequest_ExtendHold:
		method = "ExtendHold"
		var resp *boxofficev1.HoldResponse
		if resp, err = h.extendHold(ctx, cmd.ExtendHold); err == nil {
			answer.Result = &boxofficev1.CommandsResponse_ExtendHold{ExtendHold: resp}
		}
	case *boxofficev1.CommandsRequest_Refund:
		method = "Refund"
		var resp *boxofficev1.RefundResponse
		if resp, err = h.refund(ctx, cmd.Refund); err == nil {
			answer.Result = &boxofficev1.CommandsResponse_Refund{Refund: resp}
		}
	default:
		method = "Commands"
		err = invalid("command is required: one of hold, sell, release, extend_hold, refund")
	}
	code := codes.OK
	if err != nil {
		streamErr := streamError(err)
		code = codes.Code(streamErr.Code)
		answer.Result = &boxofficev1.CommandsResponse_Error{Error: streamErr}
	}
	h.observeCall(method, code, began)
	return answer
}
