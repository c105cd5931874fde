package jepsen

import (
	"fmt"
	"hash/fnv"
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/anishathalye/porcupine"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
)

// The linearizability model is one small state machine per seat:
//
//	available --hold(H)--> held(H) --sell(H,O)--> sold(O) --refund(O)--> available
//	                       held(H) --release(H)--> available
//
// Every hold request has its own holder H, and reads return the holder
// and order of each seat, so the model never needs the server's opaque
// hold id.
//
// Expiry. Most holds have a TTL (holdTTL) far longer than any run: they
// never expire in it, and the model keeps them until they are sold or
// released. A hold with a short TTL (Op.TTLMs) may end by time:
//
//	held(H, may expire) --time--> expired(H) --sweep--> available
//
// The store decides expiry with replicated time: each command runs at the
// largest time any leader stamped so far, and a leader started with a
// clock offset (the clock fault) moves that time forward by up to the
// offset at once. So a hold of a few seconds can expire at any moment
// after it is granted, and the model lets it, nondeterministically, at
// every linearization point (porcupine.NondeterministicModel). An expired
// hold that is not swept yet still reads as held(H); its seat is free to
// another hold; selling or releasing it is refused (HOLD_EXPIRED, or
// NOT_FOUND once it is swept or empty), and so must be every refusal of a
// sale or release: a refusal with another reason is illegal. A strict
// refusal of a hold is illegal on an expired seat. Time never runs
// backwards in the store, so expired(H) never becomes held(H) again.
//
// "May" alone cannot catch a store that sells an expired hold, so a sell
// or release also knows when its hold is *certainly* expired
// (Op.ExpiredFrom, see MarkCertainExpiry): called at or after that time,
// it finds the hold expired (or swept) wherever it is linearized, and
// only a refusal is legal.
//
// The history is partitioned by seat: an operation on several seats
// becomes one operation per seat it touches, with the same call and
// return times. That is exact for ok outcomes (all-or-nothing) and for
// single-seat refusals, and approximate for refusals of multi-seat holds,
// which the model accepts on any seat (it cannot know which seat was the
// one taken); since such a refusal then constrains nothing, it is left
// out of the per-seat histories. Seats touched by an operation:
//   - explicit holds: the seats named;
//   - best-available holds: the seats returned on success; for an unknown
//     outcome, every seat that any read or the final state shows held by
//     that holder (nobody else can release or sell that holder's hold, so
//     if it happened, it is still visible); a refusal of a one-seat hold
//     for lack of seats is a strict refusal on every seat of its section
//     (Op.Unavailable); other refusals touch nothing;
//   - sell, release: the seats of the hold (known, since only holds that
//     succeeded are sold or released); refund: the seats of the order.
//
// An operation whose outcome is unknown returns at "infinity": porcupine
// may linearize it anywhere after its call, including after everything
// (which is how "it never happened" is expressed); its step applies the
// effect when the seat is in the right state and is a no-op otherwise.
// Failed and unknown reads constrain nothing and are dropped. A mutation
// whose outcome was learned by re-sending it after healing (resend.go)
// is an ordinary ok or fail operation from its original call to the
// re-send's return: its effect, if any, happened in that interval.

type seatState struct {
	State  string // SeatAvailable, SeatHeld, SeatSold, or seatExpired
	Holder string
	Order  string
	// MayExpire: a held seat whose hold has a short TTL.
	MayExpire bool
}

// seatExpired is the model's state of a seat whose hold has expired but
// is not swept yet: it reads as held by the hold's holder.
const seatExpired = "expired"

// visible is what a read shows of s.
func (s seatState) visible() seatState {
	switch s.State {
	case seatExpired:
		return seatState{State: SeatHeld, Holder: s.Holder}
	case SeatHeld:
		return seatState{State: SeatHeld, Holder: s.Holder}
	}
	return s
}

type seatInput struct {
	Seat   string
	Kind   string
	Holder string
	Order  string
	// Strict: a refused hold proves this seat was unavailable (single-seat
	// explicit holds refused with ABORTED; one-seat best-available holds
	// refused with NOT_ENOUGH_SEATS, for every seat of the section).
	Strict bool
	// MayExpire: a hold with a short TTL (it may end by time).
	MayExpire bool
	// Expired: a sell or release called after its hold had certainly
	// expired (Op.ExpiredFrom).
	Expired bool
}

type seatOutput struct {
	Outcome string
	Reason  string    // a refusal's ErrorInfo reason (sell, release)
	View    seatState // reads
}

// unknownReturn stands for "never returned": after every real time.
const unknownReturn = int64(1) << 62

// SeatModel is the porcupine model of one seat.
var SeatModel = seatModel.ToModel()

var seatModel = porcupine.NondeterministicModel{
	Init: func() []any { return []any{seatState{State: SeatAvailable}} },
	Step: func(state, input, output any) []any {
		var next []any
		s, in := state.(seatState), input.(seatInput)
		if in.Expired && s.State == SeatHeld && s.Holder == in.Holder {
			s = seatState{State: seatExpired, Holder: s.Holder}
		}
		for _, s := range timePasses(s) {
			if ok, n := seatStep(s, in, output.(seatOutput)); ok {
				next = append(next, n)
			}
		}
		return next
	},
	Hash: func(state any) uint64 {
		s := state.(seatState)
		h := fnv.New64a()
		fmt.Fprintf(h, "%s\x00%s\x00%s\x00%v", s.State, s.Holder, s.Order, s.MayExpire)
		return h.Sum64()
	},
	DescribeOperation: func(input, output any) string {
		in, out := input.(seatInput), output.(seatOutput)
		switch in.Kind {
		case KindRead:
			return fmt.Sprintf("read %s -> %s", in.Seat, describeSeat(out.View))
		case KindSell:
			return fmt.Sprintf("sell %s %s as %s%s: %s %s", in.Seat, in.Holder, in.Order, expiredNote(in), out.Outcome, out.Reason)
		case KindRelease:
			return fmt.Sprintf("release %s by %s%s: %s %s", in.Seat, in.Holder, expiredNote(in), out.Outcome, out.Reason)
		case KindRefund:
			return fmt.Sprintf("refund %s %s: %s", in.Seat, in.Order, out.Outcome)
		default:
			return fmt.Sprintf("%s %s by %s: %s", in.Kind, in.Seat, in.Holder, out.Outcome)
		}
	},
	DescribeState: func(state any) string { return describeSeat(state.(seatState)) },
}

// timePasses lists the states s may be in once time has passed: a hold
// that may expire may have expired, and an expired one may have been
// swept.
func timePasses(s seatState) []seatState {
	switch {
	case s.State == SeatHeld && s.MayExpire:
		return []seatState{s, {State: seatExpired, Holder: s.Holder}, {State: SeatAvailable}}
	case s.State == seatExpired:
		return []seatState{s, {State: SeatAvailable}}
	}
	return []seatState{s}
}

func expiredNote(in seatInput) string {
	if in.Expired {
		return " (hold certainly expired)"
	}
	return ""
}

func describeSeat(s seatState) string {
	switch s.State {
	case SeatHeld:
		if s.MayExpire {
			return "held(" + s.Holder + ", may expire)"
		}
		return "held(" + s.Holder + ")"
	case seatExpired:
		return "expired(" + s.Holder + ")"
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
		return out.View == s.visible(), s
	case KindHold, KindHoldBest:
		// An expired hold's seat is free to another hold.
		precondition = s.State == SeatAvailable || s.State == seatExpired
		next = seatState{State: SeatHeld, Holder: in.Holder, MayExpire: in.MayExpire}
		if out.Outcome == OutcomeFail && !in.Strict {
			return true, s
		}
	case KindSell, KindRelease:
		precondition = s.State == SeatHeld && s.Holder == in.Holder
		next = seatState{State: SeatAvailable}
		if in.Kind == KindSell {
			next = seatState{State: SeatSold, Order: in.Order}
		}
		// A hold that is not held any more can only be gone by time
		// (nobody else sells or releases it), and is refused for it.
		if out.Outcome == OutcomeFail && out.Reason != boxofficev1.ReasonHoldExpired && out.Reason != boxofficev1.ReasonNotFound {
			return false, s
		}
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
	var end int64 // the last time in the history
	for i := range history {
		end = max(end, history[i].Call, history[i].Return)
	}
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
					// A one-seat best-available refusal: every seat of the
					// section was taken at one point of the call. Per seat
					// that is the weaker "taken at some point", still a
					// constraint a stale refusal can break.
					for _, seat := range op.Unavailable {
						add(op, seatInput{Seat: seat, Kind: op.Kind, Holder: op.Holder, Strict: true}, out)
					}
					continue
				case OutcomeInfo:
					seats = observedHolders[op.Holder]
				}
			}
			strict := op.Kind == KindHold && len(seats) == 1 && op.Code == "Aborted"
			if op.Outcome == OutcomeFail && !strict {
				// Legal in every state and changes nothing (see seatStep):
				// it constrains no linearization, so it only costs time.
				continue
			}
			expiring := mayExpire(op, end)
			for _, seat := range seats {
				add(op, seatInput{Seat: seat, Kind: op.Kind, Holder: op.Holder, Strict: strict, MayExpire: expiring}, out)
			}
		case KindSell, KindRelease, KindRefund:
			out.Reason = op.Reason
			expired := op.Kind != KindRefund && op.ExpiredFrom > 0 && op.Call >= op.ExpiredFrom
			for _, seat := range op.Seats {
				add(op, seatInput{Seat: seat, Kind: op.Kind, Holder: op.Holder, Order: op.Order, Expired: expired}, out)
			}
		}
	}
	return bySeat
}

// expiryMargin covers how far replicated time can run ahead of the
// harness's clock: the largest clock offset of a node (the clock fault),
// twice, with room to spare.
const expiryMargin = time.Minute

// mayExpire reports whether hold op may expire within a history that
// ends at end: its TTL is short, or (a run as long as holdTTL) it was
// granted less than a TTL before the end, with expiryMargin.
func mayExpire(op *Op, end int64) bool {
	ttl := time.Duration(op.TTLMs) * time.Millisecond
	if ttl <= 0 {
		ttl = holdTTL // the event's default
	}
	return ttl < holdTTL || op.Call+int64(ttl-expiryMargin) <= end
}

// expiryCertainMargin is added to MarkCertainExpiry's bound for what
// separates the harness's times from the nodes' stamps: a stamp is wall
// clock milliseconds, truncated (1 ms), while the harness measures on
// its monotonic clock, from which the wall clock drifts by at most the
// kernel's slew limit of 500 ppm (under 10 ms over the 15 s between a
// hold and its latest sale). A step of the wall clock during a run is
// not covered.
const expiryCertainMargin = 50 * time.Millisecond

// MarkCertainExpiry sets ExpiredFrom on every sell and release that
// names its hold's return time and TTL (HoldReturn, HoldTTLMs): the
// harness time from which that hold is certainly expired. faults are
// the run's fault windows: a node runs with a clock offset (at most
// offsetMax either way) only inside a window of kind FaultClock, which
// opens before the node is restarted with the offset and closes after
// it is restarted without.
//
// The bound, from the code (node/group.go proposeBatch, fsm/store.go
// advanceClock, fsm/tables.go expired): a leader stamps each batch it
// proposes with its wall clock plus its offset, in ms; a command
// executes at max(its stamp, the group's clock), the clock being the
// largest stamp applied so far; a hold granted at time T with TTL t
// expires at T + t, and a sale or release executed at T' >= T + t is
// refused (EXPIRED, or NOT_FOUND once swept). For a hold that returned
// at R, every stamp applied up to it was taken at or before R, so
// T <= R + P, P the largest positive offset of a node stamping within
// (R - offsetMax, R] (an older stamp, even offset, is below R). The
// sell or release called at C is decided by an execution stamped in
// [C, its return] (to the end of the run if it never returned), so
// T' >= C - N - 1 ms, N the largest negative offset of a node stamping
// in that interval. The hold is therefore certainly expired when
// C >= R + t + P + N + margin. P and N are taken as offsetMax when a
// clock window overlaps their interval, else 0: away from clock faults
// a sale is certainly late milliseconds after the TTL, while the hold
// may still be in the table (the sweep runs every 200 ms), which is
// what catches a store that sells an expired hold it has not swept;
// next to clock faults the bound is R + t + 2 x offsetMax + margin
// (certainExpiryWorstCase).
//
// Neither the sweep nor its interval enters the bound: the state machine
// checks expiry when it executes the sale, and a swept hold is NOT_FOUND.
func MarkCertainExpiry(history []Op, faults []Fault, offsetMax time.Duration) {
	var clock [][2]int64
	for _, f := range faults {
		if f.Kind == FaultClock {
			end := f.End
			if end == 0 {
				end = unknownReturn // still open: to the end of the run
			}
			clock = append(clock, [2]int64{f.Start, end})
		}
	}
	offsetIn := func(from, to int64) int64 {
		for _, w := range clock {
			if w[0] <= to && from <= w[1] {
				return int64(offsetMax)
			}
		}
		return 0
	}
	for i := range history {
		op := &history[i]
		op.ExpiredFrom = 0
		if (op.Kind != KindSell && op.Kind != KindRelease) || op.HoldTTLMs <= 0 || op.HoldReturn <= 0 {
			continue
		}
		ret := op.Return
		if op.Outcome == OutcomeInfo || ret < 0 {
			ret = unknownReturn
		}
		r := op.HoldReturn
		p := offsetIn(r-int64(offsetMax), r)
		n := offsetIn(op.Call, ret)
		op.ExpiredFrom = r + op.HoldTTLMs*int64(time.Millisecond) + p + n + int64(expiryCertainMargin)
	}
}

// certainExpiryWorstCase is MarkCertainExpiry's bound with clock windows
// overlapping both intervals: a sale called after it is certainly late
// whatever the fault schedule.
func certainExpiryWorstCase(holdReturn, ttlMs int64, offsetMax time.Duration) int64 {
	return holdReturn + ttlMs*int64(time.Millisecond) + 2*int64(offsetMax) + int64(expiryCertainMargin)
}

// LinearizabilityResult is the verdict of the per-seat check.
type LinearizabilityResult struct {
	Verdict    porcupine.CheckResult // Ok, Illegal, or Unknown (timed out: a failure)
	Operations int                   // per-seat operations checked
	Seats      int
	Illegal    []string    // seats whose history is not linearizable
	TimedOut   []string    // seats the checker could not decide in time
	Undecided  []SeatCheck // the TimedOut seats, with their sizes
	Slowest    []SeatCheck // the seats that took longest (at most 3)
	// LargestSeat is the most operations on one seat.
	LargestSeat int
	Elapsed     time.Duration
}

// SeatCheck is what checking one seat's history took.
type SeatCheck struct {
	Seat       string
	Operations int
	Unknown    int // operations with an unknown outcome (return at "infinity")
	Elapsed    time.Duration
	Verdict    porcupine.CheckResult
}

// seatBudgetMin is the smallest first-pass budget of a seat: below it,
// scheduling noise on a loaded machine would decide the verdict.
const seatBudgetMin = 2 * time.Second

// CheckLinearizable checks every seat's history within timeout overall.
//
// The budget is spent in two passes, so that one hard seat can neither
// starve the others nor be starved by them. First pass: every seat gets
// a share of half the budget proportional to its size (workers × budget/2
// × its operations / all operations, at least seatBudgetMin). Nearly all
// seats finish in milliseconds; the seats still undecided then share
// what is left of the whole budget equally in a second pass, from
// scratch. A seat still undecided after that is reported with its size
// and number of unknown outcomes: a checker limit, not a violation, but
// the run does not pass.
func CheckLinearizable(history []Op, observedHolders map[string][]string, timeout time.Duration) (LinearizabilityResult, map[string][]porcupine.Operation) {
	start := time.Now()
	bySeat := seatOperations(history, observedHolders)
	res := LinearizabilityResult{Verdict: porcupine.Ok, Seats: len(bySeat)}
	checks := make([]SeatCheck, 0, len(bySeat))
	for seat, ops := range bySeat {
		sc := SeatCheck{Seat: seat, Operations: len(ops)}
		for _, op := range ops {
			if op.Return == unknownReturn {
				sc.Unknown++
			}
		}
		checks = append(checks, sc)
		res.Operations += len(ops)
		res.LargestSeat = max(res.LargestSeat, len(ops))
	}
	// Largest first: the long checks start early and the short ones fill in.
	sort.Slice(checks, func(i, j int) bool {
		if checks[i].Operations != checks[j].Operations {
			return checks[i].Operations > checks[j].Operations
		}
		return checks[i].Seat < checks[j].Seat
	})
	workers := max(1, runtime.NumCPU())
	deadline := start.Add(timeout)

	firstPass := func(sc *SeatCheck) time.Duration {
		share := time.Duration(float64(timeout/2) * float64(workers) * float64(sc.Operations) / float64(max(1, res.Operations)))
		return max(share, seatBudgetMin)
	}
	runPass(bySeat, checks, workers, deadline, firstPass)

	var undecided []int
	for i := range checks {
		if checks[i].Verdict == porcupine.Unknown {
			undecided = append(undecided, i)
		}
	}
	if len(undecided) > 0 {
		again := make([]SeatCheck, len(undecided))
		for k, i := range undecided {
			again[k] = checks[i]
		}
		// Every undecided seat gets the same part of what is left: all of
		// it when there are no more of them than workers.
		waves := (len(again) + workers - 1) / workers
		share := time.Until(deadline) / time.Duration(waves)
		runPass(bySeat, again, workers, deadline, func(*SeatCheck) time.Duration { return share })
		for k, i := range undecided {
			checks[i].Verdict = again[k].Verdict
			checks[i].Elapsed += again[k].Elapsed
		}
	}

	for _, sc := range checks {
		switch sc.Verdict {
		case porcupine.Illegal:
			res.Illegal = append(res.Illegal, sc.Seat)
		case porcupine.Unknown:
			res.TimedOut = append(res.TimedOut, sc.Seat)
			res.Undecided = append(res.Undecided, sc)
		}
	}
	sort.Strings(res.Illegal)
	sort.Strings(res.TimedOut)
	sort.Slice(res.Undecided, func(i, j int) bool { return res.Undecided[i].Seat < res.Undecided[j].Seat })
	sort.Slice(checks, func(i, j int) bool { return checks[i].Elapsed > checks[j].Elapsed })
	res.Slowest = checks[:min(3, len(checks))]
	switch {
	case len(res.Illegal) > 0:
		res.Verdict = porcupine.Illegal
	case len(res.TimedOut) > 0:
		res.Verdict = porcupine.Unknown
	}
	res.Elapsed = time.Since(start)
	return res, bySeat
}

// runPass checks the seats on workers goroutines, each with the budget
// that budget returns when its turn comes (never past deadline), and
// sets their Verdict and Elapsed.
func runPass(bySeat map[string][]porcupine.Operation, checks []SeatCheck, workers int, deadline time.Time, budget func(*SeatCheck) time.Duration) {
	work := make(chan *SeatCheck)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for sc := range work {
				limit := min(budget(sc), time.Until(deadline))
				sc.Verdict = porcupine.Unknown
				if limit > 0 {
					began := time.Now()
					sc.Verdict = porcupine.CheckOperationsTimeout(SeatModel, bySeat[sc.Seat], limit)
					sc.Elapsed = time.Since(began)
				}
			}
		})
	}
	for i := range checks {
		work <- &checks[i]
	}
	close(work)
	wg.Wait()
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

// CertainlyLate counts the sales and releases called after their hold
// had certainly expired (Op.ExpiredFrom), by outcome: the operations
// that hold the store to refusing an expired hold.
type CertainlyLate struct {
	Sells, Releases int
	Refused, OK     int
	Unknown         int
	// WorstCase: of them, those late even by the worst-case bound (both
	// clock offsets at their largest).
	WorstCase int
}

// countCertainlyLate counts the certainly late sales and releases of
// history (after MarkCertainExpiry).
func countCertainlyLate(history []Op, offsetMax time.Duration) CertainlyLate {
	var c CertainlyLate
	for i := range history {
		op := &history[i]
		if op.ExpiredFrom <= 0 || op.Call < op.ExpiredFrom {
			continue
		}
		if op.Kind == KindSell {
			c.Sells++
		} else {
			c.Releases++
		}
		switch op.Outcome {
		case OutcomeOK:
			c.OK++
		case OutcomeFail:
			c.Refused++
		default:
			c.Unknown++
		}
		if op.Call >= certainExpiryWorstCase(op.HoldReturn, op.HoldTTLMs, offsetMax) {
			c.WorstCase++
		}
	}
	return c
}
