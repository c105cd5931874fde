package jepsen

import (
	"context"
	"fmt"
	"sync"
	"time"

	"google.golang.org/grpc/status"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
)

// Re-sending mutations whose outcome is unknown.
//
// An operation that ran out of attempts during traffic (timeouts, no
// leader, a killed node) may or may not have taken effect, and may even
// take effect later, when a proposal stuck in a log commits. For the
// checker such an operation returns at "infinity" and may be linearized
// anywhere after its call or never; each one multiplies the orders
// porcupine must try, and a seat with a few dozen of them can exhaust any
// budget.
//
// Every Boxoffice mutation is idempotent by request id: the state machine
// of the group remembers the first result of each request id for an hour
// (fsm.Options.DedupWindowMs, in the replicated snapshot too), refusals
// included, and returns it to any retry. So after the final heal the
// harness sends each such mutation again, with the same request id and
// the same body, and the answer is the operation's own outcome:
//   - if it took effect (before, or only now), the answer is its first
//     result: ok with the hold id and seats it got, or the refusal it got;
//   - if it never reached the state machine, it executes now, on the
//     healed cluster, exactly once, and the answer is that result.
//
// What this proves about time: the effect happened at some instant after
// the original call and before the re-send returned, and no sooner bound
// is known (it may have committed after the client gave up). So the
// operation keeps its original call time and gets the re-send's return
// time, with the learned output: a sound interval, since the effect lies
// inside it. A re-send that gets no definite answer either leaves the
// operation unknown (returning at "infinity"), as before.
//
// Refusals that come from the node rather than the state machine (a
// malformed request, an event not ready) are not remembered, but they
// are not effects either, and the request is the same, so they repeat.

// Limits of the re-send phase: the cluster has just healed and a group
// may still be electing (or, as seen in 5-node runs, stay unwritable for
// a while), so the phase works in rounds: each round sends every
// operation still unknown once, concurrently, so that operations of a
// healthy group are answered in the first round whatever the others do.
// The phase as a whole is bounded.
const (
	resendAttemptTimeout = 3 * time.Second
	resendRoundsMax      = 12
	resendPause          = 500 * time.Millisecond // between rounds
	resendPhaseTimeout   = 90 * time.Second
	resendConcurrency    = 32
)

// ResendResult counts what re-sending the unknown mutations learned.
type ResendResult struct {
	Unknown      int // mutations unknown when traffic ended
	OK, Fail     int // outcomes learned
	StillUnknown int // no definite answer to the re-send either
	Rounds       int
	Elapsed      time.Duration
}

// resendUnknown sends every mutation whose outcome is unknown again, to
// the nodes in turn, and records what it learns in the history. It must
// run after traffic has ended and before the final states are read
// (a re-send that executes now changes them).
func (w *workload) resendUnknown(ctx context.Context) ResendResult {
	start := time.Now()
	res := ResendResult{Unknown: len(w.unknown)}
	ctx, cancel := context.WithTimeout(ctx, resendPhaseTimeout)
	defer cancel()
	resends := make([]*Resend, len(w.unknown))
	errs := make([]error, len(w.unknown))
	learned := make([]Op, len(w.unknown)) // receive the hold id and seats of an answer
	pending := make([]int, len(w.unknown))
	for k, p := range w.unknown {
		op := &w.history[p.index]
		resends[k] = &Resend{Call: w.now(), Return: -1, Outcome: OutcomeInfo, OriginalCode: op.Code, OriginalError: op.Error}
		learned[k] = *op
		pending[k] = k
	}
	nodes := len(w.cluster.nodes)
	for round := 0; len(pending) > 0 && round < resendRoundsMax && ctx.Err() == nil; round++ {
		if round > 0 && !sleepCtx(ctx, resendPause) {
			break
		}
		res.Rounds++
		work := make(chan int)
		var wg sync.WaitGroup
		for range min(resendConcurrency, len(pending)) {
			wg.Go(func() {
				for k := range work {
					p := w.unknown[k]
					resends[k].Attempts++
					actx, cancel := context.WithTimeout(ctx, resendAttemptTimeout)
					errs[k] = p.send(actx, w.cluster.inventory(1+(p.index+round)%nodes), &learned[k])
					cancel()
					if errs[k] == nil || definite(errs[k]) {
						resends[k].Return = w.now()
					}
				}
			})
		}
		for _, k := range pending {
			work <- k
		}
		close(work)
		wg.Wait()
		var still []int
		for _, k := range pending {
			if resends[k].Return < 0 {
				still = append(still, k)
			}
		}
		pending = still
	}
	for k, p := range w.unknown {
		op, r, err := &w.history[p.index], resends[k], errs[k]
		switch {
		case r.Return < 0: // still unknown: the operation keeps its original error
			r.Error = fmt.Sprint(err)
			res.StillUnknown++
		case err == nil:
			r.Outcome = OutcomeOK
			op.Outcome, op.Return, op.Code, op.Reason, op.Error = OutcomeOK, r.Return, "", "", ""
			op.HoldID, op.Seats = learned[k].HoldID, learned[k].Seats
			res.OK++
		default:
			r.Outcome = OutcomeFail
			op.Outcome, op.Return = OutcomeFail, r.Return
			op.Code, op.Reason, op.Error = status.Code(err).String(), boxofficev1.ReasonOf(err), status.Convert(err).Message()
			res.Fail++
		}
		op.Resend = r
	}
	res.Elapsed = time.Since(start)
	return res
}
