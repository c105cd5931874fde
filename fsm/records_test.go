package fsm

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"strings"
	"sync"
	"testing"

	"github.com/boxoffice/boxoffice/fsm/fsmpb"
)

func casCmd(key string, expected uint64, value string) *fsmpb.Command {
	return &fsmpb.Command{Type: fsmpb.CommandType_COMMAND_TYPE_RECORD_CAS,
		Body: &fsmpb.Command_RecordCas{RecordCas: &fsmpb.RecordCompareAndSwap{Key: key, ExpectedVersion: expected, Value: []byte(value)}}}
}

func deleteRecordCmd(key string, expected uint64) *fsmpb.Command {
	return &fsmpb.Command{Type: fsmpb.CommandType_COMMAND_TYPE_RECORD_DELETE,
		Body: &fsmpb.Command_RecordDelete{RecordDelete: &fsmpb.RecordDelete{Key: key, ExpectedVersion: expected}}}
}

func addCmd(key string, delta, lo, hi int64) *fsmpb.Command {
	return &fsmpb.Command{Type: fsmpb.CommandType_COMMAND_TYPE_RECORD_ADD,
		Body: &fsmpb.Command_RecordAdd{RecordAdd: &fsmpb.RecordAdd{Key: key, Delta: delta, Min: lo, Max: hi}}}
}

// TestRecordCommands runs one scenario step by step: each step is a
// command, the code it must get and, when OK, what the key must then hold.
func TestRecordCommands(t *testing.T) {
	h := newHarness(t, Options{})
	type step struct {
		name        string
		cmd         *fsmpb.Command
		code        fsmpb.Code
		version     uint64 // Result.record_version, when not 0
		counter     int64  // Result.counter_value (ADD)
		key, value  string // after the step, key holds value ("" with version 0: missing)
		wantVersion uint64
	}
	long := strings.Repeat("k", MaxRecordKeyBytes+1)
	steps := []step{
		{name: "create", cmd: casCmd("a", 0, "one"), code: codeOK, version: 1, key: "a", value: "one", wantVersion: 1},
		{name: "create existing", cmd: casCmd("a", 0, "x"), code: codeVersionMismatch, version: 1, key: "a", value: "one", wantVersion: 1},
		{name: "swap stale", cmd: casCmd("a", 7, "x"), code: codeVersionMismatch, version: 1, key: "a", value: "one", wantVersion: 1},
		{name: "swap", cmd: casCmd("a", 1, "two"), code: codeOK, version: 2, key: "a", value: "two", wantVersion: 2},
		{name: "swap missing", cmd: casCmd("b", 2, "x"), code: codeVersionMismatch, version: 0, key: "b"},
		{name: "delete missing", cmd: deleteRecordCmd("b", 1), code: codeNotFound, key: "b"},
		{name: "delete version 0", cmd: deleteRecordCmd("a", 0), code: codeVersionMismatch, version: 2, key: "a", value: "two", wantVersion: 2},
		{name: "delete stale", cmd: deleteRecordCmd("a", 1), code: codeVersionMismatch, version: 2, key: "a", value: "two", wantVersion: 2},
		{name: "delete", cmd: deleteRecordCmd("a", 2), code: codeOK, version: 3, key: "a"},
		{name: "re-create takes a new version", cmd: casCmd("a", 0, "three"), code: codeOK, version: 4, key: "a", value: "three", wantVersion: 4},
		{name: "empty value", cmd: casCmd("e", 0, ""), code: codeOK, version: 5, key: "e", value: "", wantVersion: 5},
		{name: "add to missing", cmd: addCmd("c", 5, 0, 5), code: codeOK, version: 6, counter: 5, key: "c", value: "5", wantVersion: 6},
		{name: "add past max", cmd: addCmd("c", 1, 0, 5), code: codeOutOfRange, version: 6, counter: 5, key: "c", value: "5", wantVersion: 6},
		{name: "add below min", cmd: addCmd("c", -6, 0, 5), code: codeOutOfRange, version: 6, counter: 5, key: "c", value: "5", wantVersion: 6},
		{name: "add back", cmd: addCmd("c", -5, 0, 5), code: codeOK, version: 7, counter: 0, key: "c", value: "0", wantVersion: 7},
		{name: "add overflow", cmd: addCmd("big", 1<<62, -1<<63, 1<<63-1), code: codeOK, version: 8, counter: 1 << 62, key: "big", value: fmt.Sprint(int64(1 << 62)), wantVersion: 8},
		{name: "add overflow refused", cmd: addCmd("big", 1<<62, -1<<63, 1<<63-1), code: codeOutOfRange, version: 8, counter: 1 << 62, key: "big", value: fmt.Sprint(int64(1 << 62)), wantVersion: 8},
		{name: "add empty range", cmd: addCmd("c", 1, 5, 4), code: codeInvalid, key: "c", value: "0", wantVersion: 7},
		{name: "add to non-counter", cmd: addCmd("a", 1, 0, 10), code: codeInvalid, key: "a", value: "three", wantVersion: 4},
		{name: "cas keeps counter usable", cmd: casCmd("c", 7, "41"), code: codeOK, version: 9, key: "c", value: "41", wantVersion: 9},
		{name: "add after cas", cmd: addCmd("c", 1, 0, 100), code: codeOK, version: 10, counter: 42, key: "c", value: "42", wantVersion: 10},
		{name: "empty key", cmd: casCmd("", 0, "x"), code: codeInvalid},
		{name: "key too long", cmd: casCmd(long, 0, "x"), code: codeTooLarge, key: long},
		{name: "key at the limit", cmd: casCmd(long[1:], 0, "x"), code: codeOK, version: 11, key: long[1:], value: "x", wantVersion: 11},
		{name: "value too large", cmd: casCmd("v", 0, strings.Repeat("v", MaxRecordValueBytes+1)), code: codeTooLarge, key: "v"},
		{name: "value at the limit", cmd: casCmd("v", 0, strings.Repeat("v", MaxRecordValueBytes)), code: codeOK, version: 12, key: "v", value: strings.Repeat("v", MaxRecordValueBytes), wantVersion: 12},
		{name: "delete key too long", cmd: deleteRecordCmd(long, 1), code: codeTooLarge},
		{name: "add key empty", cmd: addCmd("", 1, 0, 1), code: codeInvalid},
		{name: "type without body", cmd: &fsmpb.Command{Type: fsmpb.CommandType_COMMAND_TYPE_RECORD_ADD, Body: casCmd("a", 4, "x").Body}, code: codeInvalid, key: "a", value: "three", wantVersion: 4},
	}
	for _, st := range steps {
		r := h.apply(st.cmd)
		if r.Code != st.code {
			t.Fatalf("%s: code %v (%s), want %v", st.name, r.Code, r.Message, st.code)
		}
		if r.RecordVersion != st.version || r.CounterValue != st.counter {
			t.Fatalf("%s: record_version %d counter %d, want %d %d", st.name, r.RecordVersion, r.CounterValue, st.version, st.counter)
		}
		if st.key != "" {
			got, ok := h.s.GetRecord(st.key)
			if ok != (st.wantVersion != 0) || got.Version != st.wantVersion || string(got.Value) != st.value {
				t.Fatalf("%s: %q holds %q v%d (present %v), want %q v%d", st.name, st.key, got.Value, got.Version, ok, st.value, st.wantVersion)
			}
		}
	}
	// Keys that are not UTF-8 cannot come from an encoded entry, but
	// ApplyBatch takes hand-built commands.
	h.index++
	bad := withTime(withRequest(casCmd("\xff", 0, "x"), "not-utf8"), h.nowMs)
	if r := h.s.ApplyBatch(h.index, &fsmpb.Batch{Commands: []*fsmpb.Command{bad}}); r[0].Code != codeInvalid {
		t.Fatalf("key not UTF-8: %v", r[0].Code)
	}
	if n, last := h.s.RecordCount(); n != 6 || last != 12 {
		t.Fatalf("RecordCount = %d, %d; want 6 records, last version 12", n, last)
	}
}

// TestRecordRetryReturnsFirstAnswer: a retried CAS (same request id)
// gets its first answer, even though the key has moved on since.
func TestRecordRetryReturnsFirstAnswer(t *testing.T) {
	h := newHarness(t, Options{})
	first := h.mustOK(withRequest(casCmd("k", 0, "v1"), "cas-1"))
	h.mustOK(casCmd("k", first.RecordVersion, "v2"))
	again := h.apply(withRequest(casCmd("k", 0, "v1"), "cas-1"))
	if again.Code != codeOK || again.RecordVersion != first.RecordVersion {
		t.Fatalf("retry got %v v%d, want the first answer OK v%d", again.Code, again.RecordVersion, first.RecordVersion)
	}
	if got, _ := h.s.GetRecord("k"); string(got.Value) != "v2" {
		t.Fatalf("retry rewrote the key: %q", got.Value)
	}
	refused := h.apply(withRequest(addCmd("k", 1, 0, 9), "add-1"))
	h.mustOK(casCmd("k", 2, "3"))
	if again := h.apply(withRequest(addCmd("k", 1, 0, 9), "add-1")); again.Code != refused.Code || again.Code != codeInvalid {
		t.Fatalf("retried refusal got %v, want %v", again.Code, refused.Code)
	}
	if got, _ := h.s.GetRecord("k"); string(got.Value) != "3" {
		t.Fatalf("retried refusal applied: %q", got.Value)
	}
}

func TestScanRecords(t *testing.T) {
	h := newHarness(t, Options{})
	for _, k := range []string{"p/1", "p/2", "p/3", "q/1", "p", "p0", "o/9"} {
		h.mustOK(casCmd(k, 0, k))
	}
	keys := func(rs []Record) string {
		var out []string
		for _, r := range rs {
			out = append(out, r.Key)
		}
		return strings.Join(out, ",")
	}
	for _, c := range []struct {
		prefix, after string
		limit, bytes  int
		want          string
		truncated     bool
	}{
		{"p/", "", 10, 0, "p/1,p/2,p/3", false},
		{"p/", "p/1", 10, 0, "p/2,p/3", false},
		{"p/", "p/3", 10, 0, "", false},
		{"p/", "o", 10, 0, "p/1,p/2,p/3", false}, // after before the prefix
		{"p/", "p/2", 1, 0, "p/3", false},
		{"p/", "", 2, 0, "p/1,p/2", false},
		{"", "", 100, 0, "o/9,p,p/1,p/2,p/3,p0,q/1", false},
		{"p", "", 100, 0, "p,p/1,p/2,p/3,p0", false},
		{"p/", "z", 10, 0, "", false},
		{"p/", "", 10, 12, "p/1,p/2", true}, // 6 bytes a record: the cap stops the third
		{"p/", "", 10, 1, "p/1", true},      // at least one record
		{"z", "", 10, 0, "", false},
	} {
		got, truncated := h.s.ScanRecords(c.prefix, c.after, c.limit, c.bytes)
		if keys(got) != c.want || truncated != c.truncated {
			t.Errorf("Scan(%q, %q, %d, %d) = %s (truncated %v), want %s (%v)", c.prefix, c.after, c.limit, c.bytes, keys(got), truncated, c.want, c.truncated)
		}
	}
}

// TestRecordSnapshotRoundTrip: records survive snapshot and restore, the
// version counter too (a delete's consumed version is not reused), and
// the state hash covers them.
func TestRecordSnapshotRoundTrip(t *testing.T) {
	h := newTestStore(t)
	h.mustOK(casCmd("a", 0, "1"))
	v := h.mustOK(casCmd("b", 0, "2")).RecordVersion
	h.mustOK(addCmd("n", 3, 0, 10))
	h.mustOK(deleteRecordCmd("b", v)) // the last version given is a delete's

	var buf bytes.Buffer
	if _, err := h.s.Snapshot().WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	restored := New(Options{})
	if err := restored.Restore(bytes.NewReader(buf.Bytes())); err != nil {
		t.Fatal(err)
	}
	compareStores(t, h.s, restored)
	if got, ok := restored.GetRecord("n"); !ok || string(got.Value) != "3" {
		t.Fatalf("restored counter: %q %v", got.Value, ok)
	}
	// Both go on identically: the next version is the same, above the delete's.
	next := h.mustOK(casCmd("c", 0, "x")).RecordVersion
	r := restored.ApplyBatch(h.index, &fsmpb.Batch{Commands: []*fsmpb.Command{withTime(withRequest(casCmd("c", 0, "x"), fmt.Sprint("req-", h.next)), h.nowMs)}})
	if r[0].RecordVersion != next || next != 5 {
		t.Fatalf("after restore the next version is %d, original %d, want 5", r[0].RecordVersion, next)
	}
	compareStores(t, h.s, restored)

	// The state hash covers records.
	other := New(Options{})
	if err := other.Restore(bytes.NewReader(buf.Bytes())); err != nil {
		t.Fatal(err)
	}
	before := other.StateHash()
	other.records.put(other.records.get("a"), "a", []byte("changed"))
	if other.StateHash() == before {
		t.Fatal("StateHash does not cover records")
	}
}

// TestRestoreVersion1Snapshot: a snapshot written before records existed
// (format 1: the same body without the records section) restores with no
// records and the version counter at 0.
func TestRestoreVersion1Snapshot(t *testing.T) {
	h := newTestStore(t)
	h.mustOK(holdSeatsCmd("h1", "u1", "S1-A-1"))
	snap := h.s.Snapshot()
	body := snap.appendBodyVersion(nil, keepAll, 1)
	data := append([]byte(snapshotMagic), 1, 0, 0, 0)
	data = append(data, body...)
	data = binary.LittleEndian.AppendUint32(data, crc32.Checksum(data, castagnoli))
	restored := New(Options{})
	if err := restored.Restore(bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	// Version 1 remembers no request fingerprints: the restored store
	// equals the original but for them.
	if !bytes.Equal(restored.Snapshot().appendBodyVersion(nil, keepAll, snapshotVersionNoFingerprints),
		h.s.Snapshot().appendBodyVersion(nil, keepAll, snapshotVersionNoFingerprints)) {
		t.Fatal("restored state differs")
	}
	if n, last := restored.RecordCount(); n != 0 || last != 0 {
		t.Fatalf("records after a version 1 restore: %d, last version %d", n, last)
	}
}

func TestRestoreRejectsBadRecords(t *testing.T) {
	encode := func(last uint64, records ...Record) []byte {
		s := New(Options{})
		snap := s.Snapshot()
		body := snap.appendBody(nil, keepAll)
		body = body[:len(body)-2]
		body = binary.AppendUvarint(body, last)
		body = binary.AppendUvarint(body, uint64(len(records)))
		for _, r := range records {
			body = appendString(body, r.Key)
			body = appendBytes(body, r.Value)
			body = binary.AppendUvarint(body, r.Version)
		}
		data := append([]byte(snapshotMagic), snapshotVersion, 0, 0, 0)
		data = append(data, body...)
		return binary.LittleEndian.AppendUint32(data, crc32.Checksum(data, castagnoli))
	}
	if err := New(Options{}).Restore(bytes.NewReader(encode(3, Record{"a", []byte("1"), 1}, Record{"b", nil, 3}))); err != nil {
		t.Fatalf("valid records refused: %v", err)
	}
	for name, data := range map[string][]byte{
		"out of order":      encode(3, Record{"b", nil, 1}, Record{"a", nil, 2}),
		"repeated":          encode(3, Record{"a", nil, 1}, Record{"a", nil, 2}),
		"version above":     encode(1, Record{"a", nil, 2}),
		"version 0":         encode(1, Record{"a", nil, 0}),
		"empty key":         encode(1, Record{"", nil, 1}),
		"key too long":      encode(1, Record{strings.Repeat("k", MaxRecordKeyBytes+1), nil, 1}),
		"value too large":   encode(1, Record{"a", make([]byte, MaxRecordValueBytes+1), 1}),
		"key not UTF-8":     encode(1, Record{"\xff", nil, 1}),
		"missing a section": encode(1, Record{"a", nil, 1})[:20],
	} {
		if err := New(Options{}).Restore(bytes.NewReader(data)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestRecordSnapshotWhileWriting: a snapshot's records stay as captured
// while writes continue (the tree clone is copy-on-write). Run with -race.
func TestRecordSnapshotWhileWriting(t *testing.T) {
	h := newHarness(t, Options{})
	for i := range 500 {
		h.mustOK(casCmd(fmt.Sprintf("k%04d", i), 0, "v"))
	}
	snap := h.s.Snapshot()
	want := snap.appendBody(nil, keepAll)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := range 500 {
			h.mustOK(casCmd(fmt.Sprintf("k%04d", i), uint64(i+1), "changed"))
		}
	}()
	go func() {
		defer wg.Done()
		for range 20 {
			_ = h.s.StateHash() // concurrent clones
		}
	}()
	wg.Wait()
	if !bytes.Equal(snap.appendBody(nil, keepAll), want) {
		t.Fatal("a snapshot changed while the store was written")
	}
}
