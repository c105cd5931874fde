package jepsen

import (
	"testing"

	"github.com/anishathalye/porcupine"
)

// Hold expiry in the per-seat model: a hold with a short TTL may end at
// any moment after it is granted; a 1h hold never ends by time.

const shortTTLMs = 2000

func short(op Op) Op { op.TTLMs = shortTTLMs; return op }
func long(op Op) Op  { op.TTLMs = holdTTL.Milliseconds(); return op }

func refused(op Op, reason string) Op {
	op.Outcome, op.Reason = OutcomeFail, reason
	switch reason {
	case reasonHoldExpired:
		op.Code = "FailedPrecondition"
	case reasonNotFound:
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
				refused(sell(3, 0, 60, 70, "", "h1", "o1", "A-1"), reasonNotFound),
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
				refused(sell(3, 0, 60, 70, "", "h1", "o1", "A-1"), reasonHoldExpired),
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
		refused(sell(2, 0, 40, 50, "", "h1", "o1", "A-1"), reasonHoldExpired),
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
		refused(sell(1, 0, 20, 30, "", "h1", "o1", "A-1"), "REQUEST_ID_REUSED"),
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
