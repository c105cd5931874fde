package fsm

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/boxoffice/boxoffice/fsm/fsmpb"
)

func batchCmd(ops ...*fsmpb.RecordOp) *fsmpb.Command {
	return &fsmpb.Command{Type: fsmpb.CommandType_COMMAND_TYPE_RECORD_BATCH,
		Body: &fsmpb.Command_RecordBatch{RecordBatch: &fsmpb.RecordBatch{Ops: ops}}}
}

func putOp(key string, expected uint64, value string) *fsmpb.RecordOp {
	return &fsmpb.RecordOp{Kind: fsmpb.RecordOpKind_RECORD_OP_KIND_PUT, Key: key, ExpectedVersion: expected, Value: []byte(value)}
}

func deleteOp(key string, expected uint64) *fsmpb.RecordOp {
	return &fsmpb.RecordOp{Kind: fsmpb.RecordOpKind_RECORD_OP_KIND_DELETE, Key: key, ExpectedVersion: expected}
}

func addOp(key string, delta, lo, hi int64) *fsmpb.RecordOp {
	return &fsmpb.RecordOp{Kind: fsmpb.RecordOpKind_RECORD_OP_KIND_ADD, Key: key, Delta: delta, Min: lo, Max: hi}
}

func checkOp(key string, expected uint64) *fsmpb.RecordOp {
	return &fsmpb.RecordOp{Kind: fsmpb.RecordOpKind_RECORD_OP_KIND_CHECK, Key: key, ExpectedVersion: expected}
}

func anyVersion(op *fsmpb.RecordOp) *fsmpb.RecordOp {
	op.AnyVersion = true
	return op
}

// recordsDump lists every record as key=value@version, for comparing
// states before and after a refusal.
func recordsDump(s *Store) string {
	rs, _ := s.ScanRecords("", "", MaxRecordScanLimit, 0)
	var b strings.Builder
	for _, r := range rs {
		fmt.Fprintf(&b, "%s=%s@%d ", r.Key, r.Value, r.Version)
	}
	_, last := s.RecordCount()
	fmt.Fprintf(&b, "last=%d", last)
	return b.String()
}

// TestRecordBatchAppliesAll: a batch applies every operation in order,
// each write taking the next version, and reports each one's result.
func TestRecordBatchAppliesAll(t *testing.T) {
	h := newHarness(t, Options{})
	h.mustOK(casCmd("{p}/old", 0, "x"))  // version 1
	h.mustOK(casCmd("{p}/gone", 0, "y")) // version 2
	h.mustOK(casCmd("{p}/keep", 0, "z")) // version 3
	r := h.mustOK(batchCmd(
		putOp("{p}/a", 0, "A"),
		addOp("{p}/n", 2, 0, 3),
		checkOp("{p}/missing", 0),
		deleteOp("{p}/gone", 2),
		anyVersion(putOp("{p}/old", 0, "X")),
		anyVersion(deleteOp("{p}/never", 0)),
		anyVersion(checkOp("{p}/keep", 0)),
	))
	want := []struct {
		version uint64
		value   int64
	}{{4, 0}, {5, 2}, {0, 0}, {6, 0}, {7, 0}, {0, 0}, {3, 0}}
	if len(r.OpResults) != len(want) {
		t.Fatalf("%d op results, want %d", len(r.OpResults), len(want))
	}
	for i, w := range want {
		if got := r.OpResults[i]; got.Version != w.version || got.Value != w.value {
			t.Errorf("op %d: version %d value %d, want %d %d", i, got.Version, got.Value, w.version, w.value)
		}
	}
	if got, want := recordsDump(h.s), "{p}/a=A@4 {p}/keep=z@3 {p}/n=2@5 {p}/old=X@7 last=7"; got != want {
		t.Fatalf("records %s, want %s", got, want)
	}
}

// TestRecordBatchAllOrNothing: every refusal, whichever operation makes
// it, changes nothing (not even the version counter) and names the
// refusing operation with the current version or value.
func TestRecordBatchAllOrNothing(t *testing.T) {
	h := newHarness(t, Options{})
	h.mustOK(casCmd("a", 0, "A"))      // version 1
	h.mustOK(addCmd("n", 5, 0, 5))     // version 2
	h.mustOK(casCmd("text", 0, "abc")) // version 3
	long := strings.Repeat("k", MaxRecordKeyBytes+1)
	many := make([]*fsmpb.RecordOp, MaxRecordBatchOps+1)
	for i := range many {
		many[i] = putOp(fmt.Sprint("k", i), 0, "")
	}
	big := strings.Repeat("v", MaxRecordValueBytes)
	for _, c := range []struct {
		name      string
		cmd       *fsmpb.Command
		code      fsmpb.Code
		index     int // -1: the batch as a whole
		version   uint64
		counter   int64
		inMessage string
	}{
		{"no operation", batchCmd(), codeInvalid, -1, 0, 0, "1..64"},
		{"too many operations", batchCmd(many...), codeInvalid, -1, 0, 0, "not 65"},
		{"too many bytes", batchCmd(putOp("b1", 0, big), putOp("b2", 0, big), putOp("b3", 0, big), putOp("b4", 0, big), putOp("b5", 0, "")),
			codeTooLarge, -1, 0, 0, "limit is 1048576"},
		{"empty key", batchCmd(putOp("b", 0, "B"), putOp("", 0, "x")), codeInvalid, 1, 0, 0, "operation 1"},
		{"long key", batchCmd(putOp(long, 0, "x")), codeTooLarge, 0, 0, 0, "operation 0"},
		{"value too large", batchCmd(putOp("b", 0, big+"v")), codeTooLarge, 0, 0, 0, "value"},
		{"key twice", batchCmd(putOp("b", 0, "B"), checkOp("c", 0), deleteOp("b", 1)), codeInvalid, 2, 0, 0, "twice"},
		{"unknown kind", batchCmd(putOp("b", 0, "B"), &fsmpb.RecordOp{Key: "c"}), codeInvalid, 1, 0, 0, "kind"},
		{"nil operation", batchCmd(putOp("b", 0, "B"), nil), codeInvalid, 1, 0, 0, "operation 1"},
		{"put exists", batchCmd(putOp("b", 0, "B"), putOp("a", 0, "x")), codeVersionMismatch, 1, 1, 0, ""},
		{"put stale", batchCmd(putOp("a", 9, "x")), codeVersionMismatch, 0, 1, 0, ""},
		{"check stale", batchCmd(putOp("b", 0, "B"), checkOp("a", 2)), codeVersionMismatch, 1, 1, 0, ""},
		{"check missing", batchCmd(putOp("b", 0, "B"), checkOp("zz", 4)), codeVersionMismatch, 1, 0, 0, ""},
		{"delete missing", batchCmd(putOp("b", 0, "B"), deleteOp("zz", 4)), codeNotFound, 1, 0, 0, ""},
		{"delete version 0", batchCmd(putOp("b", 0, "B"), deleteOp("a", 0)), codeVersionMismatch, 1, 1, 0, ""},
		{"delete stale", batchCmd(deleteOp("a", 7)), codeVersionMismatch, 0, 1, 0, ""},
		{"add out of range", batchCmd(putOp("b", 0, "B"), addOp("n", 1, 0, 5)), codeOutOfRange, 1, 2, 5, ""},
		{"add overflow", batchCmd(addOp("n", 1<<63-1, -1<<63, 1<<63-1)), codeOutOfRange, 0, 2, 5, ""},
		{"add empty range", batchCmd(addOp("n", 0, 1, 0)), codeInvalid, 0, 0, 0, "range"},
		{"add to text", batchCmd(putOp("b", 0, "B"), addOp("text", 1, 0, 9)), codeInvalid, 1, 0, 0, "decimal"},
		{"first refusal wins", batchCmd(checkOp("a", 5), addOp("n", 1, 0, 5)), codeVersionMismatch, 0, 1, 0, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := recordsDump(h.s)
			r := h.apply(c.cmd)
			if r.Code != c.code || !strings.Contains(r.Message, c.inMessage) {
				t.Fatalf("got %v %q, want %v containing %q", r.Code, r.Message, c.code, c.inMessage)
			}
			if c.index < 0 && r.OpIndex != nil || c.index >= 0 && (r.OpIndex == nil || int(*r.OpIndex) != c.index) {
				t.Fatalf("op_index %v, want %d", r.OpIndex, c.index)
			}
			if r.RecordVersion != c.version || r.CounterValue != c.counter || len(r.OpResults) != 0 {
				t.Fatalf("record_version %d counter %d results %d, want %d %d 0", r.RecordVersion, r.CounterValue, len(r.OpResults), c.version, c.counter)
			}
			if after := recordsDump(h.s); after != before {
				t.Fatalf("a refused batch changed the records:\n%s\n%s", before, after)
			}
		})
	}
}

// TestRecordBatchTableFull: a batch whose writes together would pass the
// group's record bytes is refused whole, though each write alone fits.
func TestRecordBatchTableFull(t *testing.T) {
	h := newHarness(t, Options{})
	h.s.records.bytes = MaxRecordBytesPerStore - 10 // as if full of records
	before := recordsDump(h.s)
	r := h.apply(batchCmd(putOp("a", 0, "12345"), putOp("b", 0, "12345")))
	if r.Code != codeTooLarge || r.OpIndex != nil {
		t.Fatalf("got %v %q op_index %v, want TOO_LARGE for the batch", r.Code, r.Message, r.OpIndex)
	}
	if after := recordsDump(h.s); after != before {
		t.Fatalf("refused batch changed the records: %s", after)
	}
	// Deletes in the same batch make room.
	h.s.records.bytes = 0
	h.mustOK(casCmd("old", 0, "0123456789"))
	h.s.records.bytes = MaxRecordBytesPerStore - 3
	h.mustOK(batchCmd(deleteOp("old", 1), putOp("a", 0, "12345"), putOp("b", 0, "12")))
}

// TestRecordBatchRetry: a retried batch (same request id and operations)
// gets its first answer verbatim, per-operation results included, and
// applies nothing; the same id on other operations is REQUEST_ID_REUSED.
func TestRecordBatchRetry(t *testing.T) {
	h := newHarness(t, Options{})
	cmd := withRequest(batchCmd(putOp("a", 0, "A"), addOp("n", 3, 0, 9)), "batch-1")
	first := h.mustOK(cmd)
	h.mustOK(casCmd("a", first.OpResults[0].Version, "A2"))
	again := h.apply(cmd)
	if again.Code != codeOK || len(again.OpResults) != 2 || again.OpResults[0].Version != 1 || again.OpResults[1].Value != 3 || again.OpResults[1].Version != 2 {
		t.Fatalf("retry got %v", again)
	}
	if got := recordsDump(h.s); got != "a=A2@3 n=3@2 last=3" {
		t.Fatalf("retry applied: %s", got)
	}
	refused := h.apply(withRequest(batchCmd(checkOp("a", 1), addOp("n", 3, 0, 9)), "batch-2"))
	if refused.Code != codeVersionMismatch {
		t.Fatalf("stale check: %v", refused.Code)
	}
	h.mustOK(casCmd("a", 3, "A3"))
	// A retried refusal is the first refusal, op_index included, even
	// though the batch would now fail elsewhere.
	again = h.apply(withRequest(batchCmd(checkOp("a", 1), addOp("n", 3, 0, 9)), "batch-2"))
	if again.Code != codeVersionMismatch || again.OpIndex == nil || *again.OpIndex != 0 || again.RecordVersion != 3 {
		t.Fatalf("retried refusal got %v", again)
	}
	other := h.apply(withRequest(batchCmd(putOp("a", 0, "A"), addOp("n", 4, 0, 9)), "batch-1"))
	if other.Code != fsmpb.Code_CODE_REQUEST_ID_REUSED {
		t.Fatalf("reused id got %v", other.Code)
	}
}

// TestRecordBatchSnapshotRoundTrip: records a batch wrote, and its dedup
// entry, survive snapshot and restore; both stores then go on alike.
func TestRecordBatchSnapshotRoundTrip(t *testing.T) {
	h := newHarness(t, Options{})
	cmd := withRequest(batchCmd(putOp("{u}/a", 0, "A"), addOp("{u}/n", 7, 0, 9), checkOp("{u}/c", 0)), "batch-1")
	first := h.mustOK(cmd)
	h.mustOK(batchCmd(deleteOp("{u}/a", 1), putOp("{u}/b", 0, "B")))

	var buf bytes.Buffer
	if _, err := h.s.Snapshot().WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	restored := New(Options{})
	if err := restored.Restore(bytes.NewReader(buf.Bytes())); err != nil {
		t.Fatal(err)
	}
	compareStores(t, h.s, restored)
	if got := recordsDump(restored); got != "{u}/b=B@4 {u}/n=7@2 last=4" {
		t.Fatalf("restored records: %s", got)
	}
	// The restored dedup table answers the retry with the first result.
	h.index++
	next := withTime(withRequest(batchCmd(putOp("{u}/a", 0, "A"), addOp("{u}/n", 7, 0, 9), checkOp("{u}/c", 0)), "batch-1"), h.nowMs)
	r := restored.ApplyBatch(h.index, &fsmpb.Batch{Commands: []*fsmpb.Command{next}})
	if r[0].Code != codeOK || len(r[0].OpResults) != 3 || r[0].OpResults[1].Value != first.OpResults[1].Value || r[0].OpResults[1].Version != 2 {
		t.Fatalf("restored retry answered %v", r[0])
	}
	if got := recordsDump(restored); got != "{u}/b=B@4 {u}/n=7@2 last=4" {
		t.Fatalf("retry after restore applied: %s", got)
	}
}
