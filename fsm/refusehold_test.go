package fsm

import (
	"testing"

	"github.com/boxoffice/boxoffice/fsm/fsmpb"
	"google.golang.org/protobuf/proto"
)

// RefuseHold must refuse exactly when HOLD would (with the same answer),
// change nothing, and step aside for holds that may succeed, for seats of
// expired holds and for request ids already applied.
func TestRefuseHold(t *testing.T) {
	h := newTestStore(t)
	best := func(id string, section string, n uint32) *fsmpb.Command {
		return holdBestCmd(id, "fan-"+id, &fsmpb.BestAvailable{Quantity: n, SectionId: section})
	}
	refuse := func(c *fsmpb.Command) *fsmpb.Result {
		t.Helper()
		return h.s.RefuseHold(c.RequestId, h.nowMs, c.GetHold())
	}

	// S2 has 6 seats: it may succeed, so RefuseHold steps aside.
	if r := refuse(best("h-open", "S2", 2)); r != nil {
		t.Fatalf("seats left, RefuseHold answered %v", r)
	}
	// Hold all of S2 in three pairs (TTL 60 s).
	for _, id := range []string{"p1", "p2", "p3"} {
		c := best(id, "S2", 2)
		c.GetHold().TtlMs = 60_000
		h.mustOK(c)
	}
	before := inventoryHash(h.s)
	applied := h.s.AppliedIndex()

	// Sold out: the same refusal HOLD gives, and nothing changes.
	probe := best("h-late", "S2", 2)
	probe.RequestId = "req-late"
	fast := refuse(probe)
	if fast == nil {
		t.Fatal("S2 is full; RefuseHold stepped aside")
	}
	if inventoryHash(h.s) != before || h.s.AppliedIndex() != applied {
		t.Fatal("RefuseHold changed the state")
	}
	if _, _, seen := h.s.dedup.lookup("req-late"); seen {
		t.Fatal("RefuseHold remembered the request id")
	}
	replicated := h.apply(probe)
	if !proto.Equal(fast, replicated) {
		t.Fatalf("RefuseHold answered %v; HOLD answers %v", fast, replicated)
	}
	// Its request id is now applied: a retry must get the first answer
	// through the log, so RefuseHold steps aside.
	if r := refuse(probe); r != nil {
		t.Fatalf("retry of an applied request id refused locally: %v", r)
	}

	// Invalid holds are refused as HOLD refuses them.
	for _, c := range []*fsmpb.Command{best("h-big", "S2", 21), best("h-nosec", "S9", 1)} {
		c.RequestId = "req-" + c.GetHold().HoldId
		if fast, slow := refuse(c), h.apply(c); fast == nil || !proto.Equal(fast, slow) {
			t.Errorf("%s: RefuseHold %v, HOLD %v", c.GetHold().HoldId, fast, slow)
		}
	}

	// The holds expire: their seats are free again although not AVAILABLE.
	h.advance(61_000)
	if r := refuse(best("h-after", "S2", 2)); r != nil {
		t.Fatalf("seats of expired holds are free, RefuseHold answered %v", r)
	}
	// Explicit seats and general admission always go through the log.
	if r := refuse(holdSeatsCmd("h-x", "fan", "S2-A-101")); r != nil {
		t.Errorf("explicit hold refused locally: %v", r)
	}
	if r := refuse(holdGACmd("h-ga", "fan", "GA", 99)); r != nil {
		t.Errorf("GA hold refused locally: %v", r)
	}
	h.check()
}

// MayRefuseHold is the filter only: true for a best-available hold asking
// more than the AVAILABLE seats, false otherwise and while the store is
// being written (it never waits).
func TestMayRefuseHold(t *testing.T) {
	h := newTestStore(t)
	best := func(section string, n uint32) *fsmpb.Hold {
		return holdBestCmd("hb", "fan", &fsmpb.BestAvailable{Quantity: n, SectionId: section}).GetHold()
	}
	if h.s.MayRefuseHold(best("S2", 6)) || !h.s.MayRefuseHold(best("S2", 7)) || !h.s.MayRefuseHold(best("S9", 1)) {
		t.Error("filter disagrees with S2's 6 available seats")
	}
	if h.s.MayRefuseHold(holdSeatsCmd("hx", "fan", "S2-A-101").GetHold()) {
		t.Error("explicit hold passed the filter")
	}
	h.s.mu.Lock()
	busy := h.s.MayRefuseHold(best("S2", 7))
	h.s.mu.Unlock()
	if busy {
		t.Error("filter answered while the store was locked for writing")
	}
}
