package fsm

import (
	"bytes"
	"testing"

	"github.com/boxoffice/boxoffice/fsm/fsmpb"
)

func archiveCmd(event string, shard uint32, checkOnly bool) *fsmpb.Command {
	return &fsmpb.Command{Type: fsmpb.CommandType_COMMAND_TYPE_ARCHIVE_SHARD, Body: &fsmpb.Command_ArchiveShard{
		ArchiveShard: &fsmpb.ArchiveShard{EventId: event, Shard: shard, CheckOnly: checkOnly}}}
}

// TestArchiveShard: refused while a hold is active (nothing changes),
// check_only changes nothing, and once the hold has expired the shard
// leaves the store and its snapshots; archiving it again is OK.
func TestArchiveShard(t *testing.T) {
	h := newTestStore(t)
	h.mustOK(holdSeatsCmd("h1", "alice", "S1-A-1"))
	before := inventoryHash(h.s)
	for _, checkOnly := range []bool{true, false} {
		if r := h.apply(archiveCmd("ev", 0, checkOnly)); r.Code != fsmpb.Code_CODE_HAS_HOLDS {
			t.Fatalf("archive (check_only %v) with an active hold: %v %q, want HAS_HOLDS", checkOnly, r.Code, r.Message)
		}
	}
	if inventoryHash(h.s) != before {
		t.Fatal("a refused archive changed the store")
	}
	h.advance(DefaultHoldTTLMaxMs + 1) // the hold expires (not swept)
	h.mustOK(archiveCmd("ev", 0, true))
	if len(h.s.Shards()) != 1 {
		t.Fatal("check_only dropped the shard")
	}
	h.mustOK(archiveCmd("ev", 0, false))
	if n := len(h.s.Shards()); n != 0 {
		t.Fatalf("%d shards after archive, want 0", n)
	}
	if r := h.apply(holdSeatsCmd("h2", "bob", "S1-A-2")); r.Code != fsmpb.Code_CODE_NOT_FOUND {
		t.Fatalf("hold on an archived shard: %v, want NOT_FOUND", r.Code)
	}
	h.mustOK(archiveCmd("ev", 0, false)) // again, another request id
	h.check()

	var buf bytes.Buffer
	if _, err := h.s.Snapshot().WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	restored := New(Options{})
	if err := restored.Restore(bytes.NewReader(buf.Bytes())); err != nil {
		t.Fatal(err)
	}
	if n := len(restored.Shards()); n != 0 {
		t.Fatalf("restored store has %d shards, want 0", n)
	}
	if restored.StateHash() != h.s.StateHash() {
		t.Fatal("restored store differs from the original")
	}
}
