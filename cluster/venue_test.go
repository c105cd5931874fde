package cluster

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"google.golang.org/protobuf/proto"
)

func TestDemoArena(t *testing.T) {
	v := DemoArena("Demo Arena")
	if err := ValidateVenue(v); err != nil {
		t.Fatalf("ValidateVenue(DemoArena) = %v", err)
	}
	seats, ga := VenueSeatCount(v)
	if seats < 17_000 || seats > 19_000 {
		t.Errorf("DemoArena has %d reserved seats, want 17,000..19,000", seats)
	}
	if seats+ga > 19_000 {
		t.Errorf("DemoArena has %d places with the floor, want about 18,000", seats+ga)
	}
	if ga < 1_000 || ga > 2_000 {
		t.Errorf("DemoArena floor capacity %d, want about 1,500", ga)
	}
	if !proto.Equal(v, DemoArena("Demo Arena")) {
		t.Error("DemoArena is not deterministic")
	}

	// Every seat id is unique and splits back into section, row and number.
	seatIDs := make(map[string]bool, seats)
	var accessible, restricted, aisles int
	tierSeats := map[string]int{}
	for _, section := range v.GetSections() {
		for _, row := range section.GetRows() {
			first := rowFirstNumber(row)
			for n := first; n < first+row.GetSeatCount(); n++ {
				id := fmt.Sprintf("%s-%s-%d", section.GetId(), row.GetLabel(), n)
				if seatIDs[id] {
					t.Fatalf("seat id %q appears twice", id)
				}
				seatIDs[id] = true
				if parts := strings.Split(id, "-"); len(parts) != 3 {
					t.Fatalf("seat id %q does not split into 3 parts", id)
				}
				tier := row.GetPriceTier()
				if tier == "" {
					tier = section.GetPriceTier()
				}
				tierSeats[tier]++
			}
			accessible += len(row.GetAccessible())
			restricted += len(row.GetRestrictedView())
			aisles += len(row.GetAisleAfter())
		}
	}
	if len(v.GetSections()) != demoLowerSections+demoUpperSections {
		t.Errorf("%d sections, want %d", len(v.GetSections()), demoLowerSections+demoUpperSections)
	}
	if accessible == 0 || restricted == 0 || aisles == 0 {
		t.Errorf("accessible %d, restricted %d, aisles %d: want some of each", accessible, restricted, aisles)
	}
	for _, tier := range []string{"P1", "P2", "P3", "P4"} {
		if tierSeats[tier] == 0 {
			t.Errorf("no seat in tier %s", tier)
		}
	}
	if tierSeats[""] != 0 {
		t.Errorf("%d seats without a tier", tierSeats[""])
	}
	// Cheaper tiers further away.
	prices := map[string]int64{}
	for _, tier := range v.GetPriceTiers() {
		prices[tier.GetId()] = tier.GetPriceCents()
	}
	if !(prices["P1"] > prices["P2"] && prices["P2"] > prices["P3"] && prices["P3"] > prices["P4"] && prices["P4"] > 0) {
		t.Errorf("tier prices %v are not strictly decreasing P1..P4", prices)
	}
}

func TestOnSaleVenue(t *testing.T) {
	v := OnSaleVenue(20, 25, 40)
	if err := ValidateVenue(v); err != nil {
		t.Fatalf("ValidateVenue(OnSaleVenue(20, 25, 40)) = %v", err)
	}
	if seats, ga := VenueSeatCount(v); seats != 20_000 || ga != 0 {
		t.Errorf("VenueSeatCount = %d, %d; want 20000, 0", seats, ga)
	}
	first, last := v.GetSections()[0], v.GetSections()[19]
	if first.GetId() != "S0" || last.GetId() != "S19" {
		t.Errorf("sections %q..%q, want S0..S19", first.GetId(), last.GetId())
	}
	if r := first.GetRows()[0]; r.GetLabel() != "R1" || rowFirstNumber(r) != 1 || r.GetSeatCount() != 40 {
		t.Errorf("first row %v, want R1 of seats 1..40", r)
	}
	if got := first.GetRows()[24].GetLabel(); got != "R25" {
		t.Errorf("last row %q, want R25", got)
	}
	for _, bad := range [][3]int{{0, 1, 1}, {1, 0, 1}, {1, 1, 0}, {1, 1, -5}, {-1, -1, -1}} {
		if err := ValidateVenue(OnSaleVenue(bad[0], bad[1], bad[2])); !errors.Is(err, ErrInvalidVenue) {
			t.Errorf("OnSaleVenue%v: ValidateVenue = %v, want ErrInvalidVenue", bad, err)
		}
	}
}

// smallVenue is a valid venue that each refusal case breaks in one place.
func smallVenue() *boxofficev1.Venue {
	return &boxofficev1.Venue{
		Name:       "Club",
		PriceTiers: []*boxofficev1.PriceTier{{Id: "P1", PriceCents: 1000, Currency: "USD"}, {Id: "P2", PriceCents: 0}},
		Sections: []*boxofficev1.Section{{
			Id: "A1", PriceTier: "P1",
			Rows: []*boxofficev1.Row{
				{Label: "A", SeatCount: 10, AisleAfter: []uint32{5}, Accessible: []uint32{1, 10}},
				{Label: "B", SeatCount: 10, FirstNumber: 101, RestrictedView: []uint32{101, 110}, PriceTier: "P2"},
			},
		}},
		Pools: []*boxofficev1.GeneralAdmissionPool{{Id: "FLOOR", Capacity: 100, PriceTier: "P2"}},
	}
}

func TestValidateVenue(t *testing.T) {
	if err := ValidateVenue(smallVenue()); err != nil {
		t.Fatalf("ValidateVenue(smallVenue()) = %v", err)
	}
	if err := ValidateVenue(&boxofficev1.Venue{Pools: []*boxofficev1.GeneralAdmissionPool{{Id: "GA", Capacity: 1}}}); err != nil {
		t.Errorf("a venue with only a pool and no tiers: %v", err)
	}

	tests := []struct {
		name     string
		mutate   func(v *boxofficev1.Venue)
		wantText []string // all must appear in the error
	}{
		{"nil venue", nil, []string{"missing"}},
		{"nothing to sell", func(v *boxofficev1.Venue) { v.Sections, v.Pools = nil, nil }, []string{"no sections and no pools"}},
		{"empty section id", func(v *boxofficev1.Venue) { v.Sections[0].Id = "" }, []string{"sections[0].id", "empty"}},
		{"dash in section id", func(v *boxofficev1.Venue) { v.Sections[0].Id = "A-1" }, []string{`"A-1"`, "'-'"}},
		{"space in section id", func(v *boxofficev1.Venue) { v.Sections[0].Id = "A 1" }, []string{`"A 1"`, "' '"}},
		{"non-ASCII section id", func(v *boxofficev1.Venue) { v.Sections[0].Id = "Ä" }, []string{"sections[0].id"}},
		{"long section id", func(v *boxofficev1.Venue) { v.Sections[0].Id = strings.Repeat("x", 33) }, []string{"33 characters", "at most 32"}},
		{"duplicate section", func(v *boxofficev1.Venue) { v.Sections = append(v.Sections, v.Sections[0]) }, []string{`section "A1"`, "already used by a section"}},
		{"pool id clashes with section", func(v *boxofficev1.Venue) { v.Pools[0].Id = "A1" }, []string{`pool "A1"`, "already used by a section"}},
		{"duplicate pool", func(v *boxofficev1.Venue) { v.Pools = append(v.Pools, v.Pools[0]) }, []string{`pool "FLOOR"`, "already used by a pool"}},
		{"section without rows", func(v *boxofficev1.Venue) { v.Sections[0].Rows = nil }, []string{`section "A1"`, "no rows"}},
		{"empty row label", func(v *boxofficev1.Venue) { v.Sections[0].Rows[1].Label = "" }, []string{`section "A1" rows[1].label`, "empty"}},
		{"dash in row label", func(v *boxofficev1.Venue) { v.Sections[0].Rows[1].Label = "B-2" }, []string{`"B-2"`, "'-'"}},
		{"duplicate row label", func(v *boxofficev1.Venue) { v.Sections[0].Rows[1].Label = "A" }, []string{`section "A1" row "A"`, "twice"}},
		{"zero seats", func(v *boxofficev1.Venue) { v.Sections[0].Rows[0].SeatCount = 0 }, []string{`row "A"`, "seat_count 0"}},
		{"too many seats in a row", func(v *boxofficev1.Venue) { v.Sections[0].Rows[0].SeatCount = 1001 }, []string{"seat_count 1001", "1..1000"}},
		{"seat numbers overflow", func(v *boxofficev1.Venue) { v.Sections[0].Rows[0].FirstNumber = 4294967290 }, []string{"first_number 4294967290", "overflows"}},
		{"aisle outside the row", func(v *boxofficev1.Venue) { v.Sections[0].Rows[0].AisleAfter = []uint32{11} }, []string{`row "A"`, "aisle_after seat 11", "1..10"}},
		{"accessible before the row", func(v *boxofficev1.Venue) { v.Sections[0].Rows[1].Accessible = []uint32{100} }, []string{`row "B"`, "accessible seat 100", "101..110"}},
		{"restricted outside the row", func(v *boxofficev1.Venue) { v.Sections[0].Rows[0].RestrictedView = []uint32{0} }, []string{"restricted_view seat 0"}},
		{"accessible twice", func(v *boxofficev1.Venue) { v.Sections[0].Rows[0].Accessible = []uint32{1, 1} }, []string{"accessible lists seat 1 twice"}},
		{"unknown section tier", func(v *boxofficev1.Venue) { v.Sections[0].PriceTier = "P9" }, []string{`section "A1"`, `price_tier "P9"`}},
		{"unknown row tier", func(v *boxofficev1.Venue) { v.Sections[0].Rows[0].PriceTier = "VIP" }, []string{`row "A"`, `price_tier "VIP"`}},
		{"unknown pool tier", func(v *boxofficev1.Venue) { v.Pools[0].PriceTier = "P3" }, []string{`pool "FLOOR"`, `price_tier "P3"`}},
		{"tier named but none declared", func(v *boxofficev1.Venue) { v.PriceTiers = nil }, []string{`price_tier "P1"`, "declares no price_tiers"}},
		{"negative price", func(v *boxofficev1.Venue) { v.PriceTiers[1].PriceCents = -1 }, []string{`price tier "P2"`, "price_cents -1"}},
		{"duplicate tier", func(v *boxofficev1.Venue) { v.PriceTiers[1].Id = "P1" }, []string{`price tier "P1"`, "declared twice"}},
		{"bad tier id", func(v *boxofficev1.Venue) { v.PriceTiers[1].Id = "P-2" }, []string{"price_tiers[1].id", `"P-2"`}},
		{"bad currency", func(v *boxofficev1.Venue) { v.PriceTiers[0].Currency = "usd" }, []string{`currency "usd"`}},
		{"empty pool", func(v *boxofficev1.Venue) { v.Pools[0].Capacity = 0 }, []string{`pool "FLOOR"`, "capacity 0"}},
		{"huge pool", func(v *boxofficev1.Venue) { v.Pools[0].Capacity = 1_000_001 }, []string{"capacity 1000001", "1..1000000"}},
		{"empty pool id", func(v *boxofficev1.Venue) { v.Pools[0].Id = "" }, []string{"pools[0].id", "empty"}},
		{"too many seats", func(v *boxofficev1.Venue) {
			v.Sections = OnSaleVenue(21, 100, 1000).Sections // 2,100,000 seats
			v.PriceTiers = append(v.PriceTiers, &boxofficev1.PriceTier{Id: "STD"})
		}, []string{"more than 2000000 seats"}},
		{"too many sections", func(v *boxofficev1.Venue) {
			v.Sections = OnSaleVenue(10_001, 1, 1).Sections
			v.PriceTiers = append(v.PriceTiers, &boxofficev1.PriceTier{Id: "STD"})
		}, []string{"10001 sections", "at most 10000"}},
		{"too many rows", func(v *boxofficev1.Venue) {
			v.Sections = OnSaleVenue(1, 1001, 1).Sections
			v.PriceTiers = append(v.PriceTiers, &boxofficev1.PriceTier{Id: "STD"})
		}, []string{`section "S0"`, "1001 rows"}},
		{"long venue name", func(v *boxofficev1.Venue) { v.Name = strings.Repeat("n", 257) }, []string{"venue name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v *boxofficev1.Venue
			if tt.mutate != nil {
				v = smallVenue()
				tt.mutate(v)
			}
			err := ValidateVenue(v)
			if err == nil {
				t.Fatal("ValidateVenue accepted the venue")
			}
			if !errors.Is(err, ErrInvalidVenue) {
				t.Errorf("error %v does not wrap ErrInvalidVenue", err)
			}
			for _, want := range tt.wantText {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
		})
	}
}

func TestVenueSeatCount(t *testing.T) {
	if seats, ga := VenueSeatCount(smallVenue()); seats != 20 || ga != 100 {
		t.Errorf("VenueSeatCount(smallVenue()) = %d, %d; want 20, 100", seats, ga)
	}
	if seats, ga := VenueSeatCount(nil); seats != 0 || ga != 0 {
		t.Errorf("VenueSeatCount(nil) = %d, %d", seats, ga)
	}
	huge := &boxofficev1.Venue{Pools: []*boxofficev1.GeneralAdmissionPool{{Capacity: 4_000_000_000}, {Capacity: 4_000_000_000}}}
	if _, ga := VenueSeatCount(huge); ga != 4294967295 {
		t.Errorf("VenueSeatCount saturates at MaxUint32, got %d", ga)
	}
}
