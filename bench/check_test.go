package bench

import (
	"context"
	"strings"
	"testing"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/cluster"
)

// plantedStore is a 1 x 1 x 6 venue where seats 1-2 were sold to o1 and
// 3-4 to o2, as acknowledged, and 5-6 are available.
func plantedStore(t *testing.T) (*fakeInventory, []AckedSell) {
	t.Helper()
	f := newFakeInventory(bugNone)
	ctx := context.Background()
	if _, err := f.CreateEvent(ctx, &boxofficev1.CreateEventRequest{EventId: "e", Venue: cluster.OnSaleVenue(1, 1, 6)}); err != nil {
		t.Fatal(err)
	}
	var acked []AckedSell
	for _, order := range []string{"o1", "o2"} {
		hold, err := f.Hold(ctx, &boxofficev1.HoldRequest{RequestId: "h" + order, Selection: &boxofficev1.HoldRequest_Best{
			Best: &boxofficev1.BestAvailable{Quantity: 2, SectionId: "S0"}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Sell(ctx, &boxofficev1.SellRequest{RequestId: "s" + order, HoldId: hold.HoldId, OrderId: order}); err != nil {
			t.Fatal(err)
		}
		acked = append(acked, AckedSell{OrderID: order, HoldID: hold.HoldId, SeatIDs: hold.SeatIds})
	}
	return f, acked
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name string
		// plant changes the store or the acknowledgements.
		plant     func(f *fakeInventory, acked []AckedSell) []AckedSell
		uncertain []string
		want      string // a substring of the one problem; "" for a pass
	}{
		{name: "clean run", plant: func(_ *fakeInventory, acked []AckedSell) []AckedSell { return acked }},
		{
			name: "double sale: two acknowledged sells of one seat",
			plant: func(f *fakeInventory, acked []AckedSell) []AckedSell {
				return append(acked, AckedSell{OrderID: "o3", SeatIDs: []string{"S0-R1-2"}})
			},
			want: "1 seats acknowledged as sold twice",
		},
		{
			name: "lost sale: an acknowledged seat is available",
			plant: func(f *fakeInventory, acked []AckedSell) []AckedSell {
				f.byID["S0-R1-3"].state, f.byID["S0-R1-3"].order = boxofficev1.SeatState_SEAT_STATE_AVAILABLE, ""
				return acked
			},
			want: "lost sales",
		},
		{
			name: "lost sale: an acknowledged seat is sold to another order",
			plant: func(f *fakeInventory, acked []AckedSell) []AckedSell {
				f.byID["S0-R1-4"].order = "o1"
				return acked
			},
			want: "lost sales",
		},
		{
			name: "sale from nowhere: a seat sold without an acknowledged sell",
			plant: func(f *fakeInventory, acked []AckedSell) []AckedSell {
				f.byID["S0-R1-5"].state, f.byID["S0-R1-5"].order = boxofficev1.SeatState_SEAT_STATE_SOLD, "o9"
				return acked
			},
			want: "without an acknowledged sell",
		},
		{
			name: "a sell of unknown outcome that applied is no problem",
			plant: func(f *fakeInventory, acked []AckedSell) []AckedSell {
				f.byID["S0-R1-5"].state, f.byID["S0-R1-5"].order = boxofficev1.SeatState_SEAT_STATE_SOLD, "o9"
				f.byID["S0-R1-6"].state, f.byID["S0-R1-6"].order = boxofficev1.SeatState_SEAT_STATE_SOLD, "o9"
				return acked
			},
			uncertain: []string{"o9"},
		},
		{
			name: "leftover hold",
			plant: func(f *fakeInventory, acked []AckedSell) []AckedSell {
				f.byID["S0-R1-6"].state, f.byID["S0-R1-6"].hold = boxofficev1.SeatState_SEAT_STATE_HELD, "h9"
				return acked
			},
			want: "1 seats still held",
		},
		{
			name: "acknowledged sell whose seats stayed available",
			plant: func(f *fakeInventory, acked []AckedSell) []AckedSell {
				return append(acked, AckedSell{OrderID: "o3", SeatIDs: []string{"S0-R1-5", "S0-R1-6"}})
			},
			want: "4 seats sold in the store, 6 in acknowledged sells",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, acked := plantedStore(t)
			acked = tt.plant(f, acked)
			seatMap, _ := f.GetSeatMap(context.Background(), &boxofficev1.GetSeatMapRequest{})
			got := Check(seatMap, 6, acked, tt.uncertain)
			if tt.want == "" {
				if !got.OK {
					t.Fatalf("Check failed a correct store: %s", got.Detail)
				}
				return
			}
			if got.OK {
				t.Fatalf("Check passed a store with a planted bug (%s): %s", tt.want, got.Detail)
			}
			if !strings.Contains(got.Detail, tt.want) {
				t.Errorf("Check said %q, want it to mention %q", got.Detail, tt.want)
			}
		})
	}
}

func TestCheckCountsAndShape(t *testing.T) {
	f, acked := plantedStore(t)
	seatMap, _ := f.GetSeatMap(context.Background(), &boxofficev1.GetSeatMapRequest{})
	got := Check(seatMap, 6, acked, nil)
	if !got.OK || got.SeatsSold != 4 || got.SeatsAvailable != 2 || got.SeatsHeld != 0 || got.AckedSells != 2 {
		t.Errorf("Check = %+v, want ok with 4 sold, 2 available", got)
	}
	// A map missing a seat, or whose counters disagree with its seats.
	seatMap.Sections[0].Rows[0].Seats = seatMap.Sections[0].Rows[0].Seats[:5]
	if got := Check(seatMap, 6, acked, nil); got.OK || !strings.Contains(got.Detail, "the seat map has 5 seats, the venue 6") {
		t.Errorf("a missing seat: %s", got.Detail)
	}
}
