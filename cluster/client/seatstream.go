package client

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
)

// Seat-map reads over streams. ReadSeatMap sends a read as one message on
// a long-lived Inventory.ReadSeatMaps stream to the chosen node instead of
// a unary call: a unary call sets up and tears down an HTTP/2 stream and
// pays its own flushes on both sides, which costs more CPU than the read
// itself. Every node gets one stream per Client, opened on first use and
// shared by every concurrent caller; each read carries a tag the stream's
// receiver matches its answer by, since a node answers in any order. A
// stream that fails fails its reads in flight with UNAVAILABLE (retried
// like any call) and is opened again by the next read.
//
// Limits: at most ReadStreamInFlightMax reads wait on one stream; more
// callers wait for a place (until their deadline). The node itself works on
// at most 64 reads of a stream and slows the stream down beyond that.

// ReadStreamInFlightMax bounds the reads of one Client waiting on one
// node's stream.
const ReadStreamInFlightMax = 1024

// errorDomain is the ErrorInfo domain of the statuses the nodes send.
const errorDomain = "boxoffice.dev"

// ReadSeatMap reads a seat map like GetSeatMap, routed and retried the same
// way, but as one message on the node's ReadSeatMaps stream. Its errors
// are the status errors GetSeatMap would return.
func (c *Client) ReadSeatMap(ctx context.Context, req *boxofficev1.GetSeatMapRequest) (*boxofficev1.SeatMap, error) {
	var resp *boxofficev1.SeatMap
	err := c.retry(ctx, "ReadSeatMap", req.GetEventId(), seatMapTarget(req), func(ctx context.Context, nc *nodeConn, opts ...grpc.CallOption) error {
		var err error
		resp, err = nc.seatMaps.read(ctx, req, opts)
		return err
	})
	return resp, err
}

// seatMapStreams is the ReadSeatMaps stream of one node, reopened after a
// failure.
type seatMapStreams struct {
	inventory  boxofficev1.InventoryClient
	background context.Context // the Client's: Close ends every stream

	mu      sync.Mutex
	current *seatMapStream
}

func (s *seatMapStreams) read(ctx context.Context, req *boxofficev1.GetSeatMapRequest, opts []grpc.CallOption) (*boxofficev1.SeatMap, error) {
	stream, err := s.stream(ctx)
	if err != nil {
		return nil, err
	}
	resp, err := stream.read(ctx, req)
	if err != nil {
		return nil, err
	}
	if e := resp.GetError(); e != nil {
		if e.GetLeaderAddr() != "" && checkAddr(e.GetLeaderAddr()) == nil {
			// What a unary call's trailer would carry, where retry looks.
			for _, opt := range opts {
				if trailer, ok := opt.(grpc.TrailerCallOption); ok {
					*trailer.TrailerAddr = metadata.Pairs(LeaderAddrMetadataKey, e.GetLeaderAddr())
				}
			}
		}
		return nil, readErrorStatus(e)
	}
	return resp.GetSeatMap(), nil
}

// stream returns the node's open stream, opening one if there is none.
func (s *seatMapStreams) stream(ctx context.Context) (*seatMapStream, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.current != nil && !s.current.broken() {
		return s.current, nil
	}
	streamCtx, cancel := context.WithCancel(s.background)
	// Opening waits for the connection; the caller's deadline bounds that
	// wait, but not the stream, which outlives the caller.
	opened := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			cancel()
		case <-opened:
		}
	}()
	raw, err := s.inventory.ReadSeatMaps(streamCtx)
	close(opened)
	if err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	if err != nil {
		cancel()
		if st, ok := status.FromError(err); ok && st.Code() != codes.Unknown {
			return nil, err
		}
		return nil, status.FromContextError(err).Err()
	}
	stream := &seatMapStream{
		raw:     raw,
		cancel:  cancel,
		slots:   make(chan struct{}, ReadStreamInFlightMax),
		pending: make(map[uint64]chan *boxofficev1.ReadSeatMapsResponse),
	}
	go stream.receive()
	s.current = stream
	return stream, nil
}

// seatMapStream is one open ReadSeatMaps stream.
type seatMapStream struct {
	raw    boxofficev1.Inventory_ReadSeatMapsClient
	cancel context.CancelFunc
	slots  chan struct{} // one per read in flight

	sendMu sync.Mutex // gRPC allows one Send at a time

	mu      sync.Mutex
	nextTag uint64
	pending map[uint64]chan *boxofficev1.ReadSeatMapsResponse // by tag; nil once broken
	err     error                                             // why the stream broke
}

var answerChannels = sync.Pool{New: func() any { return make(chan *boxofficev1.ReadSeatMapsResponse, 1) }}

// read sends one read and waits for its answer, which is nil if the stream
// broke first.
func (s *seatMapStream) read(ctx context.Context, req *boxofficev1.GetSeatMapRequest) (*boxofficev1.ReadSeatMapsResponse, error) {
	select {
	case s.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, status.FromContextError(ctx.Err()).Err()
	}
	defer func() { <-s.slots }()

	answer := answerChannels.Get().(chan *boxofficev1.ReadSeatMapsResponse)
	s.mu.Lock()
	if s.pending == nil {
		err := s.err
		s.mu.Unlock()
		answerChannels.Put(answer)
		return nil, err
	}
	s.nextTag++
	tag := s.nextTag
	s.pending[tag] = answer
	s.mu.Unlock()

	msg := &boxofficev1.ReadSeatMapsRequest{Tag: tag, Read: req}
	if deadline, ok := ctx.Deadline(); ok {
		// Whole milliseconds, at least one: 0 would mean the node's limit.
		msg.TimeoutMs = uint32(max(1, min(time.Until(deadline).Milliseconds(), 1<<31)))
	}
	s.sendMu.Lock()
	err := s.raw.Send(msg)
	s.sendMu.Unlock()
	if err != nil {
		// The stream ended; Recv tells why.
		s.fail(fmt.Errorf("send: %w", err))
	}

	select {
	case resp := <-answer:
		answerChannels.Put(answer)
		if resp == nil {
			return nil, s.brokenError()
		}
		return resp, nil
	case <-ctx.Done():
		s.mu.Lock()
		delete(s.pending, tag)
		s.mu.Unlock()
		// answer may still receive a late response: not reused.
		return nil, status.FromContextError(ctx.Err()).Err()
	}
}

// receive hands every answer to the read waiting for its tag, until the
// stream fails.
func (s *seatMapStream) receive() {
	for {
		resp, err := s.raw.Recv()
		if err != nil {
			s.fail(err)
			return
		}
		s.mu.Lock()
		answer := s.pending[resp.GetTag()]
		delete(s.pending, resp.GetTag())
		s.mu.Unlock()
		if answer != nil {
			answer <- resp // buffered, and only this receiver sends on it
		}
	}
}

// fail marks the stream broken and wakes every read waiting on it.
func (s *seatMapStream) fail(cause error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pending == nil {
		return
	}
	s.err = status.Errorf(codes.Unavailable, "boxoffice client: seat-map read stream failed: %v", cause)
	for _, answer := range s.pending {
		answer <- nil
	}
	s.pending = nil
	s.cancel()
}

func (s *seatMapStream) broken() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pending == nil
}

func (s *seatMapStream) brokenError() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil {
		return errors.New("boxoffice client: seat-map read stream failed")
	}
	return s.err
}

// readErrorStatus rebuilds the status GetSeatMap would have returned.
func readErrorStatus(e *boxofficev1.ReadError) error {
	code := codes.Code(e.GetCode())
	if code == codes.OK {
		code = codes.Unknown // an error must not read as success
	}
	st := status.New(code, e.GetMessage())
	if e.GetReason() != "" {
		if withInfo, err := st.WithDetails(&errdetails.ErrorInfo{Reason: e.GetReason(), Domain: errorDomain, Metadata: e.GetMetadata()}); err == nil {
			st = withInfo
		}
	}
	return st.Err()
}
