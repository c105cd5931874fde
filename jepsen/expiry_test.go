package jepsen

import (
	"testing"
	"time"

	"github.com/anishathalye/porcupine"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
)

// Hold expiry in the per-seat model: a hold with a short TTL may end at
// any moment after it is granted; a 1h hold never ends by time.

const shortTTLMs = 2000

func short(op Op) Op { op.TTLMs = shortTTLMs; return op }
func long(op Op) Op  { op.TTLMs = holdTTL.Milliseconds(); return op }

func refused(op Op, reason string) Op {
	op.Outcome, op.Reason = OutcomeFail, reason
	switch reason {
	case boxofficev1.ReasonHoldExpired:
		op.Code = "FailedPrecondition"
	case boxofficev1.ReasonNotFound:
		op.Code = "NotFound"
	}
	return op
}

// verdict checks history and returns porcupine's verdict.
func verdict(t *testing.T, history []Op) porcupine.CheckResult {
	t.Helper()
	return checkLin(t, history).Verdict
}

func TestExpiryShortHoldMayVanishLongMayNot(t *testing.T) {
	for _, tt := range []struct {
		name string
		ttl  func(Op) Op
		want porcupine.CheckResult
	}{
		{"short TTL", short, porcupine.Ok},
		{"1h TTL", long, porcupine.Illegal},
	} {
		t.Run(tt.name, func(t *testing.T) {
			history := []Op{
				tt.ttl(hold(0, 0, 0, 10, OutcomeOK, "h1", "A-1")),
				read(1, 1, 20, 30, heldBy("A-1", "h1")),
				// The seat reads free with no release: only expiry and a
				// sweep explain it.
				read(2, 1, 40, 50, available("A-1")),
				refused(sell(3, 0, 60, 70, "", "h1", "o1", "A-1"), boxofficev1.ReasonNotFound),
			}
			if got := verdict(t, history); got != tt.want {
				t.Fatalf("verdict %s, want %s", got, tt.want)
			}
		})
	}
}

func TestExpiryAnotherHolderTakesTheSeat(t *testing.T) {
	for _, tt := range []struct {
		name string
		ttl  func(Op) Op
		want porcupine.CheckResult
	}{
		{"short TTL", short, porcupine.Ok},
		{"1h TTL", long, porcupine.Illegal},
	} {
		t.Run(tt.name, func(t *testing.T) {
			history := []Op{
				tt.ttl(hold(0, 0, 0, 10, OutcomeOK, "h1", "A-1")),
				// Another fan gets the seat (of an expired, unswept hold)
				// and buys it; the first fan's sale is refused as expired.
				hold(1, 1, 20, 30, OutcomeOK, "h2", "A-1"),
				sell(2, 1, 40, 50, OutcomeOK, "h2", "o2", "A-1"),
				refused(sell(3, 0, 60, 70, "", "h1", "o1", "A-1"), boxofficev1.ReasonHoldExpired),
			}
			if got := verdict(t, history); got != tt.want {
				t.Fatalf("verdict %s, want %s", got, tt.want)
			}
		})
	}
}

func TestExpiryIsNotUndone(t *testing.T) {
	// Once read free (swept), a short hold never reads held again.
	history := []Op{
		short(hold(0, 0, 0, 10, OutcomeOK, "h1", "A-1")),
		read(1, 1, 20, 30, available("A-1")),
		read(2, 1, 40, 50, heldBy("A-1", "h1")),
	}
	if got := verdict(t, history); got != porcupine.Illegal {
		t.Fatalf("a swept hold read held again: verdict %s, want Illegal", got)
	}
}

func TestExpiryExpiredHoldReadsHeldUntilSwept(t *testing.T) {
	// An expired hold that is not swept still reads as held: a sale
	// refused as expired between two reads that show it held is legal.
	history := []Op{
		short(hold(0, 0, 0, 10, OutcomeOK, "h1", "A-1")),
		read(1, 1, 20, 30, heldBy("A-1", "h1")),
		refused(sell(2, 0, 40, 50, "", "h1", "o1", "A-1"), boxofficev1.ReasonHoldExpired),
		read(3, 1, 60, 70, heldBy("A-1", "h1")),
		read(4, 1, 80, 90, available("A-1")),
	}
	if got := verdict(t, history); got != porcupine.Ok {
		t.Fatalf("verdict %s, want Ok", got)
	}
}

func TestExpiryRefusalNeedsTheReason(t *testing.T) {
	// A short hold's sale refused for another reason than expiry is a bug
	// (here: a request id taken for another request).
	history := []Op{
		short(hold(0, 0, 0, 10, OutcomeOK, "h1", "A-1")),
		refused(sell(1, 0, 20, 30, "", "h1", "o1", "A-1"), boxofficev1.ReasonRequestIDReused),
	}
	if got := verdict(t, history); got != porcupine.Illegal {
		t.Fatalf("verdict %s, want Illegal", got)
	}
}

func TestExpiryStrictRefusalOnAnExpiredSeat(t *testing.T) {
	// A refused one-seat hold proves the seat was taken; once a later read
	// shows the short hold swept, a refusal after it is illegal...
	history := []Op{
		short(hold(0, 0, 0, 10, OutcomeOK, "h1", "A-1")),
		read(1, 1, 20, 30, available("A-1")),
		hold(2, 2, 40, 50, OutcomeFail, "h2", "A-1"),
	}
	if got := verdict(t, history); got != porcupine.Illegal {
		t.Fatalf("refusal after the sweep: verdict %s, want Illegal", got)
	}
	// ...while before any sign of expiry the hold may still be live.
	history[1] = read(1, 1, 20, 30, heldBy("A-1", "h1"))
	if got := verdict(t, history); got != porcupine.Ok {
		t.Fatalf("refusal while the hold may be live: verdict %s, want Ok", got)
	}
}

func TestExpirySellAfterTheSeatWasTaken(t *testing.T) {
	// A sale that succeeds after another holder got the seat is illegal:
	// the hold had ended (the other holder proves it), and an ended hold
	// is not sold.
	history := []Op{
		short(hold(0, 0, 0, 10, OutcomeOK, "h1", "A-1")),
		hold(1, 1, 20, 30, OutcomeOK, "h2", "A-1"),
		sell(2, 0, 40, 50, OutcomeOK, "h1", "o1", "A-1"),
	}
	if got := verdict(t, history); got != porcupine.Illegal {
		t.Fatalf("verdict %s, want Illegal", got)
	}
}

func TestMayExpire(t *testing.T) {
	end := int64(100e9)
	for _, tt := range []struct {
		op   Op
		want bool
	}{
		{Op{TTLMs: shortTTLMs}, true},
		{Op{TTLMs: holdTTL.Milliseconds()}, false},
		{Op{}, false}, // the event's default TTL, holdTTL
		{Op{TTLMs: holdTTL.Milliseconds(), Call: int64(holdTTL) - int64(expiryMargin) + 1}, false},
		{Op{TTLMs: holdTTL.Milliseconds(), Call: end - int64(holdTTL) + int64(expiryMargin)}, true},
	} {
		if got := mayExpire(&tt.op, end); got != tt.want {
			t.Errorf("mayExpire(ttl %d ms, call %d, end %d) = %v, want %v", tt.op.TTLMs, tt.op.Call, end, got, tt.want)
		}
	}
}

// Certain expiry: a sell or release called after its hold is certainly
// expired (MarkCertainExpiry) must be refused.

const (
	ms          = int64(time.Millisecond)
	holdRet     = 10 * ms // the short hold below returns at 10 ms
	offsetMaxCI = 5 * time.Second
)

// lateSell is a sale of h1 (granted by the short hold returning at
// holdRet) called at call.
func lateSell(id int, call int64, outcome string) Op {
	op := sell(id, 0, call, call+10*ms, outcome, "h1", "o1", "A-1")
	op.HoldReturn, op.HoldTTLMs = holdRet, shortTTLMs
	return op
}

// expiryHistory is a short hold, a read showing it held, and then late.
func expiryHistory(late Op, faults []Fault) []Op {
	history := []Op{
		short(hold(0, 0, 0, holdRet, OutcomeOK, "h1", "A-1")),
		read(1, 1, 20*ms, 30*ms, heldBy("A-1", "h1")),
		late,
	}
	MarkCertainExpiry(history, faults, offsetMaxCI)
	return history
}

// The bound away from clock faults: R + TTL + margin.
var certainFrom = holdRet + shortTTLMs*ms + int64(expiryCertainMargin)

func TestCertainlyExpiredHoldSoldOKIsIllegal(t *testing.T) {
	// What a store that sells an expired hold still in its table answers.
	history := expiryHistory(lateSell(2, certainFrom, OutcomeOK), nil)
	if got := verdict(t, history); got != porcupine.Illegal {
		t.Fatalf("a certainly expired hold sold: verdict %s, want Illegal", got)
	}
	// The same with a release.
	history[2].Kind = KindRelease
	if got := verdict(t, history); got != porcupine.Illegal {
		t.Fatalf("a certainly expired hold released: verdict %s, want Illegal", got)
	}
	// Without the bound the model only knows "may have expired", which
	// is how this history passed before.
	history[2].Kind, history[2].ExpiredFrom = KindSell, 0
	if got := verdict(t, history); got != porcupine.Ok {
		t.Fatalf("without ExpiredFrom: verdict %s, want Ok", got)
	}
}

func TestExpiryMayWindowSellIsLegal(t *testing.T) {
	// Past the TTL but inside the bound: a clock window around the sale
	// means a leader with a slow clock may have kept the hold alive.
	clock := []Fault{{Kind: FaultClock, Start: 1 * int64(time.Second), End: 9 * int64(time.Second)}}
	history := expiryHistory(lateSell(2, certainFrom, OutcomeOK), clock)
	if got := history[2].ExpiredFrom; got != certainFrom+int64(offsetMaxCI) {
		t.Fatalf("ExpiredFrom %d, want %d (one offset for the sale's window)", got, certainFrom+int64(offsetMaxCI))
	}
	if got := verdict(t, history); got != porcupine.Ok {
		t.Fatalf("a sale in the may window: verdict %s, want Ok", got)
	}
	// Just before the bound with no clock fault at all: still "may".
	history = expiryHistory(lateSell(2, certainFrom-1, OutcomeOK), nil)
	if got := verdict(t, history); got != porcupine.Ok {
		t.Fatalf("a sale 1 ns before the bound: verdict %s, want Ok", got)
	}
}

func TestCertainlyExpiredHoldRefusedIsLegal(t *testing.T) {
	for _, reason := range []string{boxofficev1.ReasonHoldExpired, boxofficev1.ReasonNotFound} {
		for _, kind := range []string{KindSell, KindRelease} {
			late := refused(lateSell(2, certainFrom, ""), reason)
			late.Kind = kind
			history := expiryHistory(late, nil)
			// The expired hold still reads held until it is swept.
			history = append(history, read(3, 1, certainFrom+20*ms, certainFrom+30*ms, heldBy("A-1", "h1")))
			if got := verdict(t, history); got != porcupine.Ok {
				t.Fatalf("%s refused %s: verdict %s, want Ok", kind, reason, got)
			}
		}
	}
	// An unknown outcome constrains nothing, but must not apply either:
	// a later read of the seat sold to it is illegal.
	late := lateSell(2, certainFrom, OutcomeInfo)
	late.Return = -1
	history := expiryHistory(late, nil)
	history = append(history, read(3, 1, certainFrom+20*ms, certainFrom+30*ms, soldTo("A-1", "o1")))
	if got := verdict(t, history); got != porcupine.Illegal {
		t.Fatalf("unknown late sale read as sold: verdict %s, want Illegal", got)
	}
}

func TestMarkCertainExpiryBound(t *testing.T) {
	sec := int64(time.Second)
	max := int64(offsetMaxCI)
	hold := Op{Kind: KindSell, HoldReturn: 20 * sec, HoldTTLMs: 2000, Call: 30 * sec, Return: 31 * sec, Outcome: OutcomeOK}
	base := 22*sec + int64(expiryCertainMargin)
	window := func(start, end int64) []Fault { return []Fault{{Kind: FaultClock, Start: start, End: end}} }
	for _, tt := range []struct {
		name   string
		op     Op
		faults []Fault
		want   int64
	}{
		{"no clock fault", hold, nil, base},
		{"other faults only", hold, []Fault{{Kind: FaultKill, Start: 0, End: 100 * sec}}, base},
		{"clock window ended more than offsetMax before the hold returned", hold, window(1*sec, 15*sec-1), base},
		{"clock window within offsetMax before the hold returned", hold, window(1*sec, 15*sec), base + max},
		{"clock window during the sale", hold, window(30*sec+1, 40*sec), base + max},
		{"clock window after the sale returned", hold, window(31*sec+1, 40*sec), base},
		{"clock window spanning both", hold, window(10*sec, 40*sec), base + 2*max},
		{"unknown sale, clock window later", func() Op { o := hold; o.Outcome, o.Return = OutcomeInfo, -1; return o }(),
			window(80*sec, 90*sec), base + max},
		{"a refund has no bound", func() Op { o := hold; o.Kind = KindRefund; return o }(), nil, 0},
		{"a sale without its hold's times", Op{Kind: KindSell, Call: 30 * sec, Return: 31 * sec}, nil, 0},
	} {
		history := []Op{tt.op}
		MarkCertainExpiry(history, tt.faults, offsetMaxCI)
		if got := history[0].ExpiredFrom; got != tt.want {
			t.Errorf("%s: ExpiredFrom %d, want %d", tt.name, got, tt.want)
		}
	}
	if got := certainExpiryWorstCase(20*sec, 2000, offsetMaxCI); got != base+2*max {
		t.Errorf("worst case %d, want %d", got, base+2*max)
	}
}
