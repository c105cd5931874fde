package node

import (
	"context"
	"errors"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/node/crossshard"
)

// ReadSeatMaps serves many GetSeatMap reads over one stream (taggedStream,
// streams.go). STALE reads of shards this node holds are answered on the
// receiver's goroutine (a lookup in a cached view, seatview.go: no
// waiting); LINEARIZABLE reads (through the group's read gate, which
// batches concurrent reads into one leadership check) and reads forwarded
// to another node's replica go to the workers. Every read has a deadline
// (the node's RequestTimeout, or the read's shorter timeout_ms).
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
	t := taggedStream[boxofficev1.ReadSeatMapsRequest, boxofficev1.ReadSeatMapsResponse]{
		inFlightMax: seatStreamInFlightMax,
		workersMax:  seatStreamWorkersMax,
		local:       func(req *boxofficev1.ReadSeatMapsRequest) bool { return h.servesLocally(req.GetRead()) },
		serve:       h.streamRead,
		open:        h.metrics.readStreamsOpen,
		inFlight:    h.metrics.readStreamsInFlight,
	}
	return t.run(stream)
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
		sh := crossshard.ShardOfSection(e, req.SectionIds[0])
		if sh == nil {
			sh = crossshard.ShardOfPool(e, req.SectionIds[0])
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
// call, and turns its error into a StreamError with the status GetSeatMap
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
		streamErr := streamError(err)
		code = codes.Code(streamErr.Code)
		answer.Result = &boxofficev1.ReadSeatMapsResponse_Error{Error: streamErr}
	}
	h.observeCall(streamReadMethod, code, began)
	return answer
}

// streamError maps err through toStatus, the one mapping of errors to
// statuses. toStatus gets a context without the stream, so that it sets
// no trailer on the stream (it would be the stream's, sent at its end):
// the leader hint of this read or command travels in the StreamError
// instead.
func streamError(err error) *boxofficev1.StreamError {
	st := status.Convert(toStatus(context.Background(), err))
	out := &boxofficev1.StreamError{Code: int32(st.Code()), Message: st.Message()}
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
