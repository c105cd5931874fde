package node

import (
	"context"
	"errors"
	"io"
	"sync"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
)

// ReadSeatMaps serves many GetSeatMap reads over one stream. A unary call
// pays for a stream of its own (headers, a stream id, a goroutine hand-off,
// flushes) on both sides, which at tens of thousands of small reads a
// second costs far more CPU than the read (a cached view, seatview.go);
// on a stream a read costs one message each way.
//
// Per stream, three kinds of goroutine:
//   - the receiver takes a slot (at most seatStreamInFlightMax reads
//     received and not yet sent), receives a read and either answers it
//     itself, when it is a STALE read of shards this node holds (no
//     waiting: a lookup in a cached view), or hands it to a worker;
//   - at most seatStreamWorkersMax workers, started on demand, serve the
//     reads that may wait: LINEARIZABLE reads (through the group's read
//     gate, which batches concurrent reads into one leadership check) and
//     reads forwarded to another node's replica;
//   - the handler's own goroutine sends the answers as they come, so they
//     leave in the order they are ready, not the order they arrived.
//
// A client that does not read its responses fills the transport's send
// window; Send blocks, slots are not given back, the receiver stops
// receiving and the client's sends block in turn: the node holds at most
// seatStreamInFlightMax reads and answers per stream, whatever the client
// does. Every read has a deadline (the node's RequestTimeout, or the
// read's shorter timeout_ms).
//
// Rejected: one goroutine per read (unbounded; what a unary call does);
// answering in arrival order (one slow LINEARIZABLE read or forward would
// hold up every STALE read behind it); a repeated field of reads per
// message (clients would have to batch; gRPC already coalesces the writes
// of messages sent back to back).
const (
	// seatStreamInFlightMax bounds the reads of one stream that the node
	// has received and not yet answered (the proto documents 64).
	seatStreamInFlightMax = 64
	// seatStreamWorkersMax bounds the goroutines of one stream that serve
	// reads which may wait (LINEARIZABLE, forwarded).
	seatStreamWorkersMax = 16
)

// streamReadMethod labels the reads of ReadSeatMaps streams in the
// operations and request-seconds metrics, one observation per read.
const streamReadMethod = "ReadSeatMaps"

func (s *inventoryService) ReadSeatMaps(stream boxofficev1.Inventory_ReadSeatMapsServer) error {
	h := s.host
	ctx := stream.Context()
	h.metrics.readStreamsOpen.Inc()
	defer h.metrics.readStreamsOpen.Dec()

	slots := make(chan struct{}, seatStreamInFlightMax)
	// Never blocks: a read holds a slot until its answer is sent.
	answers := make(chan *boxofficev1.ReadSeatMapsResponse, seatStreamInFlightMax)
	var recvErr error
	go func() {
		recvErr = h.receiveSeatMapReads(ctx, stream, slots, answers)
		close(answers)
	}()

	var sendErr error
	for answer := range answers {
		if sendErr == nil {
			sendErr = stream.Send(answer)
		}
		<-slots
		h.metrics.readStreamsInFlight.Dec()
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

// receiveSeatMapReads receives reads until the client closes its side or
// the stream fails, and returns once every read it received has an answer
// in answers.
func (h *Host) receiveSeatMapReads(ctx context.Context, stream boxofficev1.Inventory_ReadSeatMapsServer,
	slots chan struct{}, answers chan<- *boxofficev1.ReadSeatMapsResponse) error {
	var (
		workers sync.WaitGroup
		started int
		waiting = make(chan *boxofficev1.ReadSeatMapsRequest)
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
		h.metrics.readStreamsInFlight.Inc()
		if h.servesLocally(req.GetRead()) {
			answers <- h.streamRead(ctx, req)
			continue
		}
		select {
		case waiting <- req:
			continue
		default:
		}
		if started < seatStreamWorkersMax {
			started++
			workers.Go(func() {
				answers <- h.streamRead(ctx, req)
				for req := range waiting {
					answers <- h.streamRead(ctx, req)
				}
			})
			continue
		}
		waiting <- req // every worker is busy: wait for one (each read has a deadline)
	}
}

// servesLocally reports whether a read is STALE and every shard it reads
// has a replica here, so that answering it cannot wait on the network.
func (h *Host) servesLocally(req *boxofficev1.GetSeatMapRequest) bool {
	if req.GetConsistency() != boxofficev1.ReadConsistency_READ_CONSISTENCY_STALE {
		return false
	}
	e := h.catalog.Event(req.GetEventId())
	if e == nil {
		return false // unknown here: the meta leader may know it
	}
	if len(req.SectionIds) == 1 {
		sh := shardOfSection(e, req.SectionIds[0])
		if sh == nil {
			sh = shardOfPool(e, req.SectionIds[0])
		}
		return sh == nil || h.group(sh.GroupId) != nil // an unknown section is answered at once
	}
	for _, sh := range e.Shards {
		if h.group(sh.GroupId) == nil {
			return false
		}
	}
	return true
}

// streamRead serves one read of a stream exactly as GetSeatMap serves a
// call, and turns its error into a ReadError with the status GetSeatMap
// would have returned.
func (h *Host) streamRead(ctx context.Context, req *boxofficev1.ReadSeatMapsRequest) *boxofficev1.ReadSeatMapsResponse {
	began := time.Now()
	answer := &boxofficev1.ReadSeatMapsResponse{Tag: req.Tag}
	var err error
	if req.Read == nil {
		err = invalid("read is required: the GetSeatMapRequest of this read")
	} else {
		timeout := h.cfg.RequestTimeout
		if limit := time.Duration(req.TimeoutMs) * time.Millisecond; limit > 0 && limit < timeout {
			timeout = limit
		}
		readCtx, cancel := context.WithTimeout(ctx, timeout)
		var seatMap *boxofficev1.SeatMap
		seatMap, err = h.getSeatMap(readCtx, req.Read)
		cancel()
		if err == nil {
			answer.Result = &boxofficev1.ReadSeatMapsResponse_SeatMap{SeatMap: seatMap}
		}
	}
	code := codes.OK
	if err != nil {
		readErr := readError(err)
		code = codes.Code(readErr.Code)
		answer.Result = &boxofficev1.ReadSeatMapsResponse_Error{Error: readErr}
	}
	h.metrics.operations.WithLabelValues(streamReadMethod, code.String()).Inc()
	h.metrics.requestSecs.WithLabelValues(streamReadMethod).Observe(time.Since(began).Seconds())
	return answer
}

// readError maps err through toStatus, the one mapping of errors to
// statuses. toStatus gets a context without the stream, so that it sets
// no trailer on the stream (it would be the stream's, sent at its end):
// the leader hint of this read travels in the ReadError instead.
func readError(err error) *boxofficev1.ReadError {
	st := status.Convert(toStatus(context.Background(), err))
	out := &boxofficev1.ReadError{Code: int32(st.Code()), Message: st.Message()}
	for _, detail := range st.Details() {
		if info, ok := detail.(*errdetails.ErrorInfo); ok {
			out.Reason, out.Metadata = info.GetReason(), info.GetMetadata()
		}
	}
	var noLeader *noLeaderError
	if errors.As(err, &noLeader) {
		out.LeaderAddr = noLeader.leaderGRPC
	}
	return out
}
