package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
)

// Calls over streams. Seat-map reads (ReadSeatMaps, seatstream.go) and
// mutations (Commands, commands.go) go as one message each on a
// long-lived stream to the chosen node instead of a unary call: a unary
// call sets up and tears down an HTTP/2 stream and pays its own flushes on
// both sides, which costs more CPU than the work itself. Every node gets
// one stream of each kind per Client, opened on first use and shared by
// every concurrent caller; each message carries a tag the stream's
// receiver matches its answer by, since a node answers in any order. A
// stream that fails fails its calls in flight with UNAVAILABLE (retried
// like any call: mutations keep their request ids) and is opened again by
// the next call. Commands streams batch once the node says it reads
// batches: the commands queued while a message is being sent go in the
// next one, and a message of answers may carry several.

// taggedResponse is what every response message of a tagged stream has.
type taggedResponse interface {
	GetTag() uint64
	GetError() *boxofficev1.StreamError
}

// taggedStreams is one node's stream of one kind, reopened after a failure.
type taggedStreams[Req, Resp any] struct {
	kind        string // for errors: "seat-map read", "command"
	open        func(context.Context) (grpc.BidiStreamingClient[Req, Resp], error)
	background  context.Context // the Client's: Close ends every stream
	inFlightMax int
	// Batches (several requests or answers in one message), when the
	// node announces them in its response header batchKey: join puts
	// requests into the message of the first one, split takes further
	// answers out of a message. batchKey "": never batched.
	batchKey string
	join     func(first *Req, rest []*Req)
	split    func(*Resp) []*Resp

	mu      sync.Mutex
	current *taggedStream[Req, Resp]
}

// call sends the message build makes (given its tag and the timeout left,
// in milliseconds, 0 for none) and waits for its answer, until ctx ends or
// deadline (zero: none but ctx's) passes. An answer that is a StreamError
// comes back as the status error the unary call would have returned, its
// leader hint set where a unary call's trailer would have put it (in opts,
// where retry looks).
func (s *taggedStreams[Req, Resp]) call(ctx context.Context, deadline time.Time, opts []grpc.CallOption, build func(tag uint64, timeoutMs uint32) *Req) (*Resp, error) {
	stream, err := s.stream(ctx)
	if err != nil {
		return nil, err
	}
	resp, err := stream.call(ctx, deadline, build)
	if err != nil {
		return nil, err
	}
	if e := any(resp).(taggedResponse).GetError(); e != nil {
		if e.GetLeaderAddr() != "" && checkAddr(e.GetLeaderAddr()) == nil {
			for _, opt := range opts {
				if trailer, ok := opt.(grpc.TrailerCallOption); ok {
					*trailer.TrailerAddr = metadata.Pairs(LeaderAddrMetadataKey, e.GetLeaderAddr())
				}
			}
		}
		return nil, streamErrorStatus(e)
	}
	return resp, nil
}

// stream returns the node's open stream, opening one if there is none.
func (s *taggedStreams[Req, Resp]) stream(ctx context.Context) (*taggedStream[Req, Resp], error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.current != nil && !s.current.broken() {
		return s.current, nil
	}
	streamCtx, cancel := context.WithCancel(s.background)
	// Opening waits for the connection; the caller's deadline bounds that
	// wait, but not the stream, which outlives the caller. (A watcher
	// goroutine that selected on the caller's Done and an "opened" channel
	// could, when scheduled late, see both ready and cancel a stream
	// already shared; AfterFunc's stop says for certain whether the
	// cancel can still run.)
	stopWatching := context.AfterFunc(ctx, cancel)
	openCtx := streamCtx
	if s.batchKey != "" {
		openCtx = metadata.AppendToOutgoingContext(streamCtx, s.batchKey, "1")
	}
	raw, err := s.open(openCtx)
	if !stopWatching() && err == nil {
		err = ctx.Err() // the caller's context ended while opening: the stream is canceled
	}
	if err != nil {
		cancel()
		if st, ok := status.FromError(err); ok && st.Code() != codes.Unknown {
			return nil, err
		}
		return nil, status.FromContextError(err).Err()
	}
	stream := &taggedStream[Req, Resp]{
		kind:     s.kind,
		raw:      raw,
		cancel:   cancel,
		slots:    make(chan struct{}, s.inFlightMax),
		pending:  make(map[uint64]pendingCall[Resp]),
		expired:  new(Resp),
		batchKey: s.batchKey,
		join:     s.join,
		split:    s.split,
	}
	go stream.receive()
	s.current = stream
	return stream, nil
}

// taggedStream is one open stream.
type taggedStream[Req, Resp any] struct {
	kind   string
	raw    grpc.BidiStreamingClient[Req, Resp]
	cancel context.CancelFunc
	slots  chan struct{} // one per call in flight

	// Sends: gRPC allows one Send at a time, so the caller that finds
	// no send in progress sends, and keeps sending what other callers
	// queue meanwhile (in one message each time once batching is on);
	// the others return at once to wait for their answers.
	sendMu  sync.Mutex
	queue   []*Req // to send, under sendMu
	spare   []*Req // the previous queue's array, for reuse
	sending bool   // a caller is sending, under sendMu

	batchKey string
	join     func(first *Req, rest []*Req)
	split    func(*Resp) []*Resp
	batching atomic.Bool // the node announced batches

	mu       sync.Mutex
	nextTag  uint64
	pending  map[uint64]pendingCall[Resp] // by tag; nil once broken
	err      error                        // why the stream broke
	free     []chan *Resp                 // answer channels to reuse
	sweeping bool                         // a sweep goroutine runs

	// expired is what the sweeper hands a call whose deadline passed
	// without an answer (compared by address, never sent to a node).
	expired *Resp
}

// pendingCall is a call waiting for its answer.
type pendingCall[Resp any] struct {
	answer   chan *Resp
	deadline time.Time // zero: none (the caller's context bounds the wait)
}

// sweepEvery is how often a stream with calls waiting fails those whose
// deadline has passed. The node answers DEADLINE_EXCEEDED itself at the
// same deadline (it gets the time left with the message); the sweeper is
// for a node that answers nothing (paused, cut off), and saves every call
// the runtime timer a context with its own deadline costs.
const sweepEvery = 10 * time.Millisecond

// call sends one message and waits for its answer, until ctx ends or
// deadline (unless zero) passes.
func (s *taggedStream[Req, Resp]) call(ctx context.Context, deadline time.Time, build func(tag uint64, timeoutMs uint32) *Req) (*Resp, error) {
	select {
	case s.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, status.FromContextError(ctx.Err()).Err()
	}
	defer func() { <-s.slots }()

	s.mu.Lock()
	if s.pending == nil {
		err := s.err
		s.mu.Unlock()
		return nil, err
	}
	var answer chan *Resp
	if n := len(s.free); n > 0 {
		answer, s.free = s.free[n-1], s.free[:n-1]
	} else {
		answer = make(chan *Resp, 1)
	}
	s.nextTag++
	tag := s.nextTag
	if d, ok := ctx.Deadline(); ok && (deadline.IsZero() || d.Before(deadline)) {
		deadline = d
	}
	s.pending[tag] = pendingCall[Resp]{answer: answer, deadline: deadline}
	startSweep := !s.sweeping && !deadline.IsZero()
	if startSweep {
		s.sweeping = true
	}
	s.mu.Unlock()
	if startSweep {
		go s.sweep()
	}

	var timeoutMs uint32
	if !deadline.IsZero() {
		// Whole milliseconds, at least one: 0 would mean the node's limit.
		timeoutMs = uint32(max(1, min(time.Until(deadline).Milliseconds(), 1<<31)))
	}
	s.send(build(tag, timeoutMs))

	select {
	case resp := <-answer:
		if resp == nil {
			return nil, s.brokenError()
		}
		s.mu.Lock()
		s.free = append(s.free, answer)
		s.mu.Unlock()
		if resp == s.expired {
			return nil, status.Error(codes.DeadlineExceeded, "boxoffice client: no answer on the "+s.kind+" stream by the deadline")
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

// sendBatchMax bounds the requests put in one message.
const sendBatchMax = 256

// send queues msg and, unless another caller is sending, sends everything
// queued until the queue is empty.
func (s *taggedStream[Req, Resp]) send(msg *Req) {
	s.sendMu.Lock()
	s.queue = append(s.queue, msg)
	if s.sending {
		s.sendMu.Unlock()
		return
	}
	s.sending = true
	if s.batching.Load() {
		// Callers woken by one message of answers send again
		// together: let those already runnable queue first.
		s.sendMu.Unlock()
		runtime.Gosched()
		s.sendMu.Lock()
	}
	for len(s.queue) > 0 {
		batch := s.queue
		s.queue, s.spare = s.spare[:0], nil
		s.sendMu.Unlock()
		s.sendAll(batch)
		clear(batch)
		s.sendMu.Lock()
		s.spare = batch[:0]
	}
	s.sending = false
	s.sendMu.Unlock()
}

// sendAll sends batch, as few messages as the node accepts.
func (s *taggedStream[Req, Resp]) sendAll(batch []*Req) {
	for len(batch) > 0 {
		n := 1
		if s.join != nil && s.batching.Load() {
			n = min(len(batch), sendBatchMax)
		}
		first := batch[0]
		if n > 1 {
			s.join(first, batch[1:n])
		}
		err := s.raw.Send(first)
		if n > 1 {
			s.join(first, nil)
		}
		if err != nil && !errors.Is(err, io.EOF) {
			s.fail(fmt.Errorf("send: %w", err))
		}
		// io.EOF: the stream has ended, and the receiver fails it with
		// the status Recv returns, which says why (UNIMPLEMENTED from a
		// node without the method, for one).
		batch = batch[n:]
	}
}

// receive hands every answer to the call waiting for its tag, until the
// stream fails.
func (s *taggedStream[Req, Resp]) receive() {
	if s.batchKey != "" {
		// A node that reads batches says so in a header it sends at
		// once; any other sends its header with its first answer.
		if md, err := s.raw.Header(); err == nil && slices.Contains(md.Get(s.batchKey), "1") {
			s.batching.Store(true)
		}
	}
	for {
		resp, err := s.raw.Recv()
		if err != nil {
			s.fail(err)
			return
		}
		var more []*Resp
		if s.split != nil {
			more = s.split(resp) // before resp is handed over
		}
		s.deliver(resp)
		for _, resp := range more {
			s.deliver(resp)
		}
	}
}

// deliver hands one answer to the call waiting for its tag.
func (s *taggedStream[Req, Resp]) deliver(resp *Resp) {
	tag := any(resp).(taggedResponse).GetTag()
	s.mu.Lock()
	call, ok := s.pending[tag]
	delete(s.pending, tag)
	s.mu.Unlock()
	if ok {
		call.answer <- resp // buffered; whoever deletes the tag sends, once
	}
}

// sweep fails, every sweepEvery, the calls whose deadline has passed, until
// no call is waiting or the stream breaks.
func (s *taggedStream[Req, Resp]) sweep() {
	ticker := time.NewTicker(sweepEvery)
	defer ticker.Stop()
	for now := range ticker.C {
		s.mu.Lock()
		for tag, call := range s.pending {
			if !call.deadline.IsZero() && !now.Before(call.deadline) {
				delete(s.pending, tag)
				call.answer <- s.expired
			}
		}
		if len(s.pending) == 0 { // also once broken (nil)
			s.sweeping = false
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
	}
}

// fail marks the stream broken and wakes every call waiting on it. The
// calls fail with UNAVAILABLE (worth retrying), except when the node does
// not know the stream's method: UNIMPLEMENTED, for the caller to fall
// back on unary calls.
func (s *taggedStream[Req, Resp]) fail(cause error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pending == nil {
		return
	}
	code := codes.Unavailable
	if status.Code(cause) == codes.Unimplemented {
		code = codes.Unimplemented
	}
	s.err = &streamFailedError{st: status.Newf(code, "boxoffice client: %s stream failed: %v", s.kind, cause)}
	for _, call := range s.pending {
		call.answer <- nil
	}
	s.pending = nil
	s.cancel()
}

func (s *taggedStream[Req, Resp]) broken() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pending == nil
}

func (s *taggedStream[Req, Resp]) brokenError() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil {
		return errors.New("boxoffice client: " + s.kind + " stream failed")
	}
	return s.err
}

// streamFailedError is the error of the calls of a stream that failed: a
// gRPC status (UNAVAILABLE, or UNIMPLEMENTED when the node does not serve
// the stream's method) that says it was the stream, not an answer, that
// failed. The caller must judge by the stream its call used: by the time
// it looks, another caller may have opened the node's next stream.
type streamFailedError struct{ st *status.Status }

func (e *streamFailedError) Error() string              { return e.st.Err().Error() }
func (e *streamFailedError) GRPCStatus() *status.Status { return e.st }

// methodUnimplemented reports whether err says a stream failed because the
// node does not serve the stream's method.
func methodUnimplemented(err error) bool {
	var failed *streamFailedError
	return errors.As(err, &failed) && failed.st.Code() == codes.Unimplemented
}

// streamErrorStatus rebuilds the status the unary call would have returned.
func streamErrorStatus(e *boxofficev1.StreamError) error {
	code := codes.Code(e.GetCode())
	if code == codes.OK {
		code = codes.Unknown // an error must not read as success
	}
	st := status.New(code, e.GetMessage())
	if e.GetReason() != "" {
		if withInfo, err := st.WithDetails(&errdetails.ErrorInfo{Reason: e.GetReason(), Domain: boxofficev1.ErrorDomain, Metadata: e.GetMetadata()}); err == nil {
			st = withInfo
		}
	}
	return st.Err()
}
