package fsm

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"reflect"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/boxoffice/boxoffice/fsm/fsmpb"
)

// remembered marks a command as a proposer does once every node knows
// shard moves: its dedup entry records the shard.
func remembered(c *fsmpb.Command, requestID string) *fsmpb.Command {
	c = withRequest(c, requestID)
	c.RememberShard = true
	return c
}

func freezeCmd(shard uint32, moveID string) *fsmpb.Command {
	return &fsmpb.Command{Type: fsmpb.CommandType_COMMAND_TYPE_FREEZE_SHARD, Body: &fsmpb.Command_FreezeShard{FreezeShard: &fsmpb.FreezeShard{
		EventId: "ev", Shard: shard, MoveId: moveID,
	}}}
}

func importCmd(state []byte) *fsmpb.Command {
	return &fsmpb.Command{Type: fsmpb.CommandType_COMMAND_TYPE_IMPORT_SHARD, Body: &fsmpb.Command_ImportShard{ImportShard: &fsmpb.ImportShard{State: state}}}
}

func dropCmd(shard uint32, moveID string) *fsmpb.Command {
	return &fsmpb.Command{Type: fsmpb.CommandType_COMMAND_TYPE_DROP_SHARD, Body: &fsmpb.Command_DropShard{DropShard: &fsmpb.DropShard{
		EventId: "ev", Shard: shard, MoveId: moveID,
	}}}
}

func unfreezeCmd(shard uint32, moveID string) *fsmpb.Command {
	return &fsmpb.Command{Type: fsmpb.CommandType_COMMAND_TYPE_UNFREEZE_SHARD, Body: &fsmpb.Command_UnfreezeShard{UnfreezeShard: &fsmpb.UnfreezeShard{
		EventId: "ev", Shard: shard, MoveId: moveID,
	}}}
}

// shardBytes is the snapshot encoding of one shard: equal encodings mean
// equal seats, holds (ids, holders, expiry, pins, slots), orders, tickets
// and counters.
func shardBytes(t *testing.T, s *Store, shard uint32) []byte {
	t.Helper()
	s.mu.RLock()
	defer s.mu.RUnlock()
	sh := s.shards[shardKey{"ev", shard}]
	if sh == nil {
		t.Fatalf("no shard %d", shard)
	}
	c := captureShard(sh)
	c.frozenMoveID = ""
	return appendShard(nil, &c, keepAll)
}

// exportBody is a shard export without its header, clock and trailer.
func exportBody(state []byte) []byte {
	b := state[len(shardExportMagic)+4 : len(state)-4]
	_, n := binary.Varint(b)
	return b[n:]
}

func snapshotVersionOf(t *testing.T, s *Store) (uint32, []byte) {
	t.Helper()
	var buf bytes.Buffer
	if _, err := s.Snapshot().WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return binary.LittleEndian.Uint32(buf.Bytes()[len(snapshotMagic):]), buf.Bytes()
}

func TestMoveShardCarriesStateAndRequestIDs(t *testing.T) {
	src := newTestStore(t)
	src.mustOK(createCmd("ev", 1, []*fsmpb.Section{{Id: "T", Rows: []*fsmpb.Row{plainRow("A", 4)}}}))

	held := src.mustOK(remembered(holdSeatsCmd("h1", "alice", "S1-A-1", "S1-A-2"), "req-h1"))
	src.mustOK(remembered(holdSeatsCmd("h2", "bob", "S1-B-1"), "req-h2"))
	sold := src.mustOK(remembered(sellCmd("h2", "bob", "o2", "bob@example.com"), "req-sell-h2"))
	src.mustOK(remembered(holdGACmd("g1", "carol", "GA", 2), "req-g1"))
	src.mustOK(remembered(extendCmd("g1", "carol", 5_000), "req-extend-g1"))
	conflict := src.apply(remembered(holdSeatsCmd("h3", "dave", "S1-A-1"), "req-h3"))
	if conflict.Code != codeConflict {
		t.Fatalf("hold of a held seat: %v", conflict.Code)
	}
	src.mustOK(remembered(holdSeatsCmd("x1", "erin", "S1-B-9"), "req-expires"))
	other := src.mustOK(remembered(onShard(holdSeatsCmd("t1", "frank", "T-A-1"), 1), "req-other-shard"))
	src.mustOK(withRequest(holdSeatsCmd("plain", "gus", "S1-B-10"), "req-not-remembered"))
	src.advance(1_000)

	frozen := src.mustOK(withRequest(freezeCmd(0, "move-1"), "req-freeze"))
	freezeMs := src.nowMs
	if len(frozen.ShardState) == 0 {
		t.Fatal("freeze returned no state")
	}
	before := shardBytes(t, src.s, 0)

	// Frozen: every mutation of shard 0 is refused, retryably and without
	// being remembered; shard 1 and earlier request ids still answer.
	for _, c := range []*fsmpb.Command{
		holdSeatsCmd("h9", "zed", "S1-A-5"), releaseCmd("h1", "alice"), extendCmd("h1", "alice", 1000),
		pinCmd("h1", "alice", src.nowMs+1000), sellCmd("h1", "alice", "o9", "a@example.com"), refundCmd("o2"),
		{Type: fsmpb.CommandType_COMMAND_TYPE_ARCHIVE_SHARD, Body: &fsmpb.Command_ArchiveShard{ArchiveShard: &fsmpb.ArchiveShard{EventId: "ev"}}},
	} {
		for range 2 {
			if r := src.apply(withRequest(c, "req-frozen")); r.Code != codeShardMoving {
				t.Fatalf("%v on a frozen shard: %v %q", c.Type, r.Code, r.Message)
			}
		}
	}
	if r := src.apply(remembered(holdSeatsCmd("h1", "alice", "S1-A-1", "S1-A-2"), "req-h1")); !proto.Equal(r, withoutChanges(held)) {
		t.Fatalf("retry on the frozen shard answered %v", r)
	}
	// Freezing again under the same move exports the same shard and
	// entries (in the dedup window); another move is refused.
	for _, id := range []string{"req-freeze", "req-freeze-again"} {
		if r := src.mustOK(withRequest(freezeCmd(0, "move-1"), id)); !bytes.Equal(exportBody(r.ShardState), exportBody(frozen.ShardState)) {
			t.Fatalf("freeze %s exported another state", id)
		}
	}
	if r := src.apply(withRequest(freezeCmd(0, "move-2"), "req-freeze-2")); r.Code != codeShardMoving {
		t.Fatalf("freeze by another move: %v", r.Code)
	}

	src.mustOK(remembered(onShard(holdSeatsCmd("t2", "frank", "T-A-2"), 1), "req-other-2"))
	src.advance(10 * DefaultHoldTTLMaxMs) // every hold expired; a sweep must leave shard 0 alone
	src.mustOK(sweepCmd())
	if !bytes.Equal(shardBytes(t, src.s, 0), before) {
		t.Fatal("the frozen shard changed")
	}
	if src.s.HasExpiredHolds(src.nowMs) {
		t.Fatal("a frozen shard asks for sweeps")
	}

	// Snapshots: version 5 while frozen, and the freeze survives Restore.
	version, data := snapshotVersionOf(t, src.s)
	if version != 5 {
		t.Fatalf("a store with a frozen shard wrote snapshot version %d", version)
	}
	restored := New(Options{})
	if err := restored.Restore(bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if restored.StateHash() != src.s.StateHash() || restored.FrozenShard("ev", 0) != "move-1" {
		t.Fatal("the restored store differs")
	}

	// Import into a fresh group whose clock is behind.
	dst := newHarness(t, Options{})
	dst.nowMs = startMs + 500
	dst.mustOK(withRequest(importCmd(frozen.ShardState), "req-import"))
	dst.check()
	if !bytes.Equal(shardBytes(t, dst.s, 0), before) {
		t.Fatal("the imported shard differs from the frozen one")
	}
	srcMap, err := restored.SeatMap("ev", 0)
	if err != nil {
		t.Fatal(err)
	}
	dstMap, err := dst.s.SeatMap("ev", 0)
	if err != nil {
		t.Fatal(err)
	}
	srcCopy, dstCopy := *srcMap, *dstMap
	srcCopy.AppliedIndex, srcCopy.ClockUnixMs = 0, 0 // as of different logs
	dstCopy.AppliedIndex, dstCopy.ClockUnixMs = 0, 0
	if !reflect.DeepEqual(srcCopy, dstCopy) {
		t.Fatal("seat maps differ")
	}
	for _, id := range []string{"h1", "g1", "x1"} {
		a, _ := restored.GetHold("ev", 0, id)
		b, err := dst.s.GetHold("ev", 0, id)
		if err != nil || !reflect.DeepEqual(a, b) {
			t.Fatalf("hold %s: %v, %+v vs %+v", id, err, a, b)
		}
	}
	if r := dst.apply(withRequest(importCmd(frozen.ShardState), "req-import-2")); r.Code != codeAlreadyExist {
		t.Fatalf("second import: %v", r.Code)
	}

	// Retries at the new group get the first answers; another request
	// under a used id is refused; ids of other shards were not carried.
	if dstMap.ClockUnixMs < freezeMs {
		t.Fatalf("the clock ran backwards across the move: %d < %d", dstMap.ClockUnixMs, freezeMs)
	}
	dst.nowMs = startMs + 2_000
	for _, retry := range []struct {
		cmd   *fsmpb.Command
		first *fsmpb.Result
	}{
		{remembered(holdSeatsCmd("h1", "alice", "S1-A-1", "S1-A-2"), "req-h1"), held},
		{remembered(sellCmd("h2", "bob", "o2", "bob@example.com"), "req-sell-h2"), sold},
		{remembered(holdSeatsCmd("h3", "dave", "S1-A-1"), "req-h3"), conflict},
	} {
		if r := dst.apply(retry.cmd); !proto.Equal(r, withoutChanges(retry.first)) {
			t.Fatalf("retry of %s answered %v, first %v", retry.cmd.RequestId, r, retry.first)
		}
	}
	if r := dst.apply(remembered(holdSeatsCmd("h7", "alice", "S2-A-101"), "req-h1")); r.Code != fsmpb.Code_CODE_REQUEST_ID_REUSED {
		t.Fatalf("another request under a carried id: %v", r.Code)
	}
	if r := dst.apply(remembered(onShard(holdSeatsCmd("t1", "frank", "T-A-1"), 1), "req-other-shard")); proto.Equal(r, withoutChanges(other)) {
		t.Fatal("a request id of another shard was carried")
	}
	if r := dst.apply(withRequest(holdSeatsCmd("plain", "gus", "S1-B-10"), "req-not-remembered")); r.Code != codeAlreadyExist {
		t.Fatalf("a request remembered without its shard: %v", r.Code)
	}

	// Holds still expire, and the tickets continue the source's numbering.
	dst.advance(2 * DefaultHoldTTLMaxMs)
	dst.mustOK(sweepCmd())
	if _, err := dst.s.GetHold("ev", 0, "h1"); err == nil {
		t.Fatal("an expired hold survived the sweep after the move")
	}
	h := dst.mustOK(remembered(holdSeatsCmd("h8", "hal", "S1-A-7"), "req-h8"))
	s := dst.mustOK(remembered(sellCmd("h8", "hal", "o8", "hal@example.com"), "req-sell-h8"))
	if h.HoldId != "h8" || len(s.Tickets) != 1 || s.Tickets[0].TicketId != "ev/0/2" {
		t.Fatalf("sale after the move: %v", s.Tickets)
	}
	dst.check()
	if version, data := snapshotVersionOf(t, dst.s); version != 4 {
		t.Fatalf("a store without frozen shards wrote version %d", version)
	} else {
		again := New(Options{})
		if err := again.Restore(bytes.NewReader(data)); err != nil || again.StateHash() != dst.s.StateHash() {
			t.Fatalf("round trip: %v", err)
		}
	}

	// Drop at the source: only by the move that froze it, then gone.
	if r := src.apply(withRequest(dropCmd(0, "move-2"), "req-drop-wrong")); r.Code != codeInvalid {
		t.Fatalf("drop by another move: %v", r.Code)
	}
	src.mustOK(withRequest(dropCmd(0, "move-1"), "req-drop"))
	src.mustOK(withRequest(dropCmd(0, "move-1"), "req-drop-again"))
	if _, err := src.s.SeatMap("ev", 0); err == nil || src.s.HasShard("ev", 0) {
		t.Fatal("the dropped shard is still there")
	}
	src.check()
	if version, _ := snapshotVersionOf(t, src.s); version != 4 {
		t.Fatalf("after the drop the store wrote version %d", version)
	}
}

func TestUnfreezeShardResumesMutations(t *testing.T) {
	h := newTestStore(t)
	h.mustOK(withRequest(freezeCmd(0, "m"), "f"))
	if r := h.apply(withRequest(holdSeatsCmd("h1", "alice", "S1-A-1"), "hold")); r.Code != codeShardMoving {
		t.Fatalf("hold while frozen: %v", r.Code)
	}
	if r := h.apply(withRequest(unfreezeCmd(0, "other"), "u0")); r.Code != codeShardMoving {
		t.Fatalf("unfreeze by another move: %v", r.Code)
	}
	if r := h.apply(withRequest(dropCmd(0, "other"), "d0")); r.Code != codeInvalid {
		t.Fatalf("drop by another move: %v", r.Code)
	}
	h.mustOK(withRequest(unfreezeCmd(0, "m"), "u1"))
	h.mustOK(withRequest(unfreezeCmd(0, "m"), "u2"))
	// The same request id as the refused hold: not remembered, so it holds.
	h.mustOK(withRequest(holdSeatsCmd("h1", "alice", "S1-A-1"), "hold"))
	if r := h.apply(withRequest(dropCmd(0, "m"), "d1")); r.Code != codeInvalid {
		t.Fatalf("drop of a shard no longer frozen: %v", r.Code)
	}
	h.check()
}

func TestImportShardRefusesBadState(t *testing.T) {
	h := newTestStore(t)
	state := h.mustOK(withRequest(freezeCmd(0, "m"), "f")).ShardState
	dst := newHarness(t, Options{})
	for name, bad := range map[string][]byte{
		"empty":     nil,
		"truncated": state[:len(state)/2],
		"flipped":   append(append([]byte{}, state[:20]...), append([]byte{state[20] ^ 1}, state[21:]...)...),
	} {
		if r := dst.apply(withRequest(importCmd(bad), "bad-"+name)); r.Code != codeInvalid {
			t.Fatalf("%s: %v", name, r.Code)
		}
		if dst.s.HasShard("ev", 0) {
			t.Fatalf("%s: a shard was installed", name)
		}
	}
	if r := h.apply(withRequest(importCmd(state), "into-source")); r.Code != codeAlreadyExist {
		t.Fatalf("import where the shard exists: %v", r.Code)
	}
}

// BenchmarkShardMove freezes and imports a 10,000-seat shard with half of
// its seats sold in 2-seat orders and a fifth held in 2-seat holds, every
// command remembered with its shard. It reports the size of the state
// (the ImportShard entry) per seat.
func BenchmarkShardMove(b *testing.B) {
	src := newHarness(b, Options{})
	rows := make([]*fsmpb.Row, 100)
	for i := range rows {
		rows[i] = plainRow(fmt.Sprintf("R%d", i), 100)
	}
	src.mustOK(createCmd("ev", 0, []*fsmpb.Section{{Id: "S", Rows: rows}}))
	for i := 0; i < 10_000*7/10; i += 2 {
		r, n := i/100, i%100+1
		id := fmt.Sprintf("h%d", i)
		src.mustOK(remembered(holdSeatsCmd(id, "fan"+id, fmt.Sprintf("S-R%d-%d", r, n), fmt.Sprintf("S-R%d-%d", r, n+1)), "hold-"+id))
		if i < 10_000/2 {
			src.mustOK(remembered(sellCmd(id, "fan"+id, "o"+id, "fan"+id+"@example.com"), "sell-"+id))
		}
	}
	var state []byte
	b.ResetTimer()
	for i := range b.N {
		frozen := src.mustOK(withRequest(freezeCmd(0, "m"), fmt.Sprintf("freeze-%d", i)))
		state = frozen.ShardState
		dst := newHarness(b, Options{})
		dst.mustOK(withRequest(importCmd(state), "import"))
	}
	b.ReportMetric(float64(len(state))/10_000, "state-bytes/seat")
	b.ReportMetric(float64(len(state)), "state-bytes")
}

// FuzzImportShard: an ImportShard whose state body is corrupted is refused
// INVALID, changing nothing, or installs a shard that keeps every
// invariant and keeps working; it never panics.
func FuzzImportShard(f *testing.F) {
	src := newTestStore(f)
	src.mustOK(remembered(holdSeatsCmd("h1", "alice", "S1-A-1", "S1-A-2"), "r1"))
	src.mustOK(remembered(holdGACmd("g1", "bob", "GA", 2), "r2"))
	src.mustOK(remembered(sellCmd("h1", "alice", "o1", "alice@example.com"), "r3"))
	src.mustOK(remembered(holdSeatsCmd("h2", "carol", "S2-A-101"), "r4"))
	state := src.mustOK(withRequest(freezeCmd(0, "m"), "f")).ShardState
	f.Add(state[len(shardExportMagic)+4 : len(state)-4])
	f.Fuzz(func(t *testing.T, body []byte) {
		data := binary.LittleEndian.AppendUint32([]byte(shardExportMagic), shardExportVersion)
		data = append(data, body...)
		data = binary.LittleEndian.AppendUint32(data, crc32.Checksum(data, castagnoli))
		dst := newHarness(t, Options{DedupEntriesMax: 20})
		r := dst.apply(withRequest(importCmd(data), "import"))
		if r.Code != codeOK {
			if r.Code != codeInvalid || len(dst.s.Shards()) != 0 {
				t.Fatalf("refused import: %v %q, %d shards", r.Code, r.Message, len(dst.s.Shards()))
			}
			return
		}
		dst.check()
		for _, sh := range dst.s.Shards() {
			c := onShard(withRequest(holdGACmd("fuzz", "fuzz", "GA", 1), "fuzz-hold"), sh.Shard)
			c.GetHold().EventId = sh.EventID
			dst.apply(c)
			dst.advance(DefaultHoldTTLMaxMs * 2)
			dst.apply(sweepCmd())
			dst.check()
		}
	})
}
