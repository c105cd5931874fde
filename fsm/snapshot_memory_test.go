package fsm

import (
	"bytes"
	"testing"
	"unsafe"

	"github.com/boxoffice/boxoffice/fsm/fsmpb"
)

// TestRestoreKeepsNoSliceOfTheSnapshot: what a restored store keeps (dedup
// entries, record values, hold and order ids) is copied out of the
// snapshot, so the snapshot buffer is garbage once Restore returns. A
// retained slice would pin all of it: on a busy node, a snapshot of a
// hundred megabytes for the whole dedup window.
func TestRestoreKeepsNoSliceOfTheSnapshot(t *testing.T) {
	h := newTestStore(t)
	h.mustOK(holdSeatsCmd("h1", "alice", "S1-A-1", "S1-A-2"))
	h.mustOK(holdSeatsCmd("h2", "bob", "S1-A-3"))
	h.mustOK(sellCmd("h2", "bob", "o1", "bob@example.com"))
	first := h.mustOK(withRequest(casCmd("k", 0, "value"), "cas1"))
	var buf bytes.Buffer
	if _, err := h.s.Snapshot().WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(data)))
	hi := lo + uintptr(len(data))
	inSnapshot := func(what string, p *byte) {
		t.Helper()
		if a := uintptr(unsafe.Pointer(p)); p != nil && a >= lo && a < hi {
			t.Errorf("%s points into the snapshot buffer", what)
		}
	}
	// decodeSnapshot is Restore after io.ReadAll: it decodes data itself.
	restored, err := decodeSnapshot(data, Options{}.withDefaults())
	if err != nil {
		t.Fatal(err)
	}
	if restored.dedup.live == 0 {
		t.Fatal("no dedup entries restored")
	}
	for _, chunk := range restored.dedup.chunks {
		inSnapshot("dedup arena chunk", unsafe.SliceData(chunk.bytes))
	}
	restored.records.tree.Ascend(func(r *record) bool {
		inSnapshot("record value "+r.key, unsafe.SliceData(r.value))
		inSnapshot("record key "+r.key, unsafe.StringData(r.key))
		return true
	})
	for _, sh := range restored.shards {
		for _, hd := range sh.holds {
			inSnapshot("hold id", unsafe.StringData(hd.id))
			inSnapshot("holder", unsafe.StringData(hd.holder))
		}
		for _, o := range sh.orders {
			inSnapshot("order id", unsafe.StringData(o.id))
			inSnapshot("buyer", unsafe.StringData(o.buyer))
		}
	}
	// And a retry answered from a restored entry is the first answer.
	store := New(Options{})
	if err := store.Restore(bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	r := store.ApplyBatch(h.index+1, &fsmpb.Batch{Commands: []*fsmpb.Command{
		withTime(withRequest(casCmd("k", 0, "value"), "cas1"), h.nowMs)}})
	if r[0].Code != fsmpb.Code_CODE_OK || r[0].RecordVersion != first.RecordVersion {
		t.Fatalf("retry of the CAS from the restored dedup table: %v, first %v", r[0], first)
	}
}
