package fsm

import (
	"testing"

	"github.com/boxoffice/boxoffice/fsm/fsmpb"
)

// TestSeatMapWithFiltersAndCounts: a filtered or summary read agrees with
// the full map seat by seat and count by count.
func TestSeatMapWithFiltersAndCounts(t *testing.T) {
	h := newTestStore(t)
	h.mustOK(holdSeatsCmd("h1", "alice", "S1-A-1", "S1-A-2"))
	h.mustOK(holdSeatsCmd("h2", "bob", "S1-B-3"))
	h.mustOK(sellCmd("h2", "bob", "o2", "bob"))
	h.mustOK(holdGACmd("g1", "carol", "GA", 2))

	full, err := h.s.SeatMap("ev", 0)
	if err != nil {
		t.Fatal(err)
	}
	count := func(sm SectionMap) (a, held, sold uint32) {
		for _, r := range sm.Rows {
			for _, seat := range r.Seats {
				switch seat.State {
				case fsmpb.SeatState_SEAT_STATE_AVAILABLE:
					a++
				case fsmpb.SeatState_SEAT_STATE_HELD:
					held++
				case fsmpb.SeatState_SEAT_STATE_SOLD:
					sold++
				}
			}
		}
		return
	}
	for _, sm := range full.Sections {
		a, held, sold := count(sm)
		if sm.Available != a || sm.Held != held || sm.Sold != sold {
			t.Fatalf("section %s counts %d/%d/%d, seats say %d/%d/%d", sm.ID, sm.Available, sm.Held, sm.Sold, a, held, sold)
		}
	}
	if s1 := full.Sections[0]; s1.Available != 17 || s1.Held != 2 || s1.Sold != 1 {
		t.Fatalf("S1 counts %d/%d/%d, want 17/2/1", s1.Available, s1.Held, s1.Sold)
	}

	summary, err := h.s.SeatMapWith("ev", 0, SeatMapOptions{SummaryOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	for i, sm := range summary.Sections {
		if len(sm.Rows) != 0 {
			t.Fatalf("summary of %s carries %d rows", sm.ID, len(sm.Rows))
		}
		f := full.Sections[i]
		if sm.ID != f.ID || sm.Available != f.Available || sm.Held != f.Held || sm.Sold != f.Sold {
			t.Fatalf("summary %+v differs from full %s %d/%d/%d", sm, f.ID, f.Available, f.Held, f.Sold)
		}
	}
	if len(summary.Pools) != 1 || summary.Pools[0].Held != 2 {
		t.Fatalf("summary pools %+v", summary.Pools)
	}

	only, err := h.s.SeatMapWith("ev", 0, SeatMapOptions{SectionIDs: []string{"S2"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(only.Sections) != 1 || only.Sections[0].ID != "S2" || len(only.Pools) != 0 {
		t.Fatalf("filter S2 gave %d sections, %d pools", len(only.Sections), len(only.Pools))
	}
	if len(only.Sections[0].Rows[0].Seats) != 6 {
		t.Fatalf("S2 has %d seats, want 6", len(only.Sections[0].Rows[0].Seats))
	}
}
