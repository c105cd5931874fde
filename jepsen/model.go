package jepsen

import (
	"fmt"
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/anishathalye/porcupine"
)

// The linearizability model is one small state machine per seat:
//
//	available --hold(H)--> held(H) --sell(H,O)--> sold(O) --refund(O)--> available
//	                       held(H) --release(H)--> available
//
// Holds use a TTL far longer than any run, so expiry never happens inside
// a run and is not modelled (the final-state checker bounds it instead).
// Every hold request has its own holder H, and reads return the holder
// and order of each seat, so the model never needs the server's opaque
// hold id.
//
// The history is partitioned by seat: an operation on several seats
// becomes one operation per seat it touches, with the same call and
// return times. That is exact for ok outcomes (all-or-nothing) and for
// single-seat refusals, and approximate for refusals of multi-seat holds,
// which the model accepts on any seat (it cannot know which seat was the
// one taken). Seats touched by an operation:
//   - explicit holds: the seats named;
//   - best-available holds: the seats returned on success; for an unknown
//     outcome, every seat that any read or the final state shows held by
//     that holder (nobody else can release or sell that holder's hold, so
//     if it happened, it is still visible); refusals touch nothing;
//   - sell, release: the seats of the hold (known, since only holds that
//     succeeded are sold or released); refund: the seats of the order.
//
// An operation whose outcome is unknown returns at "infinity": porcupine
// may linearize it anywhere after its call, including after everything
// (which is how "it never happened" is expressed); its step applies the
// effect when the seat is in the right state and is a no-op otherwise.
// Failed and unknown reads constrain nothing and are dropped.

type seatState struct {
	State  string
	Holder string
	Order  string
}

type seatInput struct {
	Seat   string
	Kind   string
	Holder string
	Order  string
	// Strict: a refused hold proves this seat was unavailable (single-seat
	// explicit holds refused with ABORTED).
	Strict bool
}

type seatOutput struct {
	Outcome string
	View    seatState // reads
}

// unknownReturn stands for "never returned": after every real time.
const unknownReturn = int64(1) << 62

// SeatModel is the porcupine model of one seat.
var SeatModel = porcupine.Model{
	Init: func() any { return seatState{State: SeatAvailable} },
	Step: func(state, input, output any) (bool, any) {
		return seatStep(state.(seatState), input.(seatInput), output.(seatOutput))
	},
	DescribeOperation: func(input, output any) string {
		in, out := input.(seatInput), output.(seatOutput)
		switch in.Kind {
		case KindRead:
			return fmt.Sprintf("read %s -> %s", in.Seat, describeSeat(out.View))
		case KindSell:
			return fmt.Sprintf("sell %s %s as %s: %s", in.Seat, in.Holder, in.Order, out.Outcome)
		case KindRefund:
			return fmt.Sprintf("refund %s %s: %s", in.Seat, in.Order, out.Outcome)
		default:
			return fmt.Sprintf("%s %s by %s: %s", in.Kind, in.Seat, in.Holder, out.Outcome)
		}
	},
	DescribeState: func(state any) string { return describeSeat(state.(seatState)) },
}

func describeSeat(s seatState) string {
	switch s.State {
	case SeatHeld:
		return "held(" + s.Holder + ")"
	case SeatSold:
		return "sold(" + s.Order + ")"
	}
	return s.State
}

func seatStep(s seatState, in seatInput, out seatOutput) (bool, seatState) {
	var (
		precondition bool
		next         seatState
	)
	switch in.Kind {
	case KindRead:
		return out.View == s, s
	case KindHold, KindHoldBest:
		precondition, next = s.State == SeatAvailable, seatState{State: SeatHeld, Holder: in.Holder}
		if out.Outcome == OutcomeFail && !in.Strict {
			return true, s
		}
	case KindSell:
		precondition, next = s == seatState{State: SeatHeld, Holder: in.Holder}, seatState{State: SeatSold, Order: in.Order}
	case KindRelease:
		precondition, next = s == seatState{State: SeatHeld, Holder: in.Holder}, seatState{State: SeatAvailable}
	case KindRefund:
		precondition, next = s == seatState{State: SeatSold, Order: in.Order}, seatState{State: SeatAvailable}
	default:
		return false, s
	}
	switch out.Outcome {
	case OutcomeOK:
		return precondition, next
	case OutcomeFail:
		return !precondition, s
	default: // info: happened here if it could; else it is linearized later or never
		if precondition {
			return true, next
		}
		return true, s
	}
}

// seatOperations turns the history into per-seat porcupine operations.
// observedHolders maps a holder to the seats any read or final state
// showed it holding (for best-available holds of unknown outcome).
func seatOperations(history []Op, observedHolders map[string][]string) map[string][]porcupine.Operation {
	bySeat := map[string][]porcupine.Operation{}
	add := func(op *Op, in seatInput, out seatOutput) {
		ret := op.Return
		if op.Outcome == OutcomeInfo || ret < 0 {
			ret = unknownReturn
		}
		bySeat[in.Seat] = append(bySeat[in.Seat], porcupine.Operation{
			ClientId: op.Client, Input: in, Output: out, Call: op.Call, Return: ret, Metadata: op.ID,
		})
	}
	for i := range history {
		op := &history[i]
		out := seatOutput{Outcome: op.Outcome}
		switch op.Kind {
		case KindRead:
			if op.Outcome != OutcomeOK {
				continue
			}
			for _, v := range op.Read {
				add(op, seatInput{Seat: v.Seat, Kind: KindRead},
					seatOutput{Outcome: OutcomeOK, View: seatState{State: v.State, Holder: v.Holder, Order: v.Order}})
			}
		case KindHold, KindHoldBest:
			seats := op.Seats
			if op.Kind == KindHoldBest {
				switch op.Outcome {
				case OutcomeFail:
					continue
				case OutcomeInfo:
					seats = observedHolders[op.Holder]
				}
			}
			strict := op.Kind == KindHold && len(seats) == 1 && op.Code == "Aborted"
			for _, seat := range seats {
				add(op, seatInput{Seat: seat, Kind: op.Kind, Holder: op.Holder, Strict: strict}, out)
			}
		case KindSell, KindRelease, KindRefund:
			for _, seat := range op.Seats {
				add(op, seatInput{Seat: seat, Kind: op.Kind, Holder: op.Holder, Order: op.Order}, out)
			}
		}
	}
	return bySeat
}

// LinearizabilityResult is the verdict of the per-seat check.
type LinearizabilityResult struct {
	Verdict    porcupine.CheckResult // Ok, Illegal, or Unknown (timed out: a failure)
	Operations int                   // per-seat operations checked
	Seats      int
	Illegal    []string // seats whose history is not linearizable
	TimedOut   []string // seats the checker could not decide in time
}

// CheckLinearizable checks every seat's history within timeout overall.
func CheckLinearizable(history []Op, observedHolders map[string][]string, timeout time.Duration) (LinearizabilityResult, map[string][]porcupine.Operation) {
	bySeat := seatOperations(history, observedHolders)
	seats := make([]string, 0, len(bySeat))
	res := LinearizabilityResult{Verdict: porcupine.Ok, Seats: len(bySeat)}
	for seat, ops := range bySeat {
		seats = append(seats, seat)
		res.Operations += len(ops)
	}
	sort.Strings(seats)
	deadline := time.Now().Add(timeout)
	var mu sync.Mutex
	work := make(chan string)
	var wg sync.WaitGroup
	for range max(1, runtime.NumCPU()) {
		wg.Go(func() {
			for seat := range work {
				left := time.Until(deadline)
				verdict := porcupine.Unknown
				if left > 0 {
					verdict = porcupine.CheckOperationsTimeout(SeatModel, bySeat[seat], left)
				}
				mu.Lock()
				switch verdict {
				case porcupine.Illegal:
					res.Illegal = append(res.Illegal, seat)
				case porcupine.Unknown:
					res.TimedOut = append(res.TimedOut, seat)
				}
				mu.Unlock()
			}
		})
	}
	for _, seat := range seats {
		work <- seat
	}
	close(work)
	wg.Wait()
	sort.Strings(res.Illegal)
	sort.Strings(res.TimedOut)
	switch {
	case len(res.Illegal) > 0:
		res.Verdict = porcupine.Illegal
	case len(res.TimedOut) > 0:
		res.Verdict = porcupine.Unknown
	}
	return res, bySeat
}

// Visualize writes porcupine's HTML for the given seats (the illegal ones,
// or a sample when all passed), with fault windows as annotations.
func Visualize(path string, bySeat map[string][]porcupine.Operation, seats []string, faults []Fault, timeout time.Duration) error {
	var ops []porcupine.Operation
	for _, seat := range seats {
		ops = append(ops, bySeat[seat]...)
	}
	model := SeatModel
	model.Partition = func(history []porcupine.Operation) [][]porcupine.Operation {
		index := map[string]int{}
		var parts [][]porcupine.Operation
		for _, op := range history {
			seat := op.Input.(seatInput).Seat
			k, ok := index[seat]
			if !ok {
				k = len(parts)
				index[seat] = k
				parts = append(parts, nil)
			}
			parts[k] = append(parts[k], op)
		}
		return parts
	}
	model.DescribeOperationMetadata = func(info any) string {
		if info == nil {
			return ""
		}
		return fmt.Sprintf("history op #%v", info)
	}
	_, info := porcupine.CheckOperationsVerbose(model, ops, timeout)
	var annotations []porcupine.Annotation
	for _, f := range faults {
		annotations = append(annotations, porcupine.Annotation{
			Tag: "nemesis", Start: f.Start, End: f.End, Description: f.Kind,
			Details: f.Description, BackgroundColor: "#f6c7c7",
		})
	}
	info.AddAnnotations(annotations)
	return porcupine.VisualizePath(model, info, path)
}
