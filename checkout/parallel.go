package checkout

import "sync"

// parallelCallsMax bounds the store and cluster calls one request has in
// flight at once (inParallel): tickets of a large order are written a few
// at a time, not all together.
const parallelCallsMax = 8

// inParallel runs independent steps at once, at most parallelCallsMax at a
// time, waits for all of them, and returns the error of the first step (in
// argument order) that failed. Only steps that touch different records and
// that a retry of the request repeats harmlessly (each is idempotent on its
// own) may be run together: a failure leaves any subset of them done,
// exactly as a crash between sequential steps would.
//
// Each round trip to the cluster is a Raft commit or a leader read, so a
// request's latency is the length of its chain of calls; see
// TestPurchaseRoundTrips for the chains of the purchase flow.
func inParallel(steps ...func() error) error {
	if len(steps) == 1 {
		return steps[0]()
	}
	errs := make([]error, len(steps))
	slots := make(chan struct{}, parallelCallsMax)
	var wg sync.WaitGroup
	for i, step := range steps {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			errs[i] = step()
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
