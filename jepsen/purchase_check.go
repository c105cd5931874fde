package jepsen

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/boxoffice/boxoffice/jepsen/fakestripe"
)

// The money checkers of the purchase workload. They are pure functions of
// the provider's ledger, the final state read after healing (the
// gateways' orders and tickets, the store's seat map) and the fans'
// history, so each can be shown a planted violation in a unit test.

// PurchaseHistory is what the fans did and what they were answered.
type PurchaseHistory struct {
	Calls     []PurchaseCall   `json:"calls"`
	Orders    []OrderSeen      `json:"orders"`
	Confirms  []ConfirmRecord  `json:"confirms"`
	Refunds   []RefundRecord   `json:"refunds"`
	Transfers []TransferRecord `json:"transfers"`
	Scans     []ScanRecord     `json:"scans"`
}

// PurchaseCall is one HTTP attempt of a fan (or scanner or organizer).
// Times count from the start of traffic, in nanoseconds.
type PurchaseCall struct {
	Fan     string `json:"fan"`
	Step    string `json:"step"`
	Gateway string `json:"gateway"`
	Key     string `json:"key,omitempty"` // Idempotency-Key, kept across attempts
	Method  string `json:"method"`
	Path    string `json:"path"`
	Attempt int    `json:"attempt"`
	Start   int64  `json:"start_ns"`
	End     int64  `json:"end_ns"`
	Status  int    `json:"status"` // 0: no answer
	Problem string `json:"problem,omitempty"`
	Error   string `json:"error,omitempty"`
}

// OrderSeen is an order a fan was answered.
type OrderSeen struct {
	OrderID  string   `json:"order_id"`
	Fan      string   `json:"fan"`
	IntentID string   `json:"intent_id"`
	Seats    []string `json:"seats"`
	At       int64    `json:"at_ns"`
}

// ConfirmDeclined is a ConfirmRecord's status when the card was declined.
const ConfirmDeclined = "declined"

// ConfirmRecord is one payment attempt on the provider: Status is the
// intent's status, or ConfirmDeclined; Err any other error.
type ConfirmRecord struct {
	OrderID    string `json:"order_id"`
	IntentID   string `json:"intent_id"`
	Fan        string `json:"fan"`
	Status     string `json:"status,omitempty"`
	Err        string `json:"error,omitempty"`
	Start, End int64
}

// RefundRecord is one refund request.
type RefundRecord struct {
	OrderID    string   `json:"order_id"`
	Fan        string   `json:"fan"`
	TicketIDs  []string `json:"ticket_ids"`
	Status     int      `json:"status"`
	Problem    string   `json:"problem,omitempty"`
	OK         bool     `json:"ok"`
	Start, End int64
}

// TransferRecord is one ticket transfer.
type TransferRecord struct {
	TicketID   string `json:"ticket_id"`
	From, To   string
	OldQRID    string `json:"old_qr_id"`
	Status     int    `json:"status"`
	Problem    string `json:"problem,omitempty"`
	OK         bool   `json:"ok"`
	Start, End int64
}

// ScanRecord is one check-in: a door scanning a QR.
type ScanRecord struct {
	TicketID   string `json:"ticket_id"`
	QRID       string `json:"qr_id"`
	Key        string `json:"key"` // one scan, however often it is retried
	Scanner    string `json:"scanner"`
	Status     int    `json:"status"`
	Problem    string `json:"problem,omitempty"`
	Admitted   bool   `json:"admitted"`
	Start, End int64
}

// ShopFinal is the final state after healing.
type ShopFinal struct {
	Orders  []ShopOrder         `json:"orders"`  // every fan's orders, from the gateways
	Tickets []ShopTicket        `json:"tickets"` // every fan's tickets, from the gateways
	Seats   map[string]SeatView `json:"seats"`   // the store's seat map of the shop event
	Limit   int                 `json:"limit"`   // seats per fan
}

// ShopOrder is an order as its fan reads it.
type ShopOrder struct {
	OrderID     string   `json:"order_id"`
	Fan         string   `json:"fan"`
	State       string   `json:"state"`
	IntentID    string   `json:"intent_id"`
	Seats       []string `json:"seats"`
	AmountCents int64    `json:"amount_cents"`
	TicketIDs   []string `json:"ticket_ids"`
}

// ShopTicket is a ticket as its owner reads it.
type ShopTicket struct {
	TicketID string `json:"ticket_id"`
	OrderID  string `json:"order_id"`
	Owner    string `json:"owner"`
	SeatID   string `json:"seat_id"`
	State    string `json:"state"` // valid, checked_in, revoked
	QRID     string `json:"qr_id"`
}

// MoneyCheck is one checker's outcome: how many things it compared and
// what it found wrong. A checker that compared nothing has shown nothing.
type MoneyCheck struct {
	Name       string   `json:"name"`
	Compared   int      `json:"compared"`
	Violations []string `json:"violations,omitempty"`
}

// Order states of the gateway (checkout/orders.go).
const (
	orderStatePending   = "pending"
	orderStatePaid      = "paid"
	orderStateReleased  = "released"
	orderStateRefunding = "refunding"
	orderStateRefunded  = "refunded"
	orderStateSeatsLost = "refunded_seats_lost"
)

// Names of the money checkers, in the summary's order.
const (
	CheckCapturedHasTickets = "captured payment has its tickets or a refund"
	CheckTicketOnePayment   = "ticket has one captured payment"
	CheckSeatOneOwner       = "seat in at most one live order"
	CheckAdmittedOnce       = "ticket admitted once, never after transfer or refund"
	CheckFanLimit           = "fan within the ticket limit"
	CheckDeclineNoMoney     = "no money for a declined payment"
	CheckOrdersEnd          = "every order ended"
)

func liveTicket(state string) bool { return state == "valid" || state == "checked_in" }

// CheckMoney runs every money checker.
func CheckMoney(ledger []fakestripe.Payment, final ShopFinal, hist PurchaseHistory) []MoneyCheck {
	return []MoneyCheck{
		checkCapturedHasTickets(ledger, final),
		checkTicketOnePayment(ledger, final),
		checkSeatOneOwner(final),
		checkAdmittedOnce(final, hist),
		checkFanLimit(final),
		checkDeclineNoMoney(ledger, final, hist),
		checkOrdersEnd(ledger, final, hist),
	}
}

func ordersByID(final ShopFinal) map[string]ShopOrder {
	m := make(map[string]ShopOrder, len(final.Orders))
	for _, o := range final.Orders {
		m[o.OrderID] = o
	}
	return m
}

func ticketsByID(final ShopFinal) map[string]ShopTicket {
	m := make(map[string]ShopTicket, len(final.Tickets))
	for _, t := range final.Tickets {
		m[t.TicketID] = t
	}
	return m
}

// checkCapturedHasTickets: every captured payment is either refunded in
// full, or its order is paid with one live ticket per seat.
func checkCapturedHasTickets(ledger []fakestripe.Payment, final ShopFinal) MoneyCheck {
	mc := MoneyCheck{Name: CheckCapturedHasTickets}
	orders, tickets := ordersByID(final), ticketsByID(final)
	for _, p := range ledger {
		if !p.Captured {
			continue
		}
		mc.Compared++
		switch {
		case p.RefundedCents == p.AmountCents:
			continue
		case p.RefundedCents != 0:
			mc.Violations = append(mc.Violations, fmt.Sprintf("payment %s (order %s): %d of %d cents refunded (partial refund)", p.IntentID, p.OrderID, p.RefundedCents, p.AmountCents))
			continue
		}
		o, ok := orders[p.OrderID]
		switch {
		case !ok:
			mc.Violations = append(mc.Violations, fmt.Sprintf("payment %s captured %d cents for order %s, which no fan has", p.IntentID, p.AmountCents, p.OrderID))
			continue
		case o.IntentID != p.IntentID:
			mc.Violations = append(mc.Violations, fmt.Sprintf("payment %s captured for order %s, whose payment is %s: charged without the order knowing", p.IntentID, p.OrderID, o.IntentID))
			continue
		case o.State != orderStatePaid:
			mc.Violations = append(mc.Violations, fmt.Sprintf("payment %s captured %d cents, order %s is %s and nothing was refunded (charged, no ticket)", p.IntentID, p.AmountCents, o.OrderID, o.State))
			continue
		case o.AmountCents != p.AmountCents:
			mc.Violations = append(mc.Violations, fmt.Sprintf("payment %s captured %d cents for order %s of %d cents", p.IntentID, p.AmountCents, o.OrderID, o.AmountCents))
		}
		if len(o.TicketIDs) != len(o.Seats) {
			mc.Violations = append(mc.Violations, fmt.Sprintf("order %s paid by %s: %d tickets for %d seats", o.OrderID, p.IntentID, len(o.TicketIDs), len(o.Seats)))
		}
		for _, id := range o.TicketIDs {
			if t, ok := tickets[id]; !ok || !liveTicket(t.State) {
				state := "missing"
				if ok {
					state = t.State
				}
				mc.Violations = append(mc.Violations, fmt.Sprintf("order %s paid by %s: ticket %s is %s", o.OrderID, p.IntentID, id, state))
			}
		}
	}
	return mc
}

// checkTicketOnePayment: every live ticket belongs to a paid order that
// lists it, and that order has exactly one captured, unrefunded payment:
// its own. No order is charged twice.
func checkTicketOnePayment(ledger []fakestripe.Payment, final ShopFinal) MoneyCheck {
	mc := MoneyCheck{Name: CheckTicketOnePayment}
	orders := ordersByID(final)
	charged := map[string][]string{} // order id → captured, unrefunded intents
	for _, p := range ledger {
		if p.Captured && p.RefundedCents == 0 {
			charged[p.OrderID] = append(charged[p.OrderID], p.IntentID)
		}
	}
	for _, t := range final.Tickets {
		if !liveTicket(t.State) {
			continue
		}
		mc.Compared++
		o, ok := orders[t.OrderID]
		switch {
		case !ok:
			mc.Violations = append(mc.Violations, fmt.Sprintf("ticket %s (seat %s) of order %s, which no fan has", t.TicketID, t.SeatID, t.OrderID))
			continue
		case o.State != orderStatePaid:
			mc.Violations = append(mc.Violations, fmt.Sprintf("ticket %s (seat %s) is %s but its order %s is %s", t.TicketID, t.SeatID, t.State, o.OrderID, o.State))
		case !slices.Contains(o.TicketIDs, t.TicketID):
			mc.Violations = append(mc.Violations, fmt.Sprintf("ticket %s is not among the tickets of its order %s", t.TicketID, o.OrderID))
		}
		switch intents := charged[o.OrderID]; {
		case len(intents) == 0:
			mc.Violations = append(mc.Violations, fmt.Sprintf("ticket %s (seat %s, order %s) has no captured, unrefunded payment (ticket without payment)", t.TicketID, t.SeatID, o.OrderID))
		case len(intents) > 1:
			mc.Violations = append(mc.Violations, fmt.Sprintf("order %s of ticket %s is charged %d times: %s", o.OrderID, t.TicketID, len(intents), strings.Join(intents, ",")))
		case intents[0] != o.IntentID:
			mc.Violations = append(mc.Violations, fmt.Sprintf("order %s of ticket %s is paid by %s, the order names %s", o.OrderID, t.TicketID, intents[0], o.IntentID))
		}
	}
	for id, intents := range charged {
		if _, ok := orders[id]; ok && len(intents) > 1 {
			mc.Compared++
			mc.Violations = append(mc.Violations, fmt.Sprintf("order %s is charged %d times: %s", id, len(intents), strings.Join(intents, ",")))
		}
	}
	mc.Violations = dedupe(mc.Violations)
	return mc
}

// checkSeatOneOwner: no seat is in two paid orders or two live tickets,
// and the store agrees with the gateways: a paid order's seats are sold
// to it, and every sold seat belongs to a paid order that has it.
func checkSeatOneOwner(final ShopFinal) MoneyCheck {
	mc := MoneyCheck{Name: CheckSeatOneOwner}
	paidBySeat := map[string][]string{}
	for _, o := range final.Orders {
		if o.State != orderStatePaid {
			continue
		}
		for _, seat := range o.Seats {
			paidBySeat[seat] = append(paidBySeat[seat], o.OrderID)
		}
	}
	ticketsBySeat := map[string][]string{}
	for _, t := range final.Tickets {
		if liveTicket(t.State) {
			ticketsBySeat[t.SeatID] = append(ticketsBySeat[t.SeatID], t.TicketID)
		}
	}
	for _, seat := range sortedKeys(paidBySeat) {
		ids := paidBySeat[seat]
		mc.Compared++
		if len(ids) > 1 {
			mc.Violations = append(mc.Violations, fmt.Sprintf("seat %s is in %d paid orders: %s", seat, len(ids), strings.Join(ids, ",")))
		}
		if final.Seats != nil {
			v, ok := final.Seats[seat]
			if !ok || v.State != SeatSold || !slices.Contains(ids, v.Order) {
				mc.Violations = append(mc.Violations, fmt.Sprintf("seat %s of paid order %s is %s in the store (order %q)", seat, ids[0], v.State, v.Order))
			}
		}
	}
	for _, seat := range sortedKeys(ticketsBySeat) {
		if ids := ticketsBySeat[seat]; len(ids) > 1 {
			mc.Violations = append(mc.Violations, fmt.Sprintf("seat %s has %d live tickets: %s", seat, len(ids), strings.Join(ids, ",")))
		}
	}
	for _, seat := range sortedKeys(final.Seats) {
		v := final.Seats[seat]
		if v.State != SeatSold {
			continue
		}
		mc.Compared++
		if !slices.Contains(paidBySeat[seat], v.Order) {
			mc.Violations = append(mc.Violations, fmt.Sprintf("seat %s is sold in the store to order %s, which is not a paid order with that seat", seat, v.Order))
		}
	}
	return mc
}

// checkAdmittedOnce: two different scans never both admit one ticket; a
// QR is never admitted after its ticket was transferred away or refunded
// (the transfer or refund answered before the scan was sent); and a
// ticket a scan admitted ends checked in.
func checkAdmittedOnce(final ShopFinal, hist PurchaseHistory) MoneyCheck {
	mc := MoneyCheck{Name: CheckAdmittedOnce}
	tickets := ticketsByID(final)
	admitted := map[string]map[string]bool{} // ticket → scan keys that admitted it
	for _, sc := range hist.Scans {
		if sc.Status == 0 {
			continue
		}
		mc.Compared++
		if !sc.Admitted {
			continue
		}
		if admitted[sc.TicketID] == nil {
			admitted[sc.TicketID] = map[string]bool{}
		}
		admitted[sc.TicketID][sc.Key] = true
		for _, tr := range hist.Transfers {
			if tr.OK && tr.TicketID == sc.TicketID && tr.OldQRID == sc.QRID && tr.End < sc.Start {
				mc.Violations = append(mc.Violations, fmt.Sprintf("ticket %s: QR %s admitted by %s (scan %s) after its transfer from %s to %s had answered", sc.TicketID, sc.QRID, sc.Scanner, sc.Key, tr.From, tr.To))
			}
		}
		for _, rf := range hist.Refunds {
			if rf.OK && slices.Contains(rf.TicketIDs, sc.TicketID) && rf.End < sc.Start {
				mc.Violations = append(mc.Violations, fmt.Sprintf("ticket %s admitted by %s (scan %s) after its order %s was refunded", sc.TicketID, sc.Scanner, sc.Key, rf.OrderID))
			}
		}
	}
	for _, id := range sortedKeys(admitted) {
		keys := admitted[id]
		if len(keys) > 1 {
			mc.Violations = append(mc.Violations, fmt.Sprintf("ticket %s admitted %d times (scans %s)", id, len(keys), strings.Join(sortedKeys(keys), ",")))
		}
		if t, ok := tickets[id]; !ok || t.State != "checked_in" {
			mc.Violations = append(mc.Violations, fmt.Sprintf("ticket %s was admitted at the door but ends %s", id, t.State))
		}
	}
	return mc
}

// checkFanLimit: no fan's paid orders hold more seats than the limit.
func checkFanLimit(final ShopFinal) MoneyCheck {
	mc := MoneyCheck{Name: CheckFanLimit}
	seats := map[string]int{}
	for _, o := range final.Orders {
		if o.State == orderStatePaid {
			seats[o.Fan] += len(o.Seats)
		} else {
			seats[o.Fan] += 0
		}
	}
	for _, fan := range sortedKeys(seats) {
		mc.Compared++
		if seats[fan] > final.Limit {
			mc.Violations = append(mc.Violations, fmt.Sprintf("fan %s owns %d seats in paid orders, the limit is %d", fan, seats[fan], final.Limit))
		}
	}
	return mc
}

// checkDeclineNoMoney: a payment whose every confirmation was answered
// with a decline is never captured, and its order is not paid.
func checkDeclineNoMoney(ledger []fakestripe.Payment, final ShopFinal, hist PurchaseHistory) MoneyCheck {
	mc := MoneyCheck{Name: CheckDeclineNoMoney}
	declinedOnly := map[string]bool{}
	for _, c := range hist.Confirms {
		ok, seen := declinedOnly[c.IntentID]
		declined := c.Err == "" && c.Status == ConfirmDeclined
		declinedOnly[c.IntentID] = declined && (ok || !seen)
	}
	payments := map[string]fakestripe.Payment{}
	for _, p := range ledger {
		payments[p.IntentID] = p
	}
	orders := ordersByID(final)
	for _, intent := range sortedKeys(declinedOnly) {
		if !declinedOnly[intent] {
			continue
		}
		mc.Compared++
		p, ok := payments[intent]
		switch {
		case !ok:
			mc.Violations = append(mc.Violations, fmt.Sprintf("declined payment %s is not in the provider's ledger", intent))
			continue
		case p.Captured:
			mc.Violations = append(mc.Violations, fmt.Sprintf("payment %s was declined but %d cents were captured", intent, p.AmountCents))
		}
		if o, ok := orders[p.OrderID]; ok && o.State == orderStatePaid {
			mc.Violations = append(mc.Violations, fmt.Sprintf("order %s is paid although its payment %s was declined", o.OrderID, intent))
		}
	}
	return mc
}

// checkOrdersEnd: every order a fan was answered, and every order the
// provider has a payment for, is found and in a terminal state: paid with
// its tickets, released, refunded.
func checkOrdersEnd(ledger []fakestripe.Payment, final ShopFinal, hist PurchaseHistory) MoneyCheck {
	mc := MoneyCheck{Name: CheckOrdersEnd}
	orders := ordersByID(final)
	for _, seen := range hist.Orders {
		if _, ok := orders[seen.OrderID]; !ok {
			mc.Violations = append(mc.Violations, fmt.Sprintf("order %s, answered to %s, is not among its orders", seen.OrderID, seen.Fan))
		}
	}
	for _, p := range ledger {
		if _, ok := orders[p.OrderID]; !ok && p.Captured && p.RefundedCents != p.AmountCents {
			mc.Violations = append(mc.Violations, fmt.Sprintf("payment %s captured for order %s, which no fan has", p.IntentID, p.OrderID))
		}
	}
	for _, o := range final.Orders {
		mc.Compared++
		switch o.State {
		case orderStateReleased, orderStateRefunded, orderStateSeatsLost:
		case orderStatePaid:
			if len(o.TicketIDs) != len(o.Seats) {
				mc.Violations = append(mc.Violations, fmt.Sprintf("order %s is paid with %d tickets for %d seats", o.OrderID, len(o.TicketIDs), len(o.Seats)))
			}
		default:
			mc.Violations = append(mc.Violations, fmt.Sprintf("order %s of %s is still %s %s after healing", o.OrderID, o.Fan, o.State, OrderEndBound))
		}
	}
	mc.Violations = dedupe(mc.Violations)
	return mc
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func dedupe(list []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range list {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
