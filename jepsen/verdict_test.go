package jepsen

import (
	"errors"
	"slices"
	"testing"

	"github.com/anishathalye/porcupine"
)

// TestFailuresAgreeWithValid plants one failure of each kind in an
// otherwise valid Result: Verdict must name exactly that check, and a
// valid Result must name none.
func TestFailuresAgreeWithValid(t *testing.T) {
	valid := func() *Result {
		return &Result{Seed: 7, Linearizability: LinearizabilityResult{Verdict: porcupine.Ok}, Retries: RetryResult{Compared: 3},
			Counters: Counters{Total: NodeCounters{SnapshotsInstalled: 1, HoldsSwept: 1}},
			Purchase: PurchaseResult{Enabled: true, Checks: []MoneyCheck{{Name: "captured payment has its tickets", Compared: 5}}}}
	}
	if v := valid().Verdict(); v.Verdict != "VALID" || len(v.Failed) != 0 {
		t.Fatalf("valid result: %+v", v)
	}
	for _, tc := range []struct {
		check, verdict string
		plant          func(r *Result)
	}{
		{CheckSetup, "FAILED", func(r *Result) { r.Setup = errors.New("create event: no leader") }},
		{CheckLinearizability, "INVALID", func(r *Result) {
			r.Linearizability.Verdict, r.Linearizability.Illegal = porcupine.Illegal, []string{"S1-R1-1"}
		}},
		{CheckUndecided, "UNDECIDED", func(r *Result) {
			r.Linearizability.Verdict, r.Linearizability.Undecided = porcupine.Unknown, []SeatCheck{{Seat: "S2-R3-2"}}
		}},
		{CheckInvariants, "INVALID", func(r *Result) { r.Invariants.Violations = []string{"seat S1-R1-1 sold to o1 and o2"} }},
		{CheckReplicaHashes, "INVALID", func(r *Result) {
			r.Convergence = []string{"group g001: state hash differs at index 40: n1 ab… vs n2 cd…"}
		}},
		{CheckReplicaHashes, "INVALID", func(r *Result) {
			r.Convergence = []string{"the replica check compared no state hashes (were they requested?)"}
		}},
		{CheckConvergence, "INVALID", func(r *Result) {
			r.Convergence = []string{"replicas did not converge within 1m0s: group g001: n1 applied 9 (hash@9), n2 applied 7 (hash@7)"}
		}},
		{CheckRetries, "INVALID", func(r *Result) { r.Retries.Mismatches, r.Retries.Mismatched = 1, []string{"hold h1: refused"} }},
		{CheckRetries, "INVALID", func(r *Result) { r.Retries.Compared = 0 }},
		{CheckCounters, "INVALID", func(r *Result) { r.Counters.Total.SnapshotsInstalled = 0 }},
		{CheckCounters, "INVALID", func(r *Result) { r.Counters.Total.HoldsSwept = 0 }},
		{CheckFaults, "INVALID", func(r *Result) { r.FaultChecks = []string{"corrupt-log: n2 served a damaged log"} }},
		{CheckMoneyChecks, "INVALID", func(r *Result) { r.Purchase.Checks[0].Violations = []string{"pi_1 captured, no tickets"} }},
		{CheckMoneyChecks, "INVALID", func(r *Result) { r.Purchase.Checks[0].Compared = 0 }},
		{CheckPurchases, "INVALID", func(r *Result) { r.Purchase.Problems = []string{"3 fans never finished"} }},
		{CheckPurchases, "INVALID", func(r *Result) { r.Purchase.Checks = nil }},
		{CheckRegionLoss, "INVALID", func(r *Result) {
			r.RegionLoss = RegionLossResult{Enabled: true, Problems: []string{"the region-loss nemesis never fired: no region was killed"}}
		}},
	} {
		r := valid()
		tc.plant(r)
		v := r.Verdict()
		var checks []string
		for _, f := range v.Failed {
			checks = append(checks, f.Check)
		}
		if v.Verdict != tc.verdict || !slices.Equal(checks, []string{tc.check}) {
			t.Errorf("planted %s: verdict %s, failed %v; want %s, [%s]", tc.check, v.Verdict, checks, tc.verdict, tc.check)
		}
		if r.Valid() {
			t.Errorf("planted %s: Valid() is true", tc.check)
		}
	}
}
