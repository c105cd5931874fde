package jepsen

import (
	"strings"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
)

// Small hand-made histories: each checker passes a legal one and catches
// a planted bug.

func hold(id, client int, call, ret int64, outcome, holder string, seats ...string) Op {
	op := Op{ID: id, Client: client, Kind: KindHold, Call: call, Return: ret, Outcome: outcome, Holder: holder, Seats: seats}
	if outcome == OutcomeFail {
		op.Code = "Aborted"
	}
	if outcome == OutcomeInfo {
		op.Return = -1
	}
	return op
}

func sell(id, client int, call, ret int64, outcome, holder, order string, seats ...string) Op {
	return Op{ID: id, Client: client, Kind: KindSell, Call: call, Return: ret, Outcome: outcome, Holder: holder, Order: order, Seats: seats}
}

func refund(id, client int, call, ret int64, outcome, order string, seats ...string) Op {
	return Op{ID: id, Client: client, Kind: KindRefund, Call: call, Return: ret, Outcome: outcome, Order: order, Seats: seats}
}

func read(id, client int, call, ret int64, views ...SeatView) Op {
	return Op{ID: id, Client: client, Kind: KindRead, Call: call, Return: ret, Outcome: OutcomeOK, Read: views}
}

func available(seat string) SeatView { return SeatView{Seat: seat, State: SeatAvailable} }
func heldBy(seat, holder string) SeatView {
	return SeatView{Seat: seat, State: SeatHeld, Holder: holder}
}
func soldTo(seat, order string) SeatView { return SeatView{Seat: seat, State: SeatSold, Order: order} }

func checkLin(t *testing.T, history []Op) LinearizabilityResult {
	t.Helper()
	res, _ := CheckLinearizable(history, observedHolders(history, nil), 10*time.Second)
	return res
}

func TestLinearizabilityLegalHistory(t *testing.T) {
	history := []Op{
		// Two clients race for A-1; one wins, the other is refused.
		hold(0, 0, 0, 10, OutcomeOK, "h1", "A-1", "A-2"),
		hold(1, 1, 5, 12, OutcomeFail, "h2", "A-1"),
		read(2, 2, 11, 20, heldBy("A-1", "h1"), heldBy("A-2", "h1")),
		sell(3, 0, 21, 30, OutcomeOK, "h1", "o1", "A-1", "A-2"),
		read(4, 2, 31, 40, soldTo("A-1", "o1"), soldTo("A-2", "o1")),
		refund(5, 0, 41, 50, OutcomeOK, "o1", "A-1", "A-2"),
		// A hold whose outcome is unknown: a later read may see it...
		hold(6, 1, 51, 0, OutcomeInfo, "h3", "A-1"),
		read(7, 2, 60, 70, heldBy("A-1", "h3"), available("A-2")),
		// ...and a hold that timed out may also never have happened.
		hold(8, 1, 71, 0, OutcomeInfo, "h4", "A-2"),
		read(9, 2, 80, 90, heldBy("A-1", "h3"), available("A-2")),
	}
	if res := checkLin(t, history); res.Verdict != porcupine.Ok {
		t.Fatalf("legal history judged %s (illegal seats %v)", res.Verdict, res.Illegal)
	}
	finals := []FinalState{{Node: "n1", Seats: map[string]SeatView{"A-1": heldBy("A-1", "h3"), "A-2": available("A-2")}}}
	if inv := CheckFinal(history, finals, time.Minute); len(inv.Violations) != 0 {
		t.Fatalf("legal final state has violations: %v", inv.Violations)
	}
}

func TestLinearizabilityCatchesDoubleSale(t *testing.T) {
	history := []Op{
		hold(0, 0, 0, 10, OutcomeOK, "h1", "A-1"),
		sell(1, 0, 11, 20, OutcomeOK, "h1", "o1", "A-1"),
		hold(2, 1, 21, 30, OutcomeOK, "h2", "A-1"), // planted: the seat was sold
		sell(3, 1, 31, 40, OutcomeOK, "h2", "o2", "A-1"),
	}
	res := checkLin(t, history)
	if res.Verdict != porcupine.Illegal || len(res.Illegal) != 1 || res.Illegal[0] != "A-1" {
		t.Fatalf("double sale judged %s, illegal %v", res.Verdict, res.Illegal)
	}
	finals := []FinalState{{Node: "n1", Seats: map[string]SeatView{"A-1": soldTo("A-1", "o2")}}}
	inv := CheckFinal(history, finals, time.Minute)
	if !containsPrefix(inv.Violations, "double sale: seat A-1") {
		t.Fatalf("CheckFinal missed the double sale: %v", inv.Violations)
	}
}

func TestLinearizabilityCatchesLostSale(t *testing.T) {
	history := []Op{
		hold(0, 0, 0, 10, OutcomeOK, "h1", "A-1"),
		sell(1, 0, 11, 20, OutcomeOK, "h1", "o1", "A-1"),
		read(2, 1, 30, 40, available("A-1")), // planted: the sale vanished
	}
	if res := checkLin(t, history); res.Verdict != porcupine.Illegal {
		t.Fatalf("lost sale judged %s", res.Verdict)
	}
	finals := []FinalState{
		{Node: "n1", Seats: map[string]SeatView{"A-1": soldTo("A-1", "o1")}},
		{Node: "n2", Seats: map[string]SeatView{"A-1": available("A-1")}},
	}
	inv := CheckFinal(history, finals, time.Minute)
	if !containsPrefix(inv.Violations, "lost sale: n2 shows seat A-1") || !containsPrefix(inv.Violations, "replicas differ") {
		t.Fatalf("CheckFinal missed the lost sale or the replica difference: %v", inv.Violations)
	}
}

func TestLinearizabilityCatchesStaleRead(t *testing.T) {
	history := []Op{
		hold(0, 0, 0, 10, OutcomeOK, "h1", "A-1"),
		read(1, 1, 20, 30, available("A-1")), // planted: began after the hold was acknowledged
	}
	if res := checkLin(t, history); res.Verdict != porcupine.Illegal {
		t.Fatalf("stale read judged %s", res.Verdict)
	}
	// The same read concurrent with the hold is legal.
	history[1].Call = 5
	if res := checkLin(t, history); res.Verdict != porcupine.Ok {
		t.Fatalf("concurrent read judged %s", res.Verdict)
	}
}

func TestLinearizabilityRefusedSingleSeatHold(t *testing.T) {
	// A single-seat hold refused with ABORTED proves the seat was taken.
	history := []Op{
		hold(0, 0, 0, 10, OutcomeFail, "h1", "A-1"),
	}
	if res := checkLin(t, history); res.Verdict != porcupine.Illegal {
		t.Fatalf("refusal on an available seat judged %s", res.Verdict)
	}
}

func TestFinalChecksPoolsAndExpiry(t *testing.T) {
	history := []Op{
		{Kind: KindSell, Outcome: OutcomeOK, Order: "o1", Quantity: 3},
		{Kind: KindSell, Outcome: OutcomeInfo, Order: "o2", Quantity: 2},
	}
	now := time.Now().UnixMilli()
	good := FinalState{Node: "n1", Seats: map[string]SeatView{"A-1": heldBy("A-1", "h1")},
		HoldExpiry: map[string]int64{"A-1": now + 1000}, Pools: map[string]PoolView{"GA": {Capacity: 10, Held: 2, Sold: 5}}, ReadAtUnixMs: now}
	if inv := CheckFinal(history, []FinalState{good}, time.Second); len(inv.Violations) != 0 {
		t.Fatalf("legal final state: %v", inv.Violations)
	}
	bad := good
	bad.HoldExpiry = map[string]int64{"A-1": now - 60_000}
	bad.Pools = map[string]PoolView{"GA": {Capacity: 10, Held: 8, Sold: 6}}
	inv := CheckFinal(history, []FinalState{bad}, time.Second)
	for _, want := range []string{"stuck hold", "oversold pool", "pool count"} {
		if !containsPrefix(inv.Violations, want) {
			t.Errorf("missing %q in %v", want, inv.Violations)
		}
	}
}

// TestFinalComparesHoldExpiryAcrossReplicas: two replicas that agree on a
// seat's holder but not on when its hold ends (a replica that read its own
// clock, say) differ, and the checker says so.
func TestFinalComparesHoldExpiryAcrossReplicas(t *testing.T) {
	now := time.Now().UnixMilli()
	n1 := FinalState{Node: "n1", Seats: map[string]SeatView{"A-1": heldBy("A-1", "h1")},
		HoldExpiry: map[string]int64{"A-1": now + 60_000}, Pools: map[string]PoolView{}, ReadAtUnixMs: now}
	n2 := n1
	n2.Node = "n2"
	if inv := CheckFinal(nil, []FinalState{n1, n2}, time.Second); len(inv.Violations) != 0 {
		t.Fatalf("replicas that agree: %v", inv.Violations)
	}
	n2.HoldExpiry = map[string]int64{"A-1": now + 61_000}
	inv := CheckFinal(nil, []FinalState{n1, n2}, time.Second)
	if !containsPrefix(inv.Violations, "replicas differ") || !strings.Contains(strings.Join(inv.Violations, " "), "hold expiry") {
		t.Fatalf("replicas with different hold expiries: %v", inv.Violations)
	}
}

func TestScheduleIsAFunctionOfTheSeed(t *testing.T) {
	cfg := Profiles["ci"]
	cfg.Seed = 42
	a, b := buildSchedule(&cfg), buildSchedule(&cfg)
	if len(a) == 0 || len(a) != len(b) {
		t.Fatalf("schedules: %d and %d steps", len(a), len(b))
	}
	for i := range a {
		if a[i].quiet != b[i].quiet || strings.Join(a[i].kinds, ",") != strings.Join(b[i].kinds, ",") || a[i].picks[0] != b[i].picks[0] {
			t.Fatalf("step %d differs: %+v vs %+v", i, a[i], b[i])
		}
	}
}

func containsPrefix(list []string, prefix string) bool {
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}

// A one-seat best-available hold refused for lack of seats proves every
// seat of its section was taken (leaders answer these from their state
// after a read barrier). Planted bug: a refusal served from state that
// missed a release acknowledged before the hold was sent.
func TestLinearizabilityCatchesStaleSoldOutRefusal(t *testing.T) {
	release := func(id, client int, call, ret int64, holder string, seats ...string) Op {
		return Op{ID: id, Client: client, Kind: KindRelease, Call: call, Return: ret, Outcome: OutcomeOK, Holder: holder, Seats: seats}
	}
	soldOut := func(id, client int, call, ret int64, section ...string) Op {
		return Op{ID: id, Client: client, Kind: KindHoldBest, Call: call, Return: ret, Outcome: OutcomeFail,
			Code: "ResourceExhausted", Holder: "hb", Quantity: 1, Unavailable: section}
	}
	legal := []Op{
		hold(0, 0, 0, 10, OutcomeOK, "h1", "A-1", "A-2"),
		soldOut(1, 1, 11, 20, "A-1", "A-2"), // the section was full
		release(2, 0, 15, 30, "h1", "A-1", "A-2"),
		soldOut(3, 1, 25, 35, "A-1", "A-2"), // concurrent with the release: may precede it
	}
	if res := checkLin(t, legal); res.Verdict != porcupine.Ok {
		t.Fatalf("legal history judged %s (illegal seats %v)", res.Verdict, res.Illegal)
	}
	stale := append(legal, soldOut(4, 1, 40, 50, "A-1", "A-2")) // after the release was acknowledged
	if res := checkLin(t, stale); res.Verdict != porcupine.Illegal {
		t.Fatalf("refusal after an acknowledged release judged %s", res.Verdict)
	}
}
