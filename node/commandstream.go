package node

import (
	"context"
	"slices"
	"sync"
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

// commandContext is the context of one command of a Commands stream: the
// stream worker's context with the command's deadline, whose timer is made
// only when something waits on Done or asks Err — a forward to the leader,
// a pause between routing attempts, a linearizable check. A command the
// node proposes itself does neither (group.propose waits on the worker's
// context, and the proposer answers DEADLINE_EXCEEDED to a proposal whose
// deadline passed before it went into an entry), and that is nearly every
// command: the timer and the child registered with the worker's context
// would be ~8% of the leader's CPU at 256 clients (pprof, docs/capacity.md).
type commandContext struct {
	context.Context // the worker's
	deadline        time.Time

	mu     sync.Mutex
	timer  context.Context // the deadline's, once made
	cancel context.CancelFunc
}

func (c *commandContext) Deadline() (time.Time, bool) { return c.deadline, true }
func (c *commandContext) Done() <-chan struct{}       { return c.withTimer().Done() }
func (c *commandContext) Err() error                  { return c.withTimer().Err() }

// Value looks in the timer's context once made, so that a context derived
// from this one after that registers with the timer's cancelation (the
// context package finds it by a Value lookup) instead of watching it from
// a goroutine of its own.
func (c *commandContext) Value(key any) any {
	c.mu.Lock()
	timer := c.timer
	c.mu.Unlock()
	if timer != nil {
		return timer.Value(key)
	}
	return c.Context.Value(key)
}

func (c *commandContext) withTimer() context.Context {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.timer == nil {
		c.timer, c.cancel = context.WithDeadline(c.Context, c.deadline)
	}
	return c.timer
}

// timed says whether the deadline's timer was made.
func (c *commandContext) timed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.timer != nil
}

func (c *commandContext) release() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cancel != nil {
		c.cancel()
	}
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
	cctx := &commandContext{Context: ctx, deadline: began.Add(timeout)}
	defer cctx.release()
	ctx = cctx

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
