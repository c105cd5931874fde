package fsm

import (
	"strconv"

	"github.com/boxoffice/boxoffice/fsm/fsmpb"
)

// RECORD_BATCH: several record operations applied as one (the checkout
// gateway writes the records of one flow and placement together).
//
// Refusals, checked in this order, change nothing: the batch as a whole
// (INVALID with no operation, or more than MaxRecordBatchOps; TOO_LARGE
// over MaxRecordBatchBytes of keys and values); then each operation in
// order, with the checks and codes of its single-key command (and INVALID
// for an unknown kind or a key named twice), the refusal naming it in
// Result.op_index; last TOO_LARGE when the batch's writes together would
// overfill the table. Otherwise every operation applies, in order, each
// write taking the next version, so the versions a batch gives are
// consecutive.

// Batch limits.
const (
	// MaxRecordBatchOps bounds the operations of one RECORD_BATCH.
	MaxRecordBatchOps = 64
	// MaxRecordBatchBytes bounds the sum of a RECORD_BATCH's keys and
	// values (1 MiB, the size of one log write batch), so that one command
	// never dominates a Raft entry.
	MaxRecordBatchBytes = 4 * MaxRecordValueBytes
)

// batchOp is one checked operation, waiting to apply.
type batchOp struct {
	current *record
	text    []byte // ADD: the new counter value as stored
	next    int64  // ADD: the new counter value
}

func (s *Store) recordBatch(c *fsmpb.RecordBatch) *fsmpb.Result {
	ops := c.Ops
	if len(ops) == 0 || len(ops) > MaxRecordBatchOps {
		return refuse(codeInvalid, "a record batch has 1..%d operations, not %d", MaxRecordBatchOps, len(ops))
	}
	size := 0
	for _, op := range ops {
		size += len(op.Key) + len(op.Value)
	}
	if size > MaxRecordBatchBytes {
		return refuse(codeTooLarge, "record batch keys and values are %d bytes; the limit is %d", size, MaxRecordBatchBytes)
	}
	checked := make([]batchOp, len(ops))
	seen := make(map[string]struct{}, len(ops))
	var addRecords, addBytes int64
	for i, op := range ops {
		refusal := s.checkBatchOp(op, &checked[i], seen)
		if refusal != nil {
			refusal.Message = "operation " + strconv.Itoa(i) + ": " + refusal.Message
			index := uint32(i)
			refusal.OpIndex = &index
			return refusal
		}
		current := checked[i].current
		switch op.Kind {
		case fsmpb.RecordOpKind_RECORD_OP_KIND_PUT:
			addBytes += int64(len(op.Key) + len(op.Value))
		case fsmpb.RecordOpKind_RECORD_OP_KIND_ADD:
			addBytes += int64(len(op.Key) + len(checked[i].text))
		case fsmpb.RecordOpKind_RECORD_OP_KIND_DELETE:
			if current != nil {
				addRecords--
				addBytes -= current.size()
			}
			continue
		default:
			continue
		}
		if current == nil {
			addRecords++
		} else {
			addBytes -= current.size()
		}
	}
	if addRecords > 0 && int64(s.records.tree.Len())+addRecords > MaxRecordsPerStore {
		return refuse(codeTooLarge, "the group already holds %d records", s.records.tree.Len())
	}
	if s.records.bytes+addBytes > MaxRecordBytesPerStore {
		return refuse(codeTooLarge, "the group's records would exceed %d bytes", MaxRecordBytesPerStore)
	}
	res := &fsmpb.Result{Code: codeOK, OpResults: make([]*fsmpb.RecordOpResult, len(ops))}
	for i, op := range ops {
		b := &checked[i]
		out := &fsmpb.RecordOpResult{}
		switch op.Kind {
		case fsmpb.RecordOpKind_RECORD_OP_KIND_PUT:
			// Own the value: the command's bytes may be shared with a
			// decoded entry the caller keeps.
			out.Version = s.records.put(b.current, op.Key, append([]byte(nil), op.Value...))
		case fsmpb.RecordOpKind_RECORD_OP_KIND_ADD:
			out.Version = s.records.put(b.current, op.Key, b.text)
			out.Value = b.next
		case fsmpb.RecordOpKind_RECORD_OP_KIND_DELETE:
			if b.current != nil {
				s.records.version++
				s.records.bytes -= b.current.size()
				s.records.tree.Delete(b.current)
				out.Version = s.records.version
			}
		case fsmpb.RecordOpKind_RECORD_OP_KIND_CHECK:
			out.Version = b.current.currentVersion()
		}
		res.OpResults[i] = out
	}
	return res
}

// checkBatchOp checks one operation against the current state, filling
// b, and returns its refusal, if any.
func (s *Store) checkBatchOp(op *fsmpb.RecordOp, b *batchOp, seen map[string]struct{}) *fsmpb.Result {
	if op == nil {
		return refuse(codeInvalid, "empty operation")
	}
	if refusal := checkRecordKey(op.Key); refusal != nil {
		return refusal
	}
	if _, dup := seen[op.Key]; dup {
		return refuse(codeInvalid, "record %q is named twice in one batch", op.Key)
	}
	seen[op.Key] = struct{}{}
	current := s.records.get(op.Key)
	b.current = current
	matches := op.AnyVersion || current.currentVersion() == op.ExpectedVersion
	switch op.Kind {
	case fsmpb.RecordOpKind_RECORD_OP_KIND_PUT:
		if len(op.Value) > MaxRecordValueBytes {
			return refuse(codeTooLarge, "record value is %d bytes; the limit is %d", len(op.Value), MaxRecordValueBytes)
		}
		if !matches {
			return versionMismatch(current, op.ExpectedVersion)
		}
	case fsmpb.RecordOpKind_RECORD_OP_KIND_CHECK:
		if !matches {
			return versionMismatch(current, op.ExpectedVersion)
		}
	case fsmpb.RecordOpKind_RECORD_OP_KIND_DELETE:
		if current == nil {
			if op.AnyVersion {
				return nil
			}
			return refuse(codeNotFound, "record %q does not exist", op.Key)
		}
		if !op.AnyVersion && (op.ExpectedVersion == 0 || current.version != op.ExpectedVersion) {
			return versionMismatch(current, op.ExpectedVersion)
		}
	case fsmpb.RecordOpKind_RECORD_OP_KIND_ADD:
		next, refusal := addToCounter(current, op.Key, op.Delta, op.Min, op.Max)
		if refusal != nil {
			return refusal
		}
		b.next = next
		b.text = []byte(strconv.FormatInt(next, 10))
	default:
		return refuse(codeInvalid, "unknown record operation kind %v", op.Kind)
	}
	return nil
}
