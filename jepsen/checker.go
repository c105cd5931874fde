package jepsen

import (
	"fmt"
	"sort"
	"time"
)

// PoolView is a general-admission pool as a replica reports it.
type PoolView struct {
	Capacity uint32 `json:"capacity"`
	Held     uint32 `json:"held"`
	Sold     uint32 `json:"sold"`
}

// FinalState is one replica's view of the event after the run, read with
// READ_CONSISTENCY_STALE from that node.
type FinalState struct {
	Node         string              `json:"node"`
	Seats        map[string]SeatView `json:"seats"`
	HoldExpiry   map[string]int64    `json:"hold_expiry_unix_ms"` // held seats only
	Pools        map[string]PoolView `json:"pools"`
	ReadAtUnixMs int64               `json:"read_at_unix_ms"`
}

// InvariantResult lists violations of the ticketing invariants.
type InvariantResult struct {
	AckedSales       int // acknowledged sales not (maybe) refunded, each checked on every replica
	SeatsChecked     int
	ReplicasCompared int
	Violations       []string
}

// CheckFinal checks the ticketing invariants over the final states:
//   - no seat is acknowledged sold to two orders that were not refunded;
//   - every acknowledged sale whose order was never (maybe) refunded is
//     present on every replica with its order;
//   - no seat is still held past its expiry plus holdExpiryBound;
//   - no general-admission pool holds or sells more than its capacity, and
//     its sold count lies between the acknowledged and the possible sales;
//   - every replica reports the same seats and pools.
func CheckFinal(history []Op, finals []FinalState, holdExpiryBound time.Duration) InvariantResult {
	var res InvariantResult
	violate := func(format string, args ...any) {
		res.Violations = append(res.Violations, fmt.Sprintf(format, args...))
	}

	maybeRefunded := map[string]bool{}
	refundedGA := 0 // GA units certainly refunded
	for _, op := range history {
		if op.Kind == KindRefund && op.Outcome != OutcomeFail {
			maybeRefunded[op.Order] = true
			if op.Outcome == OutcomeOK {
				refundedGA += op.Quantity
			}
		}
	}
	owner := map[string]string{} // seat -> acknowledged, unrefunded order
	gaLow, gaHigh := 0, 0
	for _, op := range history {
		if op.Kind != KindSell || op.Outcome == OutcomeFail {
			continue
		}
		gaHigh += op.Quantity
		if op.Outcome != OutcomeOK || maybeRefunded[op.Order] {
			continue
		}
		gaLow += op.Quantity
		res.AckedSales++
		for _, seat := range op.Seats {
			if other, ok := owner[seat]; ok && other != op.Order {
				violate("double sale: seat %s acknowledged sold to order %s and to order %s, neither refunded", seat, other, op.Order)
			}
			owner[seat] = op.Order
		}
	}
	gaHigh -= refundedGA

	for _, f := range finals {
		for seat, order := range owner {
			v, ok := f.Seats[seat]
			if !ok || v.State != SeatSold || v.Order != order {
				violate("lost sale: %s shows seat %s as %s, want sold to acknowledged order %s", f.Node, seat, describeSeat(seatState{State: v.State, Holder: v.Holder, Order: v.Order}), order)
			}
		}
		for seat, expiry := range f.HoldExpiry {
			if late := time.Duration(f.ReadAtUnixMs-expiry) * time.Millisecond; late > holdExpiryBound {
				violate("stuck hold: %s shows seat %s held %s past its expiry (bound %s)", f.Node, seat, late, holdExpiryBound)
			}
		}
		for id, p := range f.Pools {
			if p.Held+p.Sold > p.Capacity {
				violate("oversold pool: %s shows pool %s with %d held + %d sold > capacity %d", f.Node, id, p.Held, p.Sold, p.Capacity)
			}
			if int(p.Sold) < gaLow || int(p.Sold) > gaHigh {
				violate("pool count: %s shows pool %s sold %d, acknowledged sales allow %d..%d", f.Node, id, p.Sold, gaLow, gaHigh)
			}
		}
		res.SeatsChecked += len(f.Seats)
	}
	if len(finals) > 1 {
		base := finals[0]
		for _, f := range finals[1:] {
			res.ReplicasCompared++
			var differ []string
			for seat, v := range base.Seats {
				if f.Seats[seat] != v {
					differ = append(differ, fmt.Sprintf("%s (%s: %s, %s: %s)", seat, base.Node, describeSeat(seatState{State: v.State, Holder: v.Holder, Order: v.Order}),
						f.Node, describeSeat(seatState{State: f.Seats[seat].State, Holder: f.Seats[seat].Holder, Order: f.Seats[seat].Order})))
				}
			}
			if len(f.Seats) != len(base.Seats) {
				differ = append(differ, fmt.Sprintf("seat count %s: %d, %s: %d", base.Node, len(base.Seats), f.Node, len(f.Seats)))
			}
			// A hold's expiry is replicated time (the proposing leader's
			// stamp): replicas that hold a seat must agree on when it ends.
			for seat, expiry := range base.HoldExpiry {
				if other, ok := f.HoldExpiry[seat]; ok && other != expiry {
					differ = append(differ, fmt.Sprintf("%s hold expiry (%s: %d, %s: %d)", seat, base.Node, expiry, f.Node, other))
				}
			}
			for id, p := range base.Pools {
				if f.Pools[id] != p {
					differ = append(differ, fmt.Sprintf("pool %s (%s: %+v, %s: %+v)", id, base.Node, p, f.Node, f.Pools[id]))
				}
			}
			sort.Strings(differ)
			if len(differ) > 0 {
				if len(differ) > 5 {
					differ = append(differ[:5], fmt.Sprintf("... %d more", len(differ)-5))
				}
				violate("replicas differ: %s vs %s: %v", base.Node, f.Node, differ)
			}
		}
	}
	return res
}

// observedHolders collects, from every read and final state, the seats
// seen held by each holder.
func observedHolders(history []Op, finals []FinalState) map[string][]string {
	seen := map[string]map[string]bool{}
	note := func(v SeatView) {
		if v.State != SeatHeld || v.Holder == "" {
			return
		}
		if seen[v.Holder] == nil {
			seen[v.Holder] = map[string]bool{}
		}
		seen[v.Holder][v.Seat] = true
	}
	for _, op := range history {
		if op.Kind == KindRead && op.Outcome == OutcomeOK {
			for _, v := range op.Read {
				note(v)
			}
		}
	}
	for _, f := range finals {
		for _, v := range f.Seats {
			note(v)
		}
	}
	out := make(map[string][]string, len(seen))
	for holder, seats := range seen {
		for seat := range seats {
			out[holder] = append(out[holder], seat)
		}
		sort.Strings(out[holder])
	}
	return out
}
