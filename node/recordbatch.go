package node

import (
	"context"
	"fmt"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/fsm"
	"github.com/boxoffice/boxoffice/fsm/fsmpb"
)

// Batch applies operations on keys of one placement atomically, as one
// RECORD_BATCH command in that placement's group (see records.go). The
// node checks what it can without the state (feature level, request id,
// counts, sizes, one placement, no key twice) before proposing; the
// state machine checks the conditions and applies all or none.
func (s *recordsService) Batch(ctx context.Context, req *boxofficev1.BatchRecordsRequest) (*boxofficev1.BatchRecordsResponse, error) {
	ctx, cancel := s.host.requestContext(ctx)
	defer cancel()
	res, err := s.host.recordBatch(ctx, req)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	out := &boxofficev1.BatchRecordsResponse{Results: make([]*boxofficev1.RecordOpResult, len(res.OpResults))}
	for i, r := range res.OpResults {
		out.Results[i] = &boxofficev1.RecordOpResult{Version: r.Version, Value: r.Value}
	}
	return out, nil
}

func (h *Host) recordBatch(ctx context.Context, req *boxofficev1.BatchRecordsRequest) (*fsmpb.Result, error) {
	if err := h.requireFeatureLevel(featureLevelRecordBatch); err != nil {
		return nil, err
	}
	if err := checkRecordRequestID(req.RequestId); err != nil {
		return nil, err
	}
	body, placement, err := recordBatchBody(req.Ops)
	if err != nil {
		return nil, err
	}
	groupID, err := h.placementGroup(placement)
	if err != nil {
		return nil, err
	}
	res, err := h.recordCommandIn(ctx, groupID, req.RequestId, &fsmpb.Command{
		Type: fsmpb.CommandType_COMMAND_TYPE_RECORD_BATCH,
		Body: &fsmpb.Command_RecordBatch{RecordBatch: body},
	})
	if err != nil {
		return nil, err
	}
	if len(res.OpResults) != len(req.Ops) {
		// A group on a build that applies RECORD_BATCH otherwise: the level
		// gate should have kept the command from it.
		return nil, fmt.Errorf("group %s answered %d results for %d operations", groupID, len(res.OpResults), len(req.Ops))
	}
	return res, nil
}

// recordBatchBody checks a Batch's operations and returns the command
// body and the placement of their keys.
func recordBatchBody(ops []*boxofficev1.RecordOp) (*fsmpb.RecordBatch, string, error) {
	if len(ops) == 0 {
		return nil, "", invalid("a batch needs at least one operation")
	}
	if len(ops) > fsm.MaxRecordBatchOps {
		return nil, "", fmt.Errorf("%w: %d operations; a batch has at most %d", ErrTooLarge, len(ops), fsm.MaxRecordBatchOps)
	}
	body := &fsmpb.RecordBatch{Ops: make([]*fsmpb.RecordOp, len(ops))}
	placement := boxofficev1.RecordPlacement(ops[0].GetKey())
	seen := make(map[string]int, len(ops))
	size := 0
	for i, op := range ops {
		if err := checkRecordKey(op.GetKey()); err != nil {
			return nil, "", fmt.Errorf("operation %d: %w", i, err)
		}
		if len(op.GetValue()) > fsm.MaxRecordValueBytes {
			return nil, "", fmt.Errorf("%w: operation %d: value is %d bytes; the limit is %d", ErrTooLarge, i, len(op.GetValue()), fsm.MaxRecordValueBytes)
		}
		size += len(op.GetKey()) + len(op.GetValue())
		if p := boxofficev1.RecordPlacement(op.GetKey()); p != placement {
			return nil, "", invalid("operation %d: key %q has placement %q, operation 0's key %q has %q: a batch writes keys of one placement (the text between \"{\" and \"}\" in the key)",
				i, op.GetKey(), p, ops[0].GetKey(), placement)
		}
		if j, dup := seen[op.GetKey()]; dup {
			return nil, "", invalid("operations %d and %d both name key %q; a batch names each key once", j, i, op.GetKey())
		}
		seen[op.GetKey()] = i
		kind, ok := recordOpKinds[op.GetKind()]
		if !ok {
			return nil, "", invalid("operation %d: kind %v is not PUT, DELETE, ADD or CHECK", i, op.GetKind())
		}
		body.Ops[i] = &fsmpb.RecordOp{Kind: kind, Key: op.GetKey(), ExpectedVersion: op.GetExpectedVersion(), AnyVersion: op.GetAnyVersion(),
			Value: op.GetValue(), Delta: op.GetDelta(), Min: op.GetMin(), Max: op.GetMax()}
	}
	if size > fsm.MaxRecordBatchBytes {
		return nil, "", fmt.Errorf("%w: the batch's keys and values are %d bytes; the limit is %d", ErrTooLarge, size, fsm.MaxRecordBatchBytes)
	}
	return body, placement, nil
}

var recordOpKinds = map[boxofficev1.RecordOp_Kind]fsmpb.RecordOpKind{
	boxofficev1.RecordOp_KIND_PUT:    fsmpb.RecordOpKind_RECORD_OP_KIND_PUT,
	boxofficev1.RecordOp_KIND_DELETE: fsmpb.RecordOpKind_RECORD_OP_KIND_DELETE,
	boxofficev1.RecordOp_KIND_ADD:    fsmpb.RecordOpKind_RECORD_OP_KIND_ADD,
	boxofficev1.RecordOp_KIND_CHECK:  fsmpb.RecordOpKind_RECORD_OP_KIND_CHECK,
}
