package jepsen

import (
	"strings"
	"testing"

	"github.com/boxoffice/boxoffice/jepsen/fakestripe"
)

// cleanShop is a small consistent outcome: fan a bought two seats (one
// ticket checked in, one transferred to b), fan b bought one seat and was
// refunded, fan c was declined.
func cleanShop() ([]fakestripe.Payment, ShopFinal, PurchaseHistory) {
	ledger := []fakestripe.Payment{
		{IntentID: "pi_a", OrderID: "ord_a", Buyer: "a", AmountCents: 10000, Status: "succeeded", Captured: true},
		{IntentID: "pi_b", OrderID: "ord_b", Buyer: "b", AmountCents: 5000, RefundedCents: 5000, Status: "succeeded", Captured: true, Refunds: []string{"re_b"}},
		{IntentID: "pi_c", OrderID: "ord_c", Buyer: "c", AmountCents: 5000, Status: "canceled", Declines: 1},
	}
	final := ShopFinal{Limit: 4,
		Orders: []ShopOrder{
			{OrderID: "ord_a", Fan: "a", State: orderStatePaid, IntentID: "pi_a", Seats: []string{"S0-R1-1", "S0-R1-2"}, AmountCents: 10000, TicketIDs: []string{"t1", "t2"}},
			{OrderID: "ord_b", Fan: "b", State: orderStateRefunded, IntentID: "pi_b", Seats: []string{"S0-R1-3"}, AmountCents: 5000, TicketIDs: []string{"t3"}},
			{OrderID: "ord_c", Fan: "c", State: orderStateReleased, IntentID: "pi_c", Seats: []string{"S0-R1-4"}, AmountCents: 5000},
		},
		Tickets: []ShopTicket{
			{TicketID: "t1", OrderID: "ord_a", Owner: "a", SeatID: "S0-R1-1", State: "checked_in", QRID: "qr1"},
			{TicketID: "t2", OrderID: "ord_a", Owner: "b", SeatID: "S0-R1-2", State: "valid", QRID: "qr2b"},
			{TicketID: "t3", OrderID: "ord_b", Owner: "b", SeatID: "S0-R1-3", State: "revoked", QRID: "qr3"},
		},
		Seats: map[string]SeatView{
			"S0-R1-1": {Seat: "S0-R1-1", State: SeatSold, Order: "ord_a"},
			"S0-R1-2": {Seat: "S0-R1-2", State: SeatSold, Order: "ord_a"},
			"S0-R1-3": {Seat: "S0-R1-3", State: SeatAvailable},
			"S0-R1-4": {Seat: "S0-R1-4", State: SeatAvailable},
		},
	}
	hist := PurchaseHistory{
		Orders: []OrderSeen{{OrderID: "ord_a", Fan: "a", IntentID: "pi_a"}, {OrderID: "ord_b", Fan: "b", IntentID: "pi_b"}, {OrderID: "ord_c", Fan: "c", IntentID: "pi_c"}},
		Confirms: []ConfirmRecord{
			{OrderID: "ord_a", IntentID: "pi_a", Fan: "a", Status: "succeeded"},
			{OrderID: "ord_b", IntentID: "pi_b", Fan: "b", Status: "succeeded"},
			{OrderID: "ord_c", IntentID: "pi_c", Fan: "c", Status: ConfirmDeclined},
		},
		Refunds:   []RefundRecord{{OrderID: "ord_b", Fan: "b", TicketIDs: []string{"t3"}, Status: 200, OK: true, Start: 10, End: 20}},
		Transfers: []TransferRecord{{TicketID: "t2", From: "a", To: "b", OldQRID: "qr2", Status: 200, OK: true, Start: 30, End: 40}},
		Scans: []ScanRecord{
			{TicketID: "t1", QRID: "qr1", Key: "scan-1", Scanner: "door-1", Status: 200, Admitted: true, Start: 50, End: 60},
			{TicketID: "t1", QRID: "qr1", Key: "scan-2", Scanner: "door-2", Status: 409, Problem: "already-checked-in", Start: 50, End: 61},
			{TicketID: "t2", QRID: "qr2", Key: "scan-3", Scanner: "door-1", Status: 409, Problem: "ticket-revoked", Start: 45, End: 50},
			{TicketID: "t3", QRID: "qr3", Key: "scan-4", Scanner: "door-2", Status: 409, Problem: "ticket-revoked", Start: 25, End: 30},
		},
	}
	return ledger, final, hist
}

func checkNamed(t *testing.T, checks []MoneyCheck, name string) MoneyCheck {
	t.Helper()
	for _, c := range checks {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no checker %q", name)
	return MoneyCheck{}
}

func TestMoneyCheckersPassACleanShop(t *testing.T) {
	ledger, final, hist := cleanShop()
	checks := CheckMoney(ledger, final, hist)
	if len(checks) != 7 {
		t.Fatalf("%d checkers, want 7", len(checks))
	}
	for _, c := range checks {
		if c.Compared == 0 || len(c.Violations) > 0 {
			t.Errorf("%s: compared %d, violations %v", c.Name, c.Compared, c.Violations)
		}
	}
	if !(PurchaseResult{Enabled: true, Checks: checks}).valid() {
		t.Fatal("a clean shop is not valid")
	}
	if (PurchaseResult{Enabled: true, Checks: append(checks, MoneyCheck{Name: "empty"})}).valid() {
		t.Fatal("a checker that compared nothing passed")
	}
}

// Each planted bug must be reported by the checker that owns it.
func TestMoneyCheckersCatchPlantedViolations(t *testing.T) {
	cases := []struct {
		name    string
		checker string
		plant   func(ledger []fakestripe.Payment, f *ShopFinal, h *PurchaseHistory) []fakestripe.Payment
		want    string
	}{
		{"charged and no ticket: order released, money kept", CheckCapturedHasTickets,
			func(l []fakestripe.Payment, f *ShopFinal, h *PurchaseHistory) []fakestripe.Payment {
				l = append(l, fakestripe.Payment{IntentID: "pi_d", OrderID: "ord_d", Buyer: "d", AmountCents: 5000, Captured: true, Status: "succeeded"})
				f.Orders = append(f.Orders, ShopOrder{OrderID: "ord_d", Fan: "d", State: orderStateReleased, IntentID: "pi_d", Seats: []string{"S0-R1-5"}, AmountCents: 5000})
				return l
			}, "charged, no ticket"},
		{"paid order missing a ticket", CheckCapturedHasTickets,
			func(l []fakestripe.Payment, f *ShopFinal, h *PurchaseHistory) []fakestripe.Payment {
				f.Tickets = f.Tickets[1:]
				return l
			}, "ticket t1 is missing"},
		{"partial refund", CheckCapturedHasTickets,
			func(l []fakestripe.Payment, f *ShopFinal, h *PurchaseHistory) []fakestripe.Payment {
				l[1].RefundedCents = 2500
				return l
			}, "partial refund"},
		{"ticket without payment: the refund left the ticket valid", CheckTicketOnePayment,
			func(l []fakestripe.Payment, f *ShopFinal, h *PurchaseHistory) []fakestripe.Payment {
				f.Tickets[2].State = "valid"
				f.Orders[1].State = orderStatePaid
				return l
			}, "has no captured, unrefunded payment"},
		{"order charged twice", CheckTicketOnePayment,
			func(l []fakestripe.Payment, f *ShopFinal, h *PurchaseHistory) []fakestripe.Payment {
				return append(l, fakestripe.Payment{IntentID: "pi_a2", OrderID: "ord_a", Buyer: "a", AmountCents: 10000, Captured: true, Status: "succeeded"})
			}, "charged 2 times"},
		{"seat sold twice", CheckSeatOneOwner,
			func(l []fakestripe.Payment, f *ShopFinal, h *PurchaseHistory) []fakestripe.Payment {
				l = append(l, fakestripe.Payment{IntentID: "pi_e", OrderID: "ord_e", Buyer: "e", AmountCents: 5000, Captured: true, Status: "succeeded"})
				f.Orders = append(f.Orders, ShopOrder{OrderID: "ord_e", Fan: "e", State: orderStatePaid, IntentID: "pi_e", Seats: []string{"S0-R1-1"}, AmountCents: 5000, TicketIDs: []string{"t9"}})
				f.Tickets = append(f.Tickets, ShopTicket{TicketID: "t9", OrderID: "ord_e", Owner: "e", SeatID: "S0-R1-1", State: "valid"})
				return l
			}, "seat S0-R1-1 is in 2 paid orders"},
		{"store and gateway disagree: refunded seat still sold", CheckSeatOneOwner,
			func(l []fakestripe.Payment, f *ShopFinal, h *PurchaseHistory) []fakestripe.Payment {
				f.Seats["S0-R1-3"] = SeatView{Seat: "S0-R1-3", State: SeatSold, Order: "ord_b"}
				return l
			}, "sold in the store to order ord_b"},
		{"ticket admitted twice", CheckAdmittedOnce,
			func(l []fakestripe.Payment, f *ShopFinal, h *PurchaseHistory) []fakestripe.Payment {
				h.Scans[1].Status, h.Scans[1].Admitted, h.Scans[1].Problem = 200, true, ""
				return l
			}, "admitted 2 times"},
		{"a retried scan is one admission", "",
			func(l []fakestripe.Payment, f *ShopFinal, h *PurchaseHistory) []fakestripe.Payment {
				retry := h.Scans[0]
				retry.Start, retry.End = 70, 80
				h.Scans = append(h.Scans, retry)
				return l
			}, ""},
		{"transferred-away QR admitted", CheckAdmittedOnce,
			func(l []fakestripe.Payment, f *ShopFinal, h *PurchaseHistory) []fakestripe.Payment {
				h.Scans[2].Status, h.Scans[2].Admitted, h.Scans[2].Problem = 200, true, ""
				f.Tickets[1].State = "checked_in"
				return l
			}, "after its transfer from a to b"},
		{"refunded ticket admitted", CheckAdmittedOnce,
			func(l []fakestripe.Payment, f *ShopFinal, h *PurchaseHistory) []fakestripe.Payment {
				h.Scans[3].Status, h.Scans[3].Admitted, h.Scans[3].Problem = 200, true, ""
				return l
			}, "after its order ord_b was refunded"},
		{"fan over the limit", CheckFanLimit,
			func(l []fakestripe.Payment, f *ShopFinal, h *PurchaseHistory) []fakestripe.Payment {
				l = append(l, fakestripe.Payment{IntentID: "pi_f", OrderID: "ord_f", Buyer: "a", AmountCents: 15000, Captured: true, Status: "succeeded"})
				f.Orders = append(f.Orders, ShopOrder{OrderID: "ord_f", Fan: "a", State: orderStatePaid, IntentID: "pi_f", Seats: []string{"S1-R1-1", "S1-R1-2", "S1-R1-3"}, AmountCents: 15000, TicketIDs: []string{"t10", "t11", "t12"}})
				for i, id := range []string{"t10", "t11", "t12"} {
					f.Tickets = append(f.Tickets, ShopTicket{TicketID: id, OrderID: "ord_f", Owner: "a", SeatID: f.Orders[len(f.Orders)-1].Seats[i], State: "valid"})
				}
				return l
			}, "fan a owns 5 seats"},
		{"money taken for a declined payment", CheckDeclineNoMoney,
			func(l []fakestripe.Payment, f *ShopFinal, h *PurchaseHistory) []fakestripe.Payment {
				l[2].Captured, l[2].Status = true, "succeeded"
				return l
			}, "was declined but 5000 cents were captured"},
		{"order left pending", CheckOrdersEnd,
			func(l []fakestripe.Payment, f *ShopFinal, h *PurchaseHistory) []fakestripe.Payment {
				f.Orders[2].State = orderStatePending
				return l
			}, "still pending"},
		{"answered order lost", CheckOrdersEnd,
			func(l []fakestripe.Payment, f *ShopFinal, h *PurchaseHistory) []fakestripe.Payment {
				h.Orders = append(h.Orders, OrderSeen{OrderID: "ord_z", Fan: "z"})
				return l
			}, "ord_z, answered to z, is not among its orders"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ledger, final, hist := cleanShop()
			ledger = tc.plant(ledger, &final, &hist)
			checks := CheckMoney(ledger, final, hist)
			for _, c := range checks {
				if c.Name == tc.checker {
					continue
				}
				if len(c.Violations) > 0 && tc.checker == "" {
					t.Errorf("%s reported %v", c.Name, c.Violations)
				}
			}
			if tc.checker == "" {
				return
			}
			c := checkNamed(t, checks, tc.checker)
			if !strings.Contains(strings.Join(c.Violations, "\n"), tc.want) {
				t.Fatalf("%s: want a violation containing %q, got %v", tc.checker, tc.want, c.Violations)
			}
			if (PurchaseResult{Enabled: true, Checks: checks}).valid() {
				t.Fatal("the purchase result is valid with a planted violation")
			}
		})
	}
}

// The summary's purchases section shows each checker's comparisons and
// violations, and says so when a checker compared nothing.
func TestSummaryShowsEachMoneyChecker(t *testing.T) {
	ledger, final, hist := cleanShop()
	final.Orders[2].State = orderStatePending
	checks := CheckMoney(ledger, final, hist)
	checks = append(checks, MoneyCheck{Name: "empty checker"})
	cfg := Profiles["ci"]
	res := &Result{Purchase: PurchaseResult{Enabled: true, Gateways: 2, Fans: 3, Orders: 3, Paid: 2, Checks: checks}}
	summary := Summary(&cfg, res)
	for _, want := range []string{"purchases: 2 gateways", CheckOrdersEnd + ":", "1 violations", "order ord_c of c is still pending",
		"empty checker:", "compared nothing: the run cannot pass", "VERDICT: INVALID"} {
		if !strings.Contains(summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, summary)
		}
	}
}
