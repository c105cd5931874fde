package node

import (
	"context"
	"errors"
	"io"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
)

// taggedStream serves a bidirectional stream of independent requests, each
// answered by one response that carries the request's tag: ReadSeatMaps
// (seatstream.go) and Commands (commandstream.go). A unary call pays for
// a stream of its own (headers, a stream id, a goroutine hand-off,
// flushes) on both sides, which at tens of thousands of small calls a
// second costs far more CPU than the work; on a stream a call costs one
// message each way.
//
// Per stream, three kinds of goroutine:
//   - the receiver takes a slot (at most inFlightMax requests received and
//     not yet answered), receives a request and either answers it itself,
//     when local says it cannot wait (a lookup in a cached view), or hands
//     it to a worker;
//   - at most workersMax workers, started on demand and kept for the
//     stream's life (their stacks have grown already), serve the requests
//     that may wait: on a Raft entry, a leadership check, a forward;
//   - the handler's own goroutine sends the answers as they come, so they
//     leave in the order they are ready, not the order they arrived.
//
// A client that does not read its responses fills the transport's send
// window; Send blocks, slots are not given back, the receiver stops
// receiving and the client's sends block in turn: the node holds at most
// inFlightMax requests and answers per stream, whatever the client does.
// serve must bound its own time (each request has a deadline).
//
// Rejected: one goroutine per request (unbounded; what a unary call does);
// answering in arrival order (one slow request would hold up every other
// behind it); a repeated field of requests per message (clients would
// have to batch; gRPC already coalesces the writes of messages sent back
// to back).
type taggedStream[Req, Resp any] struct {
	inFlightMax int
	workersMax  int
	// local reports whether a request is answered on the receiver's
	// goroutine; nil: none is.
	local func(*Req) bool
	serve func(context.Context, *Req) *Resp
	// open counts the streams being served, inFlight their requests
	// received and not yet answered.
	open, inFlight prometheus.Gauge
}

func (t *taggedStream[Req, Resp]) run(stream grpc.BidiStreamingServer[Req, Resp]) error {
	ctx := stream.Context()
	t.open.Inc()
	defer t.open.Dec()

	slots := make(chan struct{}, t.inFlightMax)
	// Never blocks: a request holds a slot until its answer is sent.
	answers := make(chan *Resp, t.inFlightMax)
	var recvErr error
	go func() {
		recvErr = t.receive(ctx, stream, slots, answers)
		close(answers)
	}()

	var sendErr error
	for answer := range answers {
		if sendErr == nil {
			sendErr = stream.Send(answer)
		}
		<-slots
		t.inFlight.Dec()
	}
	// The receiver has returned: after a failed Send it did too, as the
	// stream is finished and Recv fails.
	if sendErr != nil {
		return sendErr
	}
	if errors.Is(recvErr, io.EOF) {
		return nil // the client closed its side and has every answer
	}
	return recvErr
}

// receive receives requests until the client closes its side or the stream
// fails, and returns once every request it received has an answer in
// answers.
func (t *taggedStream[Req, Resp]) receive(ctx context.Context, stream grpc.BidiStreamingServer[Req, Resp],
	slots chan struct{}, answers chan<- *Resp) error {
	var (
		workers sync.WaitGroup
		started int
		waiting = make(chan *Req)
	)
	defer func() {
		close(waiting)
		workers.Wait()
	}()
	for {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		req, err := stream.Recv()
		if err != nil {
			<-slots
			return err
		}
		t.inFlight.Inc()
		if t.local != nil && t.local(req) {
			answers <- t.serve(ctx, req)
			continue
		}
		select {
		case waiting <- req:
			continue
		default:
		}
		if started < t.workersMax {
			started++
			workers.Go(func() {
				answers <- t.serve(ctx, req)
				for req := range waiting {
					answers <- t.serve(ctx, req)
				}
			})
			continue
		}
		waiting <- req // every worker is busy: wait for one (each request has a deadline)
	}
}
