package bench

import (
	"fmt"
	"strings"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
)

// AckedSell is a sell the cluster acknowledged: the seats of its hold now
// belong to its order.
type AckedSell struct {
	OrderID string   `json:"order_id"`
	HoldID  string   `json:"hold_id"`
	SeatIDs []string `json:"seat_ids"`
}

// CheckResult is the verdict of Check on a run's final seat map.
type CheckResult struct {
	OK bool `json:"ok"`
	// Detail is one line: what was verified, or every problem found.
	Detail   string   `json:"detail"`
	Problems []string `json:"problems,omitempty"`

	Seats          int `json:"seats"`
	SeatsSold      int `json:"seats_sold"`
	SeatsHeld      int `json:"seats_held"`
	SeatsAvailable int `json:"seats_available"`
	AckedSells     int `json:"acked_sells"`
	// UncertainSells are sells whose outcome the run never learned (every
	// retry failed); their seats may be sold or not, and are not counted
	// as problems either way.
	UncertainSells int `json:"uncertain_sells"`
}

// examplesMax bounds the seat ids quoted per kind of problem.
const examplesMax = 5

// Check verifies the invariants of a run against its final seat map, which
// must be a linearizable read with per-seat detail taken after every client
// stopped:
//
//   - the map has venueSeats distinct seats, and its counts agree with its seats;
//   - no seat was acknowledged as sold to two orders (a double sale);
//   - every seat of an acknowledged sell is SOLD to that order (no lost sale);
//   - every SOLD seat belongs to an acknowledged sell of that seat, or to an
//     uncertain one (no sale from nowhere);
//   - so the sold seats are exactly the seats of the acknowledged sells
//     (2 x acknowledged sells in OSW-1);
//   - no seat is still HELD: every acknowledged hold was sold or released.
func Check(seatMap *boxofficev1.SeatMap, venueSeats int, acked []AckedSell, uncertainOrders []string) CheckResult {
	res := CheckResult{AckedSells: len(acked), UncertainSells: len(uncertainOrders)}
	var problems []string
	problem := func(count int, what string, examples []string) {
		if count == 0 {
			return
		}
		line := fmt.Sprintf("%d %s", count, what)
		if len(examples) > 0 {
			line += " (e.g. " + strings.Join(examples, ", ") + ")"
		}
		problems = append(problems, line)
	}

	// What the clients were told: seat -> order.
	soldTo := make(map[string]string, 2*len(acked))
	var doubleSold []string
	doubleSoldCount := 0
	for _, sell := range acked {
		for _, seat := range sell.SeatIDs {
			if earlier, dup := soldTo[seat]; dup {
				doubleSoldCount++
				if len(doubleSold) < examplesMax {
					doubleSold = append(doubleSold, fmt.Sprintf("%s to %s and %s", seat, earlier, sell.OrderID))
				}
				continue
			}
			soldTo[seat] = sell.OrderID
		}
	}
	problem(doubleSoldCount, "seats acknowledged as sold twice", doubleSold)

	// What the store says.
	uncertain := make(map[string]bool, len(uncertainOrders))
	for _, id := range uncertainOrders {
		uncertain[id] = true
	}
	seen := make(map[string]bool, venueSeats)
	var duplicates, fromNowhere, held, unknownState []string
	duplicateCount, fromNowhereCount, unknownStateCount := 0, 0, 0
	soldInStore := make(map[string]string, len(soldTo))
	var perSectionCounts [3]int // available, held, sold from the sections' counters
	for _, section := range seatMap.GetSections() {
		perSectionCounts[0] += int(section.GetAvailable())
		perSectionCounts[1] += int(section.GetHeld())
		perSectionCounts[2] += int(section.GetSold())
		for _, row := range section.GetRows() {
			for _, seat := range row.GetSeats() {
				id := seat.GetSeatId()
				if seen[id] {
					duplicateCount++
					if len(duplicates) < examplesMax {
						duplicates = append(duplicates, id)
					}
					continue
				}
				seen[id] = true
				res.Seats++
				switch seat.GetState() {
				case boxofficev1.SeatState_SEAT_STATE_AVAILABLE:
					res.SeatsAvailable++
				case boxofficev1.SeatState_SEAT_STATE_HELD:
					res.SeatsHeld++
					if len(held) < examplesMax {
						held = append(held, id+" by "+seat.GetHoldId())
					}
				case boxofficev1.SeatState_SEAT_STATE_SOLD:
					res.SeatsSold++
					order := seat.GetOrderId()
					soldInStore[id] = order
					if soldTo[id] != order && !uncertain[order] {
						fromNowhereCount++
						if len(fromNowhere) < examplesMax {
							fromNowhere = append(fromNowhere, fmt.Sprintf("%s to %q", id, order))
						}
					}
				default:
					unknownStateCount++
					if len(unknownState) < examplesMax {
						unknownState = append(unknownState, fmt.Sprintf("%s %v", id, seat.GetState()))
					}
				}
			}
		}
	}
	if res.Seats != venueSeats {
		problems = append(problems, fmt.Sprintf("the seat map has %d seats, the venue %d", res.Seats, venueSeats))
	}
	problem(duplicateCount, "seats listed twice in the seat map", duplicates)
	problem(unknownStateCount, "seats in no known state", unknownState)
	if got := [3]int{res.SeatsAvailable, res.SeatsHeld, res.SeatsSold}; got != perSectionCounts {
		problems = append(problems, fmt.Sprintf("the sections count %d available, %d held, %d sold, their seats %d, %d, %d",
			perSectionCounts[0], perSectionCounts[1], perSectionCounts[2], got[0], got[1], got[2]))
	}

	var lost []string
	lostCount := 0
	for _, sell := range acked {
		for _, seat := range sell.SeatIDs {
			if soldTo[seat] != sell.OrderID {
				continue // a double sale, reported above
			}
			if order, ok := soldInStore[seat]; !ok || order != sell.OrderID {
				lostCount++
				if len(lost) < examplesMax {
					lost = append(lost, fmt.Sprintf("%s of %s", seat, sell.OrderID))
				}
			}
		}
	}
	problem(lostCount, "seats of acknowledged sells not sold to their order (lost sales)", lost)
	problem(fromNowhereCount, "sold seats without an acknowledged sell of that seat", fromNowhere)
	if acknowledgedSeats := len(soldTo); res.SeatsSold != acknowledgedSeats && len(uncertainOrders) == 0 {
		problems = append(problems, fmt.Sprintf("%d seats sold in the store, %d in acknowledged sells", res.SeatsSold, acknowledgedSeats))
	}
	problem(res.SeatsHeld, "seats still held after every client finished", held)

	res.Problems = problems
	res.OK = len(problems) == 0
	if res.OK {
		res.Detail = fmt.Sprintf("ok: %d seats sold = the seats of %d acknowledged sells, none sold twice or lost, none held, %d available",
			res.SeatsSold, len(acked), res.SeatsAvailable)
		if len(uncertainOrders) > 0 {
			res.Detail += fmt.Sprintf("; %d sells of unknown outcome", len(uncertainOrders))
		}
	} else {
		res.Detail = "FAILED: " + strings.Join(problems, "; ")
	}
	return res
}
