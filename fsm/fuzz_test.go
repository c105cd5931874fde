package fsm

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"reflect"
	"testing"

	"github.com/boxoffice/boxoffice/fsm/fsmpb"
	"google.golang.org/protobuf/proto"
)

// fuzzVenue is small so that random commands collide: shard 0 has two
// rows with an aisle and accessible seats plus a GA pool of 4; shard 1 one
// row of 4. Holds are at most 4 seats and short lived.
func fuzzVenue(shard uint32) *fsmpb.Command {
	c := createCmd("ev", shard, []*fsmpb.Section{{Id: "S", PriceTier: "A", Rows: []*fsmpb.Row{
		{Label: "A", SeatCount: 6, AisleAfter: []uint32{3}, Accessible: []uint32{1}},
		{Label: "B", SeatCount: 5, PriceTier: "B"},
	}}}, &fsmpb.GeneralAdmissionPool{Id: "G", Capacity: 4})
	if shard == 1 {
		c = createCmd("ev", 1, []*fsmpb.Section{{Id: "T", Rows: []*fsmpb.Row{plainRow("A", 4)}}})
	}
	ev := c.GetCreateShard().Event
	ev.HoldTtlDefaultMs, ev.HoldTtlMaxMs, ev.HoldLifetimeMaxMs, ev.SeatsPerHoldMax = 1000, 3000, 5000, 4
	return c
}

// fuzzReader hands out bytes of the fuzz input, zeros when exhausted.
type fuzzReader struct {
	data []byte
}

func (r *fuzzReader) byte() byte {
	if len(r.data) == 0 {
		return 0
	}
	b := r.data[0]
	r.data = r.data[1:]
	return b
}

func (r *fuzzReader) pick(n int) int { return int(r.byte()) % n }

// commandStream turns fuzz bytes into batches of commands.
type commandStream struct {
	nowMs    int64
	requests int
}

var fuzzSeatIDs = []string{"S-A-1", "S-A-2", "S-A-3", "S-A-4", "S-A-5", "S-A-6", "S-B-1", "S-B-3", "S-B-5", "T-A-1", "T-A-2", "S-A-7", "bad", "S-Z-1"}

func (cs *commandStream) next(r *fuzzReader) *fsmpb.Command {
	op := r.byte()
	switch r.pick(4) { // time moves in jumps of various sizes, sometimes back
	case 0:
		cs.nowMs += int64(r.pick(8)) * 100
	case 1:
		cs.nowMs += int64(r.pick(8)) * 700
	case 2:
		cs.nowMs -= 500
	}
	shard := uint32(r.pick(2))
	holdID := fmt.Sprint("h", r.pick(6))
	holder := fmt.Sprint("u", r.pick(2))
	var c *fsmpb.Command
	if op >= 230 { // about one command in ten is a record command
		key := fmt.Sprint("k", r.pick(3))
		switch r.pick(4) {
		case 0:
			c = casCmd(key, uint64(r.pick(4)), []string{"1", "x", ""}[r.pick(3)])
		case 1:
			c = deleteRecordCmd(key, uint64(r.pick(4)))
		case 2:
			c = addCmd(key, int64(r.pick(5))-2, 0, int64(r.pick(4)))
		default: // a batch of one to three operations, keys possibly repeated
			var ops []*fsmpb.RecordOp
			for range 1 + r.pick(3) {
				key := fmt.Sprint("k", r.pick(3))
				var op *fsmpb.RecordOp
				switch r.pick(4) {
				case 0:
					op = putOp(key, uint64(r.pick(4)), []string{"1", "x", ""}[r.pick(3)])
				case 1:
					op = deleteOp(key, uint64(r.pick(4)))
				case 2:
					op = addOp(key, int64(r.pick(5))-2, 0, int64(r.pick(4)))
				default:
					op = checkOp(key, uint64(r.pick(4)))
				}
				op.AnyVersion = r.pick(4) == 0
				ops = append(ops, op)
			}
			c = batchCmd(ops...)
		}
		op = 9 // the default case below keeps c
	}
	switch op % 10 {
	case 0, 1:
		var seats []string
		for range 1 + r.pick(3) {
			seats = append(seats, fuzzSeatIDs[r.pick(len(fuzzSeatIDs))])
		}
		c = holdSeatsCmd(holdID, holder, seats...)
		c.GetHold().TtlMs = int64(r.pick(4)) * 800
	case 2, 3:
		c = holdBestCmd(holdID, holder, &fsmpb.BestAvailable{
			Quantity:         uint32(r.pick(6)),
			SectionId:        []string{"", "S", "T", "X"}[r.pick(4)],
			PriceTier:        []string{"", "", "A", "B"}[r.pick(4)],
			AllowAcrossAisle: r.pick(2) == 0,
			AllowSplitRows:   r.pick(2) == 0,
			AccessibleOnly:   r.pick(5) == 0,
		})
	case 4:
		c = holdGACmd(holdID, holder, []string{"G", "G", "X"}[r.pick(3)], uint32(r.pick(6)))
	case 5:
		c = extendCmd(holdID, holder, int64(r.pick(4))*900)
	case 6:
		if r.pick(2) == 0 {
			c = releaseCmd(holdID, holder)
		} else {
			c = pinCmd(holdID, holder, cs.nowMs+int64(r.pick(8))*500)
		}
	case 7:
		c = sellCmd(holdID, holder, fmt.Sprint("o", r.pick(3)), fmt.Sprint("b", r.pick(2)))
	case 8:
		var tickets []string
		for range r.pick(3) {
			tickets = append(tickets, fmt.Sprintf("ev/%d/%d", shard, 1+r.pick(12)))
		}
		c = refundCmd(fmt.Sprint("o", r.pick(3)), tickets...)
	default:
		if c == nil {
			c = sweepCmd()
		}
	}
	c = onShard(c, shard)
	c.NowUnixMs = cs.nowMs
	if c.Type != fsmpb.CommandType_COMMAND_TYPE_SWEEP {
		if cs.requests > 0 && r.pick(8) == 0 {
			c.RequestId = fmt.Sprint("r", cs.requests-1-r.pick(min(cs.requests, 4))) // a retry
		} else {
			c.RequestId = fmt.Sprint("r", cs.requests)
			cs.requests++
		}
	}
	return c
}

func (cs *commandStream) batches(data []byte) []*fsmpb.Batch {
	r := &fuzzReader{data: data}
	var out []*fsmpb.Batch
	for len(r.data) > 0 {
		b := &fsmpb.Batch{}
		for range 1 + r.pick(3) {
			b.Commands = append(b.Commands, cs.next(r))
		}
		out = append(out, b)
	}
	return out
}

func newFuzzStore(t testing.TB) (*Store, uint64) {
	s := New(Options{DedupWindowMs: 4000, DedupEntriesMax: 20, ChangeLogPerShard: 16})
	res := s.ApplyBatch(1, &fsmpb.Batch{Commands: []*fsmpb.Command{
		withTime(withRequest(fuzzVenue(0), "create0"), startMs),
		withTime(withRequest(fuzzVenue(1), "create1"), startMs),
	}})
	for _, r := range res {
		if r.Code != fsmpb.Code_CODE_OK {
			t.Fatalf("venue: %v", r)
		}
	}
	return s, 1
}

// compareStores checks that two stores hold the same state, through every
// read.
func compareStores(t testing.TB, a, b *Store) {
	t.Helper()
	if a.StateHash() != b.StateHash() {
		t.Fatal("state hashes differ")
	}
	if a.AppliedIndex() != b.AppliedIndex() {
		t.Fatal("applied indexes differ")
	}
	ra, _ := a.ScanRecords("", "", MaxRecordScanLimit, 0)
	rb, _ := b.ScanRecords("", "", MaxRecordScanLimit, 0)
	if !reflect.DeepEqual(ra, rb) {
		t.Fatalf("records differ:\n%+v\n%+v", ra, rb)
	}
	sa, sb := a.Shards(), b.Shards()
	if !reflect.DeepEqual(sa, sb) {
		t.Fatalf("shards differ:\n%+v\n%+v", sa, sb)
	}
	for _, info := range sa {
		ma, err := a.SeatMap(info.EventID, info.Shard)
		if err != nil {
			t.Fatal(err)
		}
		mb, err := b.SeatMap(info.EventID, info.Shard)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(ma, mb) {
			t.Fatalf("seat maps of shard %d differ:\n%+v\n%+v", info.Shard, ma, mb)
		}
		for k := range 6 {
			ha, errA := a.GetHold(info.EventID, info.Shard, fmt.Sprint("h", k))
			hb, errB := b.GetHold(info.EventID, info.Shard, fmt.Sprint("h", k))
			if (errA == nil) != (errB == nil) || !reflect.DeepEqual(ha, hb) {
				t.Fatalf("hold h%d differs: %+v %v / %+v %v", k, ha, errA, hb, errB)
			}
		}
	}
}

// FuzzApplySnapshotRestore applies random commands, snapshots, restores
// into a fresh store and checks that both are equal and stay equal under
// the same further commands (the second half of the input).
func FuzzApplySnapshotRestore(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f"))
	f.Add(bytes.Repeat([]byte{2, 0, 0, 1, 1, 4, 1, 0, 1, 0, 7, 0, 0, 1, 1, 2, 1}, 12))
	f.Add(bytes.Repeat([]byte{0, 1, 3, 1, 2, 3, 4, 5, 6, 9, 1, 3, 4, 7, 1, 2, 3, 8, 0, 0, 1, 1}, 20))
	f.Add(bytes.Repeat([]byte{4, 1, 0, 2, 1, 0, 4, 7, 1, 0, 0, 1, 1, 1, 8, 0, 0, 1, 0, 9, 3, 3, 0}, 16))
	f.Add([]byte("the quick brown fox jumps over the lazy dog; hold, sell, refund, sweep and retry"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 4096 {
			return
		}
		s, index := newFuzzStore(t)
		cs := &commandStream{nowMs: startMs}
		half := len(data) / 2
		for _, b := range cs.batches(data[:half]) {
			index++
			s.ApplyBatch(index, b)
			if err := s.checkInvariants(); err != nil {
				t.Fatal(err)
			}
		}
		var buf bytes.Buffer
		if _, err := s.Snapshot().WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		restored := New(s.opts)
		if err := restored.Restore(bytes.NewReader(buf.Bytes())); err != nil {
			t.Fatal(err)
		}
		if err := restored.checkInvariants(); err != nil {
			t.Fatal(err)
		}
		compareStores(t, s, restored)
		for _, b := range cs.batches(data[half:]) {
			index++
			want := s.Apply(index, mustMarshal(t, b))
			got := restored.Apply(index, mustMarshal(t, b))
			for k := range want {
				if !proto.Equal(want[k], got[k]) {
					t.Fatalf("entry %d command %d (%v): original %v, restored %v", index, k, b.Commands[k], want[k], got[k])
				}
			}
			if err := restored.checkInvariants(); err != nil {
				t.Fatal(err)
			}
		}
		compareStores(t, s, restored)
	})
}

func mustMarshal(t testing.TB, m proto.Message) []byte {
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// FuzzApply feeds arbitrary bytes as log entries: Apply must panic exactly
// when the bytes do not decode as a Batch, and otherwise answer every
// command and keep the invariants.
func FuzzApply(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0xff})
	f.Add([]byte("\b0"))
	f.Add(mustMarshal(f, &fsmpb.Batch{Commands: []*fsmpb.Command{withTime(holdSeatsCmd("h", "u", "S-A-1"), startMs+1)}}))
	f.Add(mustMarshal(f, &fsmpb.Batch{Commands: []*fsmpb.Command{withRequest(withTime(holdBestCmd("h", "u", &fsmpb.BestAvailable{Quantity: 2}), startMs+1), "x"), {}}}))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, index := newFuzzStore(t)
		// Apply's decoder is the generated UnmarshalVT, which refuses a
		// known field sent with the wrong wire type where proto.Unmarshal
		// keeps it as an unknown field ("\b0": field 1 as a varint), so
		// it is the oracle of what decodes.
		decodes := (&fsmpb.Batch{}).UnmarshalVT(data) == nil
		var results []*fsmpb.Result
		panicked := func() (p bool) {
			defer func() { p = recover() != nil }()
			results = s.Apply(index+1, data)
			return false
		}()
		if panicked == decodes {
			t.Fatalf("decodes=%v but panicked=%v", decodes, panicked)
		}
		if decodes {
			var b fsmpb.Batch
			_ = b.UnmarshalVT(data)
			if len(results) != len(b.Commands) {
				t.Fatalf("%d results for %d commands", len(results), len(b.Commands))
			}
			if err := s.checkInvariants(); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// TestRestoreRejectsGarbage: truncations, bit flips and foreign bytes are
// errors, and leave the store as it was.
func TestRestoreRejectsGarbage(t *testing.T) {
	s, index := newFuzzStore(t)
	cs := &commandStream{nowMs: startMs}
	for _, b := range cs.batches(bytes.Repeat([]byte{0, 1, 3, 1, 2, 3, 4, 5, 6, 7, 1, 3, 4, 7, 1, 2, 3}, 10)) {
		index++
		s.ApplyBatch(index, b)
	}
	var buf bytes.Buffer
	if _, err := s.Snapshot().WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	target := New(Options{})
	before := target.StateHash()
	try := func(name string, data []byte) {
		t.Helper()
		if err := target.Restore(bytes.NewReader(data)); err == nil {
			t.Fatalf("%s accepted", name)
		}
		if target.StateHash() != before {
			t.Fatalf("%s changed the store", name)
		}
	}
	try("empty", nil)
	try("foreign", []byte("hello, this is not a snapshot at all"))
	for _, n := range []int{1, 8, 12, len(good) / 2, len(good) - 1} {
		try(fmt.Sprint("truncated to ", n), good[:n])
	}
	for _, k := range []int{3, 9, 14, len(good) / 3, len(good) - 2} {
		bad := bytes.Clone(good)
		bad[k] ^= 0x40
		try(fmt.Sprint("bit flip at ", k), bad)
	}
	future := bytes.Clone(good)
	future[8] = snapshotVersion + 1
	try("future version", future)
	if err := target.Restore(bytes.NewReader(good)); err != nil {
		t.Fatal(err)
	}
	compareStores(t, s, target)
}

// TestSnapshotWhileApplying takes snapshots and writes them while another
// goroutine keeps applying (run with -race): every snapshot must restore
// to exactly the state at its applied index.
func TestSnapshotWhileApplying(t *testing.T) {
	s, index := newFuzzStore(t)
	cs := &commandStream{nowMs: startMs}
	input := bytes.Repeat([]byte{0, 1, 3, 1, 2, 3, 4, 5, 6, 7, 1, 3, 4, 7, 1, 2, 3, 8, 0, 0, 1, 1, 9, 2, 2, 1}, 40)
	batches := cs.batches(input)
	hashes := map[uint64][32]byte{index: s.StateHash()}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for _, b := range batches {
			index++
			s.ApplyBatch(index, b)
			hashes[index] = s.StateHash()
		}
	}()
	var snaps []*Snapshot
	for range 50 {
		snaps = append(snaps, s.Snapshot())
		var buf bytes.Buffer
		if _, err := snaps[len(snaps)-1].WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		_, _ = s.SeatMap("ev", 0)
		_, _ = s.ChangesSince("ev", 0, 0)
		_ = s.Shards()
	}
	<-done
	for _, snap := range snaps {
		var buf bytes.Buffer
		if _, err := snap.WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		restored := New(s.opts)
		if err := restored.Restore(&buf); err != nil {
			t.Fatal(err)
		}
		if restored.StateHash() != hashes[restored.AppliedIndex()] {
			t.Fatalf("snapshot at index %d does not restore the state of that index", restored.AppliedIndex())
		}
	}
}

// FuzzRestore feeds arbitrary snapshot bodies with a valid header and
// checksum (so the decoder itself is exercised): Restore must either
// refuse them or produce a store whose invariants hold, never panic.
func FuzzRestore(f *testing.F) {
	s, index := newFuzzStore(f)
	cs := &commandStream{nowMs: startMs}
	for _, b := range cs.batches(bytes.Repeat([]byte{0, 1, 3, 1, 2, 3, 4, 5, 6, 7, 1, 3, 4, 7, 1, 2, 3, 8, 0, 4, 1, 0, 2}, 8)) {
		index++
		s.ApplyBatch(index, b)
	}
	f.Add(s.Snapshot().appendBodyVersion(nil, keepAll, 1))
	empty, _ := newFuzzStore(f)
	f.Add(empty.Snapshot().appendBodyVersion(nil, keepAll, 1))
	f.Fuzz(func(t *testing.T, body []byte) {
		data := append([]byte(snapshotMagic), 1, 0, 0, 0)
		data = append(data, body...)
		data = binary.LittleEndian.AppendUint32(data, crc32.Checksum(data, castagnoli))
		restored := New(Options{DedupWindowMs: 4000, DedupEntriesMax: 20, ChangeLogPerShard: 16})
		if err := restored.Restore(bytes.NewReader(data)); err != nil {
			return
		}
		if err := restored.checkInvariants(); err != nil {
			t.Fatal(err)
		}
		// A restored store must also keep working.
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
