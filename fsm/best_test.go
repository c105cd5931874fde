package fsm

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/boxoffice/boxoffice/fsm/fsmpb"
)

// bestCase: on a venue, hold the listed seats (as "taken"), then ask for
// best available and expect exactly want (nil: UNAVAILABLE).
type bestCase struct {
	name  string
	venue []*fsmpb.Section
	taken []string
	best  *fsmpb.BestAvailable
	want  []string
}

func TestBestAvailable(t *testing.T) {
	row10 := []*fsmpb.Section{{Id: "S", PriceTier: "A", Rows: []*fsmpb.Row{plainRow("A", 10)}}}
	twoRows := []*fsmpb.Section{{Id: "S", PriceTier: "A", Rows: []*fsmpb.Row{plainRow("A", 10), plainRow("B", 10)}}}
	aisle := []*fsmpb.Section{{Id: "S", PriceTier: "A", Rows: []*fsmpb.Row{{Label: "A", SeatCount: 10, AisleAfter: []uint32{5}}}}}
	small := []*fsmpb.Section{{Id: "S", PriceTier: "A", Rows: []*fsmpb.Row{plainRow("A", 3), plainRow("B", 3), plainRow("C", 3)}}}
	tiers := []*fsmpb.Section{
		{Id: "S1", PriceTier: "A", Rows: []*fsmpb.Row{plainRow("A", 4), {Label: "B", SeatCount: 4, PriceTier: "B"}}},
		{Id: "S2", PriceTier: "B", Rows: []*fsmpb.Row{plainRow("A", 4)}},
	}
	accessible := []*fsmpb.Section{{Id: "S", PriceTier: "A", Rows: []*fsmpb.Row{
		{Label: "A", SeatCount: 10},
		{Label: "B", SeatCount: 10, Accessible: []uint32{1, 2, 9, 10}},
	}}}
	q := func(n uint32) *fsmpb.BestAvailable { return &fsmpb.BestAvailable{Quantity: n} }
	cases := []bestCase{
		{name: "centre of an empty row", venue: row10, best: q(2), want: []string{"S-A-5", "S-A-6"}},
		{name: "odd group: centre, then lowest number", venue: row10, best: q(3), want: []string{"S-A-4", "S-A-5", "S-A-6"}},
		{name: "closest to centre around a taken seat", venue: row10, taken: []string{"S-A-5", "S-A-6"}, best: q(2),
			want: []string{"S-A-3", "S-A-4"}},
		{name: "avoids an orphan even in a worse row", venue: twoRows, taken: []string{"S-A-3", "S-A-8"}, best: q(3),
			want: []string{"S-B-4", "S-B-5", "S-B-6"}},
		{name: "takes an orphan when nothing else fits", venue: row10, taken: []string{"S-A-3", "S-A-8"}, best: q(3),
			want: []string{"S-A-4", "S-A-5", "S-A-6"}},
		{name: "orphan avoidance moves the block off centre", venue: row10, taken: []string{"S-A-1", "S-A-2", "S-A-3", "S-A-9"}, best: q(2),
			// Free 4..8: 5-6 would strand 4; 6-7 would strand 8; 4-5 and 7-8 leave pairs.
			want: []string{"S-A-4", "S-A-5"}},
		{name: "lowest row first", venue: twoRows, taken: []string{"S-A-3", "S-A-4", "S-A-5", "S-A-6", "S-A-7", "S-A-8"}, best: q(2),
			want: []string{"S-A-1", "S-A-2"}},
		{name: "a block does not cross an aisle", venue: aisle, best: q(6), want: nil},
		{name: "a pair never strands a seat in an even row", venue: []*fsmpb.Section{{Id: "S", Rows: []*fsmpb.Row{plainRow("A", 40)}}}, best: q(2),
			// The centred pair 20-21 would leave 19 + 19: odd runs that
			// pairs can never fill. 19-20 leaves 18 + 20.
			want: []string{"S-A-19", "S-A-20"}},
		{name: "across the aisle when allowed", venue: aisle, best: &fsmpb.BestAvailable{Quantity: 6, AllowAcrossAisle: true},
			want: []string{"S-A-3", "S-A-4", "S-A-5", "S-A-6", "S-A-7", "S-A-8"}},
		{name: "aisle bounds orphans", venue: aisle, taken: []string{"S-A-1"}, best: q(4),
			// Left of the aisle 2..5 fits exactly; right 6..10 would leave one.
			want: []string{"S-A-2", "S-A-3", "S-A-4", "S-A-5"}},
		{name: "no split without permission", venue: small, best: q(4), want: nil},
		{name: "split over rows, best rows first", venue: small, taken: []string{"S-A-2"}, best: &fsmpb.BestAvailable{Quantity: 4, AllowSplitRows: true},
			want: []string{"S-A-1", "S-A-3", "S-B-1", "S-B-2"}},
		{name: "split fills the centre of the next row", venue: small, best: &fsmpb.BestAvailable{Quantity: 4, AllowSplitRows: true},
			want: []string{"S-A-1", "S-A-2", "S-A-3", "S-B-2"}},
		{name: "split still needs enough seats", venue: small, taken: []string{"S-A-1", "S-B-1", "S-C-1"},
			best: &fsmpb.BestAvailable{Quantity: 7, AllowSplitRows: true}, want: nil},
		{name: "tier filter picks rows by tier in venue order", venue: tiers, best: &fsmpb.BestAvailable{Quantity: 2, PriceTier: "B"},
			// 2-3 would strand 1 and 4.
			want: []string{"S1-B-1", "S1-B-2"}},
		{name: "tier filter skips to the next section", venue: tiers, taken: []string{"S1-B-1", "S1-B-2", "S1-B-3"},
			best: &fsmpb.BestAvailable{Quantity: 2, PriceTier: "B"}, want: []string{"S2-A-1", "S2-A-2"}},
		{name: "section filter", venue: tiers, best: &fsmpb.BestAvailable{Quantity: 4, SectionId: "S2"},
			want: []string{"S2-A-1", "S2-A-2", "S2-A-3", "S2-A-4"}},
		{name: "any section, venue order", venue: tiers, taken: []string{"S1-A-1", "S1-B-4"}, best: q(4),
			want: []string{"S2-A-1", "S2-A-2", "S2-A-3", "S2-A-4"}},
		{name: "accessible only", venue: accessible, best: &fsmpb.BestAvailable{Quantity: 2, AccessibleOnly: true},
			want: []string{"S-B-1", "S-B-2"}},
		{name: "accessible only, none left", venue: accessible, taken: []string{"S-B-1", "S-B-9"},
			best: &fsmpb.BestAvailable{Quantity: 2, AccessibleOnly: true}, want: nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Options{})
			h.mustOK(createCmd("ev", 0, tc.venue))
			for i, id := range tc.taken {
				h.mustOK(holdSeatsCmd(fmt.Sprint("taken", i), "other", id))
			}
			before := inventoryHash(h.s)
			r := h.apply(holdBestCmd("h", "alice", tc.best))
			if tc.want == nil {
				if r.Code != unavailable || inventoryHash(h.s) != before {
					t.Fatalf("got %v %v, want UNAVAILABLE and no change", r.Code, r.SeatIds)
				}
				return
			}
			if r.Code != ok || !slices.Equal(r.SeatIds, tc.want) {
				t.Fatalf("got %v %v (%s), want %v", r.Code, r.SeatIds, r.Message, tc.want)
			}
			h.check()
		})
	}
}

// referenceBest is a direct, slow statement of steps 1-3: every block of
// every row, checked seat by seat.
func referenceBest(sh *shard, b *fsmpb.BestAvailable, now int64) []uint32 {
	n := b.Quantity
	free := func(i uint32) bool { return sh.seatFree(i, now) }
	eligible := func(i uint32) bool {
		return free(i) && (!b.AccessibleOnly || sh.seats[i].flags&flagAccessible != 0)
	}
	aisle := func(i uint32) bool { return sh.seats[i].flags&flagAisleAfter != 0 }
	type step struct{ across, noOrphans bool }
	steps := []step{{false, true}, {false, false}}
	if b.AllowAcrossAisle {
		steps = append(steps, step{true, false})
	}
	for _, st := range steps {
		for si := range sh.sections {
			sec := &sh.sections[si]
			if b.SectionId != "" && sec.id != b.SectionId {
				continue
			}
			for ri := sec.firstRow; ri < sec.firstRow+sec.rowCount; ri++ {
				r := &sh.rows[ri]
				if b.PriceTier != "" && sh.tierID(r.tier) != b.PriceTier {
					continue
				}
				var best []uint32
				bestDistance, bestFragments := uint32(0), 0
			blocks:
				for a := r.start; a+n <= r.start+r.count; a++ {
					for i := a; i < a+n; i++ {
						if !eligible(i) || (!st.across && i < a+n-1 && aisle(i)) {
							continue blocks
						}
					}
					if st.noOrphans {
						// Take the block, then look for a lone free seat next to it.
						if a > r.start && !aisle(a-1) && free(a-1) {
							p := a - 1
							if p == r.start || aisle(p-1) || !free(p-1) {
								continue
							}
						}
						if e := a + n - 1; e < r.start+r.count-1 && !aisle(e) && free(e+1) {
							p := e + 1
							if p == r.start+r.count-1 || aisle(p) || !free(p+1) {
								continue
							}
						}
					}
					// Free run lengths beside the block, as far as an
					// aisle (unless across), a taken seat or the row end.
					left, right := uint32(0), uint32(0)
					for j := a; j > r.start && eligible(j-1) && (st.across || !aisle(j-1)); j-- {
						left++
					}
					for j := a + n; j < r.start+r.count && eligible(j) && (st.across || !aisle(j-1)); j++ {
						right++
					}
					f := 0
					if n%2 == 0 && left%2 != 0 {
						f++
					}
					if n%2 == 0 && right%2 != 0 {
						f++
					}
					if d := centreDistance(r, a, n); best == nil || f < bestFragments || (f == bestFragments && d < bestDistance) {
						best, bestDistance, bestFragments = nil, d, f
						for i := a; i < a+n; i++ {
							best = append(best, i)
						}
					}
				}
				if best != nil {
					return best
				}
			}
		}
	}
	return nil
}

// TestBestAvailableMatchesReference drives random venues into random
// states (including expired holds) and checks every best-available answer
// against referenceBest.
func TestBestAvailableMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 40 {
		var sections []*fsmpb.Section
		for s := range 1 + rng.IntN(3) {
			sec := &fsmpb.Section{Id: fmt.Sprint("S", s), PriceTier: []string{"A", "B"}[rng.IntN(2)]}
			for r := range 1 + rng.IntN(4) {
				n := uint32(1 + rng.IntN(14))
				row := &fsmpb.Row{Label: fmt.Sprint("R", r), SeatCount: n}
				for k := uint32(1); k <= n; k++ {
					if rng.IntN(5) == 0 {
						row.AisleAfter = append(row.AisleAfter, k)
					}
					if rng.IntN(4) == 0 {
						row.Accessible = append(row.Accessible, k)
					}
				}
				if rng.IntN(3) == 0 {
					row.PriceTier = "B"
				}
				sec.Rows = append(sec.Rows, row)
			}
			sections = append(sections, sec)
		}
		h := newHarness(t, Options{})
		h.mustOK(createCmd("ev", 0, sections))
		var holds []string
		for op := range 300 {
			h.advance(int64(rng.IntN(60_000)))
			best := &fsmpb.BestAvailable{
				Quantity:         uint32(1 + rng.IntN(5)),
				AllowAcrossAisle: rng.IntN(3) == 0,
				AccessibleOnly:   rng.IntN(6) == 0,
			}
			if rng.IntN(3) == 0 {
				best.SectionId = sections[rng.IntN(len(sections))].Id
			}
			if rng.IntN(4) == 0 {
				best.PriceTier = []string{"A", "B"}[rng.IntN(2)]
			}
			h.s.mu.RLock()
			sh := h.s.shards[shardKey{"ev", 0}]
			want := referenceBest(sh, best, h.nowMs)
			var wantIDs []string
			for _, i := range want {
				wantIDs = append(wantIDs, sh.seatID(i))
			}
			h.s.mu.RUnlock()
			id := fmt.Sprint("h", round, "-", op)
			c := holdBestCmd(id, "u", best)
			c.GetHold().TtlMs = int64(60_000 + rng.IntN(600_000))
			r := h.apply(c)
			if want == nil {
				if r.Code != unavailable {
					t.Fatalf("round %d op %d %v: got %v %v, reference found nothing", round, op, best, r.Code, r.SeatIds)
				}
			} else if r.Code != ok || !slices.Equal(r.SeatIds, wantIDs) {
				t.Fatalf("round %d op %d %v: got %v %v, reference %v", round, op, best, r.Code, r.SeatIds, wantIDs)
			} else {
				holds = append(holds, id)
			}
			// Churn: release or sell some holds, sweep now and then.
			if len(holds) > 0 && rng.IntN(3) == 0 {
				k := rng.IntN(len(holds))
				if rng.IntN(2) == 0 {
					h.apply(releaseCmd(holds[k], "u"))
				} else {
					h.apply(sellCmd(holds[k], "u", "o"+holds[k], "b"))
				}
				holds = slices.Delete(holds, k, k+1)
			}
			if rng.IntN(20) == 0 {
				h.mustOK(sweepCmd())
			}
			if rng.IntN(10) == 0 {
				h.apply(refundCmd("o" + fmt.Sprint("h", round, "-", rng.IntN(op+1))))
			}
		}
		h.check()
	}
}

// TestPairsFillEvenRows: 2-seat best-available holds fill a section of
// even rows completely (the OSW-1 on-sale sells every seat).
func TestPairsFillEvenRows(t *testing.T) {
	h := newHarness(t, Options{})
	var rows []*fsmpb.Row
	for r := range 25 {
		rows = append(rows, plainRow(fmt.Sprint("R", r+1), 40))
	}
	h.mustOK(createCmd("ev", 0, []*fsmpb.Section{{Id: "S0", Rows: rows}}))
	held := 0
	for i := 0; ; i++ {
		r := h.apply(holdBestCmd(fmt.Sprint("h", i), "fan", &fsmpb.BestAvailable{Quantity: 2, SectionId: "S0"}))
		if r.Code != fsmpb.Code_CODE_OK {
			break
		}
		held += len(r.SeatIds)
	}
	if held != 1000 {
		t.Fatalf("pairs took %d of 1000 seats before the section refused", held)
	}
}
