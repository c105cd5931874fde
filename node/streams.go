package node

import (
	"context"
	"errors"
	"io"
	"runtime"
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
// Batches (split and join, Commands only): a message may carry further
// requests, each taking a slot of its own, and the sending goroutine puts
// the answers ready when it sends into one message (ARCHITECTURE.md
// "Batched messages"): gRPC's per-message work (framing, flow control,
// the writer's wake-ups) is paid once per batch.
//
// Rejected: one goroutine per request (unbounded; what a unary call does);
// answering in arrival order (one slow request would hold up every other
// behind it).
type taggedStream[Req, Resp any] struct {
	inFlightMax int
	workersMax  int
	// local reports whether a request is answered on the receiver's
	// goroutine; nil: none is.
	local func(*Req) bool
	serve func(context.Context, *Req) *Resp
	// split takes the further requests a message carries out of it (the
	// message is then the first request alone); nil: a message is one
	// request.
	split func(*Req) []*Req
	// join puts answers into the message of the first one; nil: every
	// answer goes in a message of its own. The sender puts in one message
	// the answers that are ready when it sends, never waiting for more.
	join func(first *Resp, rest []*Resp)
	// joinMax bounds the answers in one message.
	joinMax int
	// open counts the streams being served, inFlight their requests
	// received and not yet answered.
	open, inFlight prometheus.Gauge
	// received and sent count messages (a batch is one); nil: not counted.
	received, sent prometheus.Counter
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

	var (
		sendErr error
		batch   []*Resp
	)
	for answer := range answers {
		batch = append(batch[:0], answer)
		if t.join != nil {
			// The answers of one Raft entry come out together: let the
			// workers already woken for them run first, so that one
			// message carries them.
			runtime.Gosched()
		more:
			for len(batch) < t.joinMax {
				select {
				case a, ok := <-answers:
					if !ok {
						break more
					}
					batch = append(batch, a)
				default:
					break more
				}
			}
			if len(batch) > 1 {
				t.join(batch[0], batch[1:])
			}
		}
		if sendErr == nil {
			sendErr = stream.Send(answer)
			if t.sent != nil {
				t.sent.Inc()
			}
		}
		if len(batch) > 1 {
			t.join(batch[0], nil)
		}
		for range batch {
			<-slots
			t.inFlight.Dec()
		}
		clear(batch)
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
		if t.received != nil {
			t.received.Inc()
		}
		var more []*Req
		if t.split != nil {
			more = t.split(req)
		}
		t.dispatch(ctx, req, answers, waiting, &workers, &started)
		for _, req := range more {
			// Each further request takes a slot of its own: a batch
			// larger than the free slots waits for answers to go out.
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return ctx.Err()
			}
			t.dispatch(ctx, req, answers, waiting, &workers, &started)
		}
	}
}

// dispatch serves one received request (holding a slot): on the
// receiver's goroutine when local says so, else on a worker.
func (t *taggedStream[Req, Resp]) dispatch(ctx context.Context, req *Req, answers chan<- *Resp,
	waiting chan *Req, workers *sync.WaitGroup, started *int) {
	t.inFlight.Inc()
	if t.local != nil && t.local(req) {
		answers <- t.serve(ctx, req)
		return
	}
	select {
	case waiting <- req:
		return
	default:
	}
	if *started < t.workersMax {
		*started++
		workers.Go(func() {
			// Each request's deadline registers with this worker's own
			// context, not the stream's, which every worker would
			// otherwise lock (6–7% of a leader's CPU at 256 clients).
			ctx, cancel := context.WithCancel(ctx)
			defer cancel()
			answers <- t.serve(ctx, req)
			for req := range waiting {
				answers <- t.serve(ctx, req)
			}
		})
		return
	}
	waiting <- req // every worker is busy: wait for one (each request has a deadline)
}
