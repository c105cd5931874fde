package fsm

import (
	"fmt"
	"hash/maphash"
	"math/rand"
	"testing"
)

// checkIDIndex verifies that the index holds exactly the live ids of a
// table (ids[slot], "" for a free slot), each reachable from its home.
func checkIDIndex(x *idIndex, ids []string) error {
	idOf := func(slot uint32) string { return ids[slot] }
	live := 0
	for slot, id := range ids {
		if id == "" {
			continue
		}
		live++
		if got, ok := x.find(id, idOf); !ok || got != uint32(slot) {
			return fmt.Errorf("id %q: found slot %d %v, want %d", id, got, ok, slot)
		}
	}
	used := 0
	for _, v := range x.slots {
		if v != 0 {
			used++
			if ids[uint32(v)] == "" || x.tag(ids[uint32(v)]) != uint32(v>>32) {
				return fmt.Errorf("index names slot %d, free or with another tag", uint32(v))
			}
		}
	}
	if used != live || x.count != live {
		return fmt.Errorf("%d live ids, %d index slots used, count %d", live, used, x.count)
	}
	if len(x.slots) > 0 && x.count*4 > len(x.slots)*3 {
		return fmt.Errorf("index over 3/4 full: %d of %d", x.count, len(x.slots))
	}
	return nil
}

// TestIDIndexMatchesTable inserts and removes ids of a slot table at
// random, growing and shrinking the index, with real hashes and with every
// id hashing alike, and checks every lookup against the table.
func TestIDIndexMatchesTable(t *testing.T) {
	for _, collide := range []bool{false, true} {
		t.Run(fmt.Sprintf("collide=%v", collide), func(t *testing.T) {
			rng := rand.New(rand.NewSource(3))
			x := newIDIndex(0)
			if collide {
				x.hashOf = func(maphash.Seed, string) uint64 { return 7 << 32 }
			}
			var ids []string
			slotOf := map[string]int{}
			idOf := func(slot uint32) string { return ids[slot] }
			universe := 3000
			if collide {
				universe = 200
			}
			for step := range 30000 {
				id := fmt.Sprintf("id-%d", rng.Intn(universe))
				slot, ok := x.find(id, idOf)
				want, wantOK := slotOf[id]
				if ok != wantOK || (ok && int(slot) != want) {
					t.Fatalf("step %d: find %q = %d %v, want %d %v", step, id, slot, ok, want, wantOK)
				}
				// Phases: mostly inserting, then mostly removing (shrinks).
				insert := (step/5000)%2 == 0
				if rng.Intn(4) == 0 {
					insert = !insert
				}
				switch {
				case !ok && insert:
					free := len(ids)
					for k, v := range ids {
						if v == "" {
							free = k
							break
						}
					}
					if free == len(ids) {
						ids = append(ids, "")
					}
					ids[free] = id
					slotOf[id] = free
					x.insert(id, uint32(free))
				case ok && !insert:
					x.remove(id, slot)
					ids[slot] = ""
					delete(slotOf, id)
				}
				if step%1000 == 0 {
					if err := checkIDIndex(&x, ids); err != nil {
						t.Fatalf("step %d: %v", step, err)
					}
				}
			}
			if err := checkIDIndex(&x, ids); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestHoldAndOrderIDsCollide: with every hold and order id hashing alike,
// holds, sells, releases and refunds still find exactly their own records.
func TestHoldAndOrderIDsCollide(t *testing.T) {
	h := newTestStore(t)
	sh := h.s.shards[shardKey{"ev", 0}]
	same := func(maphash.Seed, string) uint64 { return 99 << 32 }
	sh.holdIndex.hashOf, sh.orderIndex.hashOf = same, same
	h.mustOK(holdSeatsCmd("h1", "alice", "S1-A-1"))
	h.mustOK(holdSeatsCmd("h2", "bob", "S1-A-2"))
	h.mustOK(holdSeatsCmd("h3", "carol", "S1-A-3"))
	if r := h.apply(releaseCmd("h2", "alice")); r.Code != codeNotOwner {
		t.Fatalf("release of bob's hold by alice: %v", r.Code)
	}
	h.mustOK(releaseCmd("h2", "bob"))
	h.mustOK(sellCmd("h1", "alice", "o1", "alice@example.com"))
	h.mustOK(sellCmd("h3", "carol", "o3", "carol@example.com"))
	if r := h.apply(refundCmd("o2")); r.Code != codeNotFound {
		t.Fatalf("refund of an order never made: %v", r.Code)
	}
	h.mustOK(refundCmd("o1"))
	if st := seatState(t, h.s, 0, "S1-A-3"); st.OrderID != "o3" {
		t.Fatalf("S1-A-3 belongs to %q, want o3", st.OrderID)
	}
	if err := h.s.checkInvariants(); err != nil {
		t.Fatal(err)
	}
}
