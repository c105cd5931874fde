package fsm

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"hash/maphash"
	"math/rand"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/boxoffice/boxoffice/fsm/fsmpb"
)

// checkInvariants verifies the index against the FIFO: every live entry
// is reachable from its home slot, every index slot names a live entry
// with its tag, the count matches, and times never go backwards.
func (d *dedupTable) checkInvariants() error {
	live := 0
	last := int64(-1 << 63)
	for p := d.head; p < len(d.queue); p++ {
		s := d.queue[p]
		key, nowMs, _ := d.entry(s)
		if nowMs < last {
			return fmt.Errorf("dedup FIFO: time %d after %d", nowMs, last)
		}
		last = nowMs
		if s.superseded() {
			continue
		}
		live++
		if _, at := d.find(key, d.hash(key)); at != p {
			return fmt.Errorf("dedup entry %q at %d not found by the index (found %d)", requestIDFromKey(key), p, at)
		}
	}
	used := 0
	for _, v := range d.index {
		if v == 0 {
			continue
		}
		used++
		p := d.position(uint32(v))
		if p < d.head || p >= len(d.queue) || d.queue[p].superseded() {
			return fmt.Errorf("dedup index names position %d, not a live entry", p)
		}
		if key, _, _ := d.entry(d.queue[p]); d.hash(key) != uint32(v>>32) {
			return fmt.Errorf("dedup index tag of position %d is wrong", p)
		}
	}
	if live != d.live || used != d.live {
		return fmt.Errorf("dedup table: %d live entries in the FIFO, %d in the index, count %d", live, used, d.live)
	}
	if len(d.index) > 0 && d.live*4 > len(d.index)*3 {
		return fmt.Errorf("dedup index over 3/4 full: %d of %d", d.live, len(d.index))
	}
	return nil
}

func TestRequestIDKeyRoundTrip(t *testing.T) {
	for _, id := range []string{
		"a",
		"r1",
		"0b7e5c52-6a1e-4f3b-9c1d-2a6f0e9d8c7b",
		"0b7e5c52-6a1e-4f3b-9c1d-2a6f0e9d8c7b/12",
		"0b7e5c52-6a1e-4f3b-9c1d-2a6f0e9d8c7b/undo/3",
		"0B7E5C52-6A1E-4F3B-9C1D-2A6F0E9D8C7B/1", // upper case: kept as text
		"0b7e5c52-6a1e-4f3b-9c1d-2a6f0e9d8c7",    // one digit short
		"0b7e5c52x6a1e-4f3b-9c1d-2a6f0e9d8c7b",
		"0b7e5c52-6a1e-4f3b-9c1d-2a6f0e9d8c7g",
		strings.Repeat("x", MaxIDBytes),
		"0b7e5c52-6a1e-4f3b-9c1d-2a6f0e9d8c7b" + strings.Repeat("/", MaxIDBytes-36),
		"\xff\x00odd bytes",
	} {
		key := requestIDKey(nil, id)
		if got := requestIDFromKey(key); got != id {
			t.Errorf("%q: round trip gives %q", id, got)
		}
		if requestIDKeyLen(key[0]) != len(key) || requestIDLen(key) != len(id) {
			t.Errorf("%q: key length %d, says %d; id length says %d", id, len(key), requestIDKeyLen(key[0]), requestIDLen(key))
		}
		if isLowerUUID(id[:min(len(id), 36)]+strings.Repeat("?", 36-min(len(id), 36))) != (key[0] >= uuidKeyBase) {
			t.Errorf("%q: UUID form %v", id, key[0] >= uuidKeyBase)
		}
	}
	if k := requestIDKey(nil, "0b7e5c52-6a1e-4f3b-9c1d-2a6f0e9d8c7b/1"); len(k) != 1+16+2 {
		t.Errorf("UUID request id takes %d bytes, want 19", len(k))
	}
}

func TestPackResultRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	inputs := [][]byte{nil, {1}, []byte("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")}
	for n := range 300 {
		b := make([]byte, n*7)
		for i := range b {
			b[i] = byte(rng.Intn(4 + n%200))
		}
		inputs = append(inputs, b)
	}
	big := &fsmpb.Result{Code: codeOK, HoldId: "h"}
	for k := range 1000 {
		id := fmt.Sprintf("S%d-R%d-%d", k/100, k/10, k)
		big.SeatIds = append(big.SeatIds, id)
		big.Tickets = append(big.Tickets, &fsmpb.Ticket{TicketId: fmt.Sprintf("ev/0/%d", k), SeatId: id, OrderId: "order", Buyer: "buyer@example.com", PriceTier: "A"})
	}
	inputs = append(inputs, appendStoredResult(nil, big))
	for _, in := range inputs {
		packed := packResult(nil, in)
		if len(packed) > packedResultMax(len(in)) {
			t.Fatalf("%d bytes packed to %d, bound %d", len(in), len(packed), packedResultMax(len(in)))
		}
		out, err := unpackResult(nil, packed)
		if err != nil || !bytes.Equal(out, in) {
			t.Fatalf("%d bytes: round trip %v, equal %v", len(in), err, bytes.Equal(out, in))
		}
	}
	for _, bad := range [][]byte{{5, 'a'}, {0x80}, {0x80, 1}, {0, 'a', 0x80, 2}, {0, 'a', 0x80, 0}} {
		if _, err := unpackResult(nil, bad); err == nil {
			t.Errorf("%x unpacked", bad)
		}
	}
}

func FuzzPackResult(f *testing.F) {
	f.Add([]byte("\b\x01\x1a\x05h1998\"\tS1-R20-99\"\nS1-R20-100:<\n\tev/0/1999\x12\tS1-R20-99\x1a\norder-1998"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := unpackResult(nil, packResult(nil, in))
		if err != nil || !bytes.Equal(out, in) {
			t.Fatalf("round trip: %v", err)
		}
		_, _ = unpackResult(nil, in) // arbitrary input: an error, never a panic
	})
}

// dedupModel is the reference the table is checked against: a map of
// request id to its latest entry, plus the FIFO of every add.
type dedupModel struct {
	byID  map[string]dedupModelEntry
	order []dedupModelEntry
	added int
}

type dedupModelEntry struct {
	id     string
	nowMs  int64
	result string
	seq    int
}

func (m *dedupModel) add(id string, now int64, result []byte, entriesMax int) {
	m.added++
	e := dedupModelEntry{id: id, nowMs: now, result: string(result), seq: m.added}
	m.byID[id] = e
	m.order = append(m.order, e)
	for len(m.byID) > entriesMax {
		m.popFront()
	}
}

func (m *dedupModel) popFront() {
	e := m.order[0]
	m.order = m.order[1:]
	if m.byID[e.id].seq == e.seq {
		delete(m.byID, e.id)
	}
}

func (m *dedupModel) prune(now, window int64) {
	for len(m.order) > 0 && now-m.order[0].nowMs >= window {
		m.popFront()
	}
}

// TestDedupTableMatchesModel drives the table and a map-based model with
// the same adds (fresh ids, retried ids, ids reused after their window),
// evictions by count and by age, with real hashing and with every id
// colliding, and compares every lookup and the live entries.
func TestDedupTableMatchesModel(t *testing.T) {
	for _, tc := range []struct {
		name       string
		collide    bool
		entriesMax int
		ids        int
	}{
		{"maphash", false, 500, 2000},
		{"maphash small cap", false, 7, 50},
		{"every id collides", true, 40, 120},
		{"maphash uuids", false, 300, 1000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewSource(int64(len(tc.name))))
			d := newDedupTable()
			if tc.collide {
				d.hashOf = func(maphash.Seed, []byte) uint64 { return 0xdeadbeef << 32 }
			}
			m := &dedupModel{byID: map[string]dedupModelEntry{}}
			idOf := func(k int) string {
				if strings.Contains(tc.name, "uuid") {
					return fmt.Sprintf("%08x-0000-4000-8000-%012x/%d", k, k*7, k%3)
				}
				return fmt.Sprintf("r%d", k)
			}
			now := int64(1000)
			const window = 50
			for step := range 20000 {
				now += int64(rng.Intn(2))
				id := idOf(rng.Intn(tc.ids))
				nowMs, packed, ok := d.lookup(id)
				want, wantOK := m.byID[id]
				if ok != wantOK {
					t.Fatalf("step %d: lookup %q: found %v, model %v", step, id, ok, wantOK)
				}
				if ok {
					raw, err := unpackResult(nil, packed)
					if err != nil || string(raw) != want.result || nowMs != want.nowMs {
						t.Fatalf("step %d: lookup %q: (%d, %q, %v), model (%d, %q)", step, id, nowMs, raw, err, want.nowMs, want.result)
					}
				}
				switch {
				case rng.Intn(200) == 0:
					d.prune(now, window)
					m.prune(now, window)
				case !ok || now-nowMs >= window:
					result := make([]byte, rng.Intn(300))
					for i := range result {
						result[i] = "abcdefgh"[rng.Intn(8)]
					}
					if rng.Intn(3) == 0 {
						result = append(result, id...) // something it repeats
					}
					d.addEncoded(id, requestFingerprint{1}, now, result, tc.entriesMax)
					m.add(id, now, result, tc.entriesMax)
				}
				if step%997 == 0 || step == 19999 {
					if err := d.checkInvariants(); err != nil {
						t.Fatalf("step %d: %v", step, err)
					}
					c := d.capture()
					if len(c.slots) != len(m.byID) {
						t.Fatalf("step %d: %d live entries, model %d", step, len(c.slots), len(m.byID))
					}
					k := 0
					for _, e := range m.order {
						if m.byID[e.id].seq != e.seq {
							continue
						}
						key, nowMs, _ := c.entry(c.slots[k])
						if got := requestIDFromKey(key); got != e.id || nowMs != e.nowMs {
							t.Fatalf("step %d: live entry %d is %q at %d, model %q at %d", step, k, got, nowMs, e.id, e.nowMs)
						}
						k++
					}
				}
			}
			d.prune(now+window, window)
			if err := d.checkInvariants(); err != nil || d.live != 0 || len(d.chunks) > 1 {
				t.Fatalf("after pruning everything: %v, %d live, %d chunks", err, d.live, len(d.chunks))
			}
		})
	}
}

// TestDedupCollisionNeverAnswersAnotherRequest: with every request id
// hashing alike, each still gets its own first answer, and a retry of an
// id never applied runs.
func TestDedupCollisionNeverAnswersAnotherRequest(t *testing.T) {
	h := newHarness(t, Options{})
	h.s.dedup.hashOf = func(maphash.Seed, []byte) uint64 { return 42 << 32 }
	h.mustOK(testVenue())
	first := h.mustOK(withRequest(holdSeatsCmd("h1", "alice", "S1-A-1"), "req-a"))
	second := h.mustOK(withRequest(holdSeatsCmd("h2", "bob", "S1-A-2"), "req-b"))
	if first.HoldId == second.HoldId {
		t.Fatal("two holds, one id")
	}
	// A retry gets the first answer; another body under the id is
	// refused; nothing changes.
	again := h.mustOK(withRequest(holdSeatsCmd("h2", "bob", "S1-A-2"), "req-b"))
	if !proto.Equal(again, withoutChanges(second)) {
		t.Fatalf("retry of req-b: %v, first %v", again, second)
	}
	if reused := h.apply(withRequest(holdSeatsCmd("h9", "carol", "S1-A-3"), "req-b")); reused.Code != fsmpb.Code_CODE_REQUEST_ID_REUSED {
		t.Fatalf("req-b reused for another hold: %v", reused)
	}
	if st := seatState(t, h.s, 0, "S1-A-3"); st.State != fsmpb.SeatState_SEAT_STATE_AVAILABLE {
		t.Fatalf("a retry held S1-A-3: %v", st)
	}
	// A new id with the same hash is a new request.
	third := h.mustOK(withRequest(holdSeatsCmd("h3", "carol", "S1-A-3"), "req-c"))
	if third.HoldId != "h3" {
		t.Fatalf("req-c answered %v", third)
	}
	if err := h.s.checkInvariants(); err != nil {
		t.Fatal(err)
	}
}

func withoutChanges(r *fsmpb.Result) *fsmpb.Result {
	c := proto.Clone(r).(*fsmpb.Result)
	c.Changes = nil
	return c
}

// TestDedupSnapshotRoundTrip: every dedup entry (UUID and other ids,
// superseded ones left out) survives WriteTo and Restore byte for byte, in
// the current format and in versions 1 to 3, and a retry after the
// restore gets the first answer. Another request under a restored id is
// refused in the current format; versions before 4 remember no
// fingerprint, so their entries answer it with the first answer.
func TestDedupSnapshotRoundTrip(t *testing.T) {
	h := newHarness(t, Options{DedupWindowMs: 10_000})
	h.mustOK(testVenue())
	h.mustOK(withRequest(holdSeatsCmd("h2", "bob", "S1-A-3"), "reused"))
	h.nowMs += 10_000 // "reused" is out of its window: applied again, superseding
	h.mustOK(withRequest(releaseCmd("h2", "bob"), "reused"))
	uuid := "9f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f/0"
	first := h.mustOK(withRequest(holdSeatsCmd("h1", "alice", "S1-A-1", "S1-A-2"), uuid))
	h.mustOK(withRequest(sellCmd("h1", "alice", "o1", "alice@example.com"), "sell-1"))
	refusal := h.apply(withRequest(holdSeatsCmd("h3", "carol", "S1-A-1"), "refused"))
	if refusal.Code == codeOK {
		t.Fatal("S1-A-1 held twice")
	}
	for _, version := range []uint32{1, 2, snapshotVersionNoFingerprints, snapshotVersionUnfrozen} {
		body := h.s.Snapshot().appendBodyVersion(nil, keepAll, version)
		data := append([]byte(snapshotMagic), byte(version), 0, 0, 0)
		data = append(data, body...)
		data = appendCRC(data)
		restored := New(Options{DedupWindowMs: 10_000})
		if err := restored.Restore(bytes.NewReader(data)); err != nil {
			t.Fatalf("version %d: %v", version, err)
		}
		if version == snapshotVersionUnfrozen && restored.StateHash() != h.s.StateHash() {
			t.Fatalf("version %d: restored state differs", version)
		}
		if version < snapshotVersionUnfrozen && !bytes.Equal(restored.Snapshot().appendBodyVersion(nil, keepAll, version), body) {
			t.Fatalf("version %d: restored state differs", version)
		}
		if err := restored.checkInvariants(); err != nil {
			t.Fatalf("version %d: %v", version, err)
		}
		if restored.dedup.live != h.s.dedup.live || h.s.dedup.live != 5 {
			t.Fatalf("version %d: %d entries restored of %d (want 5)", version, restored.dedup.live, h.s.dedup.live)
		}
		got := restored.ApplyBatch(h.index+1, &fsmpb.Batch{Commands: []*fsmpb.Command{
			withTime(withRequest(holdSeatsCmd("h1", "alice", "S1-A-1", "S1-A-2"), uuid), h.nowMs),
			withTime(withRequest(holdSeatsCmd("h3", "carol", "S1-A-1"), "refused"), h.nowMs),
			withTime(withRequest(holdSeatsCmd("hx", "x", "S1-B-1"), uuid), h.nowMs),
		}})
		if !proto.Equal(got[0], withoutChanges(first)) || !proto.Equal(got[1], refusal) {
			t.Fatalf("version %d: retries answered %v and %v, first %v and %v", version, got[0], got[1], first, refusal)
		}
		reused := got[2].Code == fsmpb.Code_CODE_REQUEST_ID_REUSED
		if version == snapshotVersionUnfrozen && !reused || version < snapshotVersionUnfrozen && !proto.Equal(got[2], withoutChanges(first)) {
			t.Fatalf("version %d: another request under a restored id answered %v", version, got[2])
		}
		if st := seatState(t, restored, 0, "S1-B-1"); st.State != fsmpb.SeatState_SEAT_STATE_AVAILABLE {
			t.Fatalf("version %d: a reused request id held S1-B-1", version)
		}
	}
}

func appendCRC(data []byte) []byte {
	return binary.LittleEndian.AppendUint32(data, crc32.Checksum(data, castagnoli))
}

// FuzzRestoreCurrentVersion is FuzzRestore for the current format, whose
// dedup Results are packed: arbitrary bodies must be refused or restore
// into a store whose invariants hold and which keeps working.
func FuzzRestoreCurrentVersion(f *testing.F) {
	s, index := newFuzzStore(f)
	cs := &commandStream{nowMs: startMs}
	for _, b := range cs.batches(bytes.Repeat([]byte{0, 1, 3, 1, 2, 3, 4, 5, 6, 7, 1, 3, 4, 7, 1, 2, 3, 8, 0, 4, 1, 0, 2}, 8)) {
		index++
		s.ApplyBatch(index, b)
	}
	f.Add(s.Snapshot().appendBody(nil, keepAll))
	empty, _ := newFuzzStore(f)
	f.Add(empty.Snapshot().appendBody(nil, keepAll))
	f.Fuzz(func(t *testing.T, body []byte) {
		data := append([]byte(snapshotMagic), snapshotVersion, 0, 0, 0)
		data = append(data, body...)
		data = appendCRC(data)
		restored := New(Options{DedupWindowMs: 4000, DedupEntriesMax: 20, ChangeLogPerShard: 16})
		if err := restored.Restore(bytes.NewReader(data)); err != nil {
			return
		}
		if err := restored.checkInvariants(); err != nil {
			t.Fatal(err)
		}
		if restored.AppliedIndex() > 1<<62 {
			return
		}
		for _, b := range (&commandStream{nowMs: startMs}).batches(body[:min(len(body), 64)]) {
			restored.ApplyBatch(restored.AppliedIndex()+1, b)
		}
		if err := restored.checkInvariants(); err != nil {
			t.Fatal(err)
		}
	})
}

// TestDedupSnapshotWhileApplying: a snapshot's dedup entries stay as
// captured while Apply keeps appending to the arena chunks the snapshot
// shares (and evicting, and superseding). Run with -race.
func TestDedupSnapshotWhileApplying(t *testing.T) {
	h := newHarness(t, Options{DedupEntriesMax: 300, DedupWindowMs: 5000})
	h.mustOK(testVenue())
	for i := range 200 {
		h.apply(withRequest(casCmd(fmt.Sprintf("k%d", i%50), 0, strings.Repeat("v", i)), fmt.Sprintf("cas-%d", i)))
	}
	snap := h.s.Snapshot()
	want := snap.appendBody(nil, keepAll)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 2000 {
			if i%500 == 0 {
				h.nowMs += 5000 // everything before is out of its window: reused ids supersede
			}
			h.apply(withRequest(casCmd(fmt.Sprintf("k%d", i%50), 0, strings.Repeat("w", i%300)), fmt.Sprintf("cas-%d", i%400)))
		}
	}()
	for range 20 {
		var buf bytes.Buffer
		if _, err := snap.WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		body := buf.Bytes()[len(snapshotMagic)+4 : buf.Len()-4]
		if !bytes.Equal(body, want) {
			t.Fatal("a snapshot changed while the store was applying")
		}
	}
	<-done
	if !bytes.Equal(snap.appendBody(nil, keepAll), want) {
		t.Fatal("a snapshot changed while the store was applying")
	}
	if err := h.s.checkInvariants(); err != nil {
		t.Fatal(err)
	}
}
