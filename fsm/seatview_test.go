package fsm

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/boxoffice/boxoffice/fsm/fsmpb"
)

// availabilityAgrees checks the compact view against the full seat map of
// the same store: the same sections, counts, pools, and seat by seat the
// same state, number and id ("<section>-<row>-<number>").
func availabilityAgrees(t *testing.T, s *Store, shard uint32) *Availability {
	t.Helper()
	full, err := s.SeatMap("ev", shard)
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.Availability("ev", shard, nil)
	if err != nil {
		t.Fatal(err)
	}
	if v.ChangeSequence != full.ChangeSequence {
		t.Fatalf("view at sequence %d, full map at %d", v.ChangeSequence, full.ChangeSequence)
	}
	if len(v.Sections) != len(full.Sections) {
		t.Fatalf("view has %d sections, full map %d", len(v.Sections), len(full.Sections))
	}
	for i, sec := range full.Sections {
		got := v.Sections[i]
		if got.ID != sec.ID || got.Name != sec.Name || got.Available != sec.Available || got.Held != sec.Held || got.Sold != sec.Sold {
			t.Fatalf("section %d: view %s %q %d/%d/%d, full %s %q %d/%d/%d", i, got.ID, got.Name, got.Available, got.Held, got.Sold,
				sec.ID, sec.Name, sec.Available, sec.Held, sec.Sold)
		}
		if len(got.Rows) != len(sec.Rows) {
			t.Fatalf("section %s: view has %d rows, full map %d", sec.ID, len(got.Rows), len(sec.Rows))
		}
		for k, row := range sec.Rows {
			gotRow := got.Rows[k]
			if gotRow.Label != row.Label || len(gotRow.States) != len(row.Seats) {
				t.Fatalf("section %s row %d: view %q with %d seats, full %q with %d", sec.ID, k, gotRow.Label, len(gotRow.States), row.Label, len(row.Seats))
			}
			for j, seat := range row.Seats {
				number := gotRow.FirstNumber + uint32(j)
				id := got.ID + "-" + gotRow.Label + "-" + strconv.FormatUint(uint64(number), 10)
				if fsmpb.SeatState(gotRow.States[j]) != seat.State || number != seat.Number || id != seat.ID {
					t.Fatalf("seat %s: view says %s %v number %d, full map %v number %d", seat.ID, id,
						fsmpb.SeatState(gotRow.States[j]), number, seat.State, seat.Number)
				}
			}
		}
	}
	if fmt.Sprint(v.Pools) != fmt.Sprint(full.Pools) {
		t.Fatalf("view pools %+v, full map %+v", v.Pools, full.Pools)
	}
	return v
}

// TestAvailabilityFollowsHoldSellRelease: after every kind of change the
// compact view agrees with the full map, and a view is reused exactly
// while the shard has not changed.
func TestAvailabilityFollowsHoldSellRelease(t *testing.T) {
	h := newTestStore(t)
	v0 := availabilityAgrees(t, h.s, 0)
	if again, err := h.s.Availability("ev", 0, v0); err != nil || again != v0 {
		t.Fatalf("unchanged shard: got %p (err %v), want the known view %p back", again, err, v0)
	}
	for _, step := range []struct {
		name string
		cmd  *fsmpb.Command
		seat string
		want fsmpb.SeatState
	}{
		{"hold", holdSeatsCmd("h1", "alice", "S1-A-1", "S1-A-2"), "S1-A-2", fsmpb.SeatState_SEAT_STATE_HELD},
		{"hold in a renumbered row", holdSeatsCmd("h2", "bob", "S2-A-103"), "S2-A-103", fsmpb.SeatState_SEAT_STATE_HELD},
		{"sell", sellCmd("h2", "bob", "o2", "bob"), "S2-A-103", fsmpb.SeatState_SEAT_STATE_SOLD},
		{"release", releaseCmd("h1", "alice"), "S1-A-2", fsmpb.SeatState_SEAT_STATE_AVAILABLE},
		{"general admission", holdGACmd("g1", "carol", "GA", 2), "", 0},
		{"refund", refundCmd("o2"), "S2-A-103", fsmpb.SeatState_SEAT_STATE_AVAILABLE},
	} {
		before, err := h.s.Availability("ev", 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		h.mustOK(step.cmd)
		v := availabilityAgrees(t, h.s, 0)
		if again, _ := h.s.Availability("ev", 0, before); again == before {
			t.Fatalf("%s: the view from before the change was reused", step.name)
		}
		if step.seat == "" {
			continue
		}
		if got := viewState(t, v, step.seat); got != step.want {
			t.Fatalf("%s: seat %s is %v in the view, want %v", step.name, step.seat, got, step.want)
		}
	}
	// An earlier view stays as it was: views are shared, never updated.
	if got := viewState(t, v0, "S1-A-1"); got != fsmpb.SeatState_SEAT_STATE_AVAILABLE {
		t.Fatalf("the first view changed after later writes: S1-A-1 is %v", got)
	}
	if _, err := h.s.Availability("ev", 7, nil); err == nil {
		t.Fatal("a view of an unknown shard was served")
	}
	if _, err := h.s.Availability("nope", 0, v0); err == nil {
		t.Fatal("a view of an unknown event was served")
	}
}

// viewState finds a seat of a view by id.
func viewState(t *testing.T, v *Availability, id string) fsmpb.SeatState {
	t.Helper()
	for _, sec := range v.Sections {
		for _, row := range sec.Rows {
			for j, st := range row.States {
				if sec.ID+"-"+row.Label+"-"+strconv.FormatUint(uint64(row.FirstNumber)+uint64(j), 10) == id {
					return fsmpb.SeatState(st)
				}
			}
		}
	}
	t.Fatalf("no seat %s in the view", id)
	return 0
}

// BenchmarkAvailability: building the compact view of a 1,000-seat section
// (what a read pays once per change of its shard), and checking a cached
// one (what every other read pays).
func BenchmarkAvailability(b *testing.B) {
	h := newHarness(b, Options{})
	rows := make([]*fsmpb.Row, 25)
	for i := range rows {
		rows[i] = plainRow(strconv.Itoa(i+1), 40)
	}
	h.mustOK(createCmd("ev", 0, []*fsmpb.Section{{Id: "S0", Name: "S0", Rows: rows}}))
	b.Run("build", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := h.s.Availability("ev", 0, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cached", func(b *testing.B) {
		known, _ := h.s.Availability("ev", 0, nil)
		b.ReportAllocs()
		for b.Loop() {
			if v, _ := h.s.Availability("ev", 0, known); v != known {
				b.Fatal("rebuilt an unchanged view")
			}
		}
	})
	b.Run("full-seat-map", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := h.s.SeatMap("ev", 0); err != nil {
				b.Fatal(err)
			}
		}
	})
}
