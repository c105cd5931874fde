package fsm

import (
	"bytes"
	"crypto/sha256"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/boxoffice/boxoffice/fsm/fsmpb"
)

// stateHashAtAnyIndex hashes the whole state (shards, records, dedup
// table) but the applied index and the clock, which every entry moves.
func stateHashAtAnyIndex(s *Store) [32]byte {
	snap := s.Snapshot()
	snap.appliedIndex, snap.clockMs = 0, 0
	return sha256.Sum256(snap.appendBody(nil, keepAll))
}

// TestRequestIDReusedForAnotherRequestIsRefused: for every mutation that
// carries a request id, a retry of the same request gets the first answer
// verbatim and the same id on a different request is refused
// CODE_REQUEST_ID_REUSED, changing nothing (not even the dedup table).
// Against a dedup table without fingerprints the different request was
// answered with the first request's result: a hold by "bob" was told he
// held "alice"'s seats, a sell of order o2 answered with o1's tickets.
func TestRequestIDReusedForAnotherRequestIsRefused(t *testing.T) {
	holdA1 := holdSeatsCmd("h1", "alice", "S1-A-1")
	cases := []struct {
		name         string
		setup        []*fsmpb.Command
		first, other *fsmpb.Command
	}{
		{name: "hold explicit seats, another holder", first: holdA1, other: holdSeatsCmd("h1", "bob", "S1-A-1")},
		{name: "hold explicit seats, other seats", first: holdA1, other: holdSeatsCmd("h1", "alice", "S1-A-2")},
		{name: "hold best available", first: holdBestCmd("h1", "alice", &fsmpb.BestAvailable{Quantity: 2}),
			other: holdBestCmd("h1", "alice", &fsmpb.BestAvailable{Quantity: 3})},
		{name: "hold general admission", first: holdGACmd("h1", "alice", "GA", 2), other: holdGACmd("h1", "alice", "GA", 3)},
		{name: "extend hold", setup: []*fsmpb.Command{holdA1},
			first: extendCmd("h1", "alice", 60_000), other: extendCmd("h1", "alice", 120_000)},
		{name: "release", setup: []*fsmpb.Command{holdA1, holdSeatsCmd("h2", "alice", "S1-A-2")},
			first: releaseCmd("h1", "alice"), other: releaseCmd("h2", "alice")},
		{name: "pin hold", setup: []*fsmpb.Command{holdA1, holdSeatsCmd("h2", "alice", "S1-A-2")},
			first: pinCmd("h1", "alice", startMs+5_000), other: pinCmd("h2", "alice", startMs+5_000)},
		{name: "sell, another order", setup: []*fsmpb.Command{holdA1},
			first: sellCmd("h1", "alice", "o1", "alice@example.com"), other: sellCmd("h1", "alice", "o2", "alice@example.com")},
		{name: "refund", setup: []*fsmpb.Command{holdA1, sellCmd("h1", "alice", "o1", "a@example.com")},
			first: refundCmd("o1"), other: refundCmd("o2")},
		{name: "record compare-and-swap", first: casCmd("k", 0, "one"), other: casCmd("k", 0, "two")},
		{name: "record delete", setup: []*fsmpb.Command{casCmd("k", 0, "v"), casCmd("j", 0, "v")},
			first: deleteRecordCmd("k", 1), other: deleteRecordCmd("j", 2)},
		{name: "record add", first: addCmd("n", 1, 0, 10), other: addCmd("n", 2, 0, 10)},
		{name: "record batch", first: batchCmd(putOp("k", 0, "one"), addOp("n", 1, 0, 10)),
			other: batchCmd(putOp("k", 0, "one"), addOp("n", 2, 0, 10))},
		{name: "create shard", first: onShard(testVenue(), 0), other: func() *fsmpb.Command {
			c := onShard(testVenue(), 0)
			c.GetCreateShard().Event.Name = "Another event"
			return c
		}()},
		{name: "archive shard", first: archiveCmd("ev", 0, true), other: archiveCmd("ev", 0, false)},
		{name: "a refusal is remembered with its request too", setup: []*fsmpb.Command{holdA1},
			first: holdSeatsCmd("h2", "bob", "S1-A-1"), other: holdSeatsCmd("h2", "bob", "S1-A-3")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Options{})
			if tc.first.Type != fsmpb.CommandType_COMMAND_TYPE_CREATE_SHARD {
				h.mustOK(testVenue())
			}
			for _, c := range tc.setup {
				h.mustOK(c)
			}
			first := withoutChanges(h.apply(withRequest(tc.first, "reused")))
			h.advance(1_000) // a retry comes later, stamped with a later time
			before := stateHashAtAnyIndex(h.s)
			refused := h.apply(withRequest(tc.other, "reused"))
			if refused.Code != fsmpb.Code_CODE_REQUEST_ID_REUSED || !strings.Contains(refused.Message, "different request") {
				t.Fatalf("the id reused on another request answered %v, first %v", refused, first)
			}
			if stateHashAtAnyIndex(h.s) != before {
				t.Fatal("the refused request changed the state")
			}
			if again := h.apply(withRequest(tc.first, "reused")); !proto.Equal(again, first) {
				t.Fatalf("retry answered %v, first %v", again, first)
			}
			h.check()
		})
	}
}

// TestRequestFingerprintLeavesOutStampedFields: what the proposer stamps
// (the time; a pin's deadline, the leader's time plus a margin) is not
// part of the request, so a retry proposed by another leader at another
// time is still the same request.
func TestRequestFingerprintLeavesOutStampedFields(t *testing.T) {
	h := newTestStore(t)
	h.mustOK(holdSeatsCmd("h1", "alice", "S1-A-1"))
	first := withoutChanges(h.mustOK(withRequest(pinCmd("h1", "alice", startMs+5_000), "pin")))
	h.advance(2_000)
	if again := h.apply(withRequest(pinCmd("h1", "alice", startMs+7_000), "pin")); !proto.Equal(again, first) {
		t.Fatalf("retry of the pin answered %v, first %v", again, first)
	}
}

// TestRequestFingerprintFromTheProposer: a multi-shard operation stamps
// the digest of the caller's whole request into each shard's command;
// the shard compares that digest, not its own part of the request. A
// caller who reuses an id with another request is refused by a shard
// whose part is unchanged; a retry whose parts were split differently is
// answered.
func TestRequestFingerprintFromTheProposer(t *testing.T) {
	h := newTestStore(t)
	withDigest := func(c *fsmpb.Command, digest string) *fsmpb.Command {
		c = withRequest(c, "caller/0")
		c.RequestFingerprint = []byte(digest)
		return c
	}
	first := withoutChanges(h.mustOK(withDigest(holdSeatsCmd("h1", "alice", "S1-A-1"), "caller request one")))
	before := stateHashAtAnyIndex(h.s)
	if r := h.apply(withDigest(holdSeatsCmd("h1", "alice", "S1-A-1"), "caller request two")); r.Code != fsmpb.Code_CODE_REQUEST_ID_REUSED {
		t.Fatalf("an unchanged part of another request answered %v", r)
	}
	if stateHashAtAnyIndex(h.s) != before {
		t.Fatal("the refused request changed the state")
	}
	if r := h.apply(withDigest(holdSeatsCmd("h1", "alice", "S1-A-2"), "caller request one")); !proto.Equal(r, first) {
		t.Fatalf("a retry of the caller's request answered %v, first %v", r, first)
	}
	// Without a digest the body is the request: a different fingerprint.
	if r := h.apply(withRequest(holdSeatsCmd("h1", "alice", "S1-A-1"), "caller/0")); r.Code != fsmpb.Code_CODE_REQUEST_ID_REUSED {
		t.Fatalf("the same id without the proposer's digest answered %v", r)
	}
}

// TestRequestFingerprintSurvivesSnapshot: a store restored from a
// snapshot refuses a reused id as the original does, and replicas that
// applied the same entries hash alike (the fingerprint is deterministic).
func TestRequestFingerprintSurvivesSnapshot(t *testing.T) {
	a, b := newTestStore(t), newTestStore(t)
	for _, h := range []*harness{a, b} {
		h.mustOK(withRequest(holdSeatsCmd("h1", "alice", "S1-A-1"), "r1"))
		h.mustOK(withRequest(sellCmd("h1", "alice", "o1", "alice@example.com"), "r2"))
	}
	if a.s.StateHash() != b.s.StateHash() {
		t.Fatal("replicas of the same entries differ")
	}
	restored := snapshotRoundTrip(t, a.s)
	r := restored.ApplyBatch(a.index+1, &fsmpb.Batch{Commands: []*fsmpb.Command{
		withTime(withRequest(sellCmd("h1", "alice", "o2", "bob@example.com"), "r2"), a.nowMs),
		withTime(withRequest(sellCmd("h1", "alice", "o1", "alice@example.com"), "r2"), a.nowMs),
	}})
	if r[0].Code != fsmpb.Code_CODE_REQUEST_ID_REUSED {
		t.Fatalf("restored store answered the reused id %v", r[0])
	}
	if r[1].Code != fsmpb.Code_CODE_OK || r[1].Tickets[0].OrderId != "o1" {
		t.Fatalf("restored store answered the retry %v", r[1])
	}
}

func snapshotRoundTrip(t *testing.T, s *Store) *Store {
	t.Helper()
	var buf bytes.Buffer
	if _, err := s.Snapshot().WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	restored := New(Options{})
	if err := restored.Restore(&buf); err != nil {
		t.Fatal(err)
	}
	if restored.StateHash() != s.StateHash() {
		t.Fatal("restored state differs")
	}
	return restored
}
