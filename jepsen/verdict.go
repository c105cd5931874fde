package jepsen

import (
	"strings"

	"github.com/anishathalye/porcupine"
)

// Verdict is the machine-readable outcome of a run, written as
// verdict.json beside summary.txt: what the summary's last lines say, for
// tools that run the harness many times (cmd/mutants).
type Verdict struct {
	// Verdict is VALID, INVALID, UNDECIDED (no violation found, but
	// porcupine ran out of time) or FAILED (the run could not be carried
	// out), as the exit status 0, 1, 1 and 2 of cmd/jepsen.
	Verdict string `json:"verdict"`
	Seed    int64  `json:"seed"`
	// Failed names every check that failed (see Result.Failures), empty
	// for a VALID run.
	Failed []Failure `json:"failed"`
}

// Failure is one failed check and its first findings.
type Failure struct {
	Check    string   `json:"check"`
	Findings []string `json:"findings"`
}

// Names of the checks in Failure.Check.
const (
	CheckSetup           = "setup"           // the run could not be carried out
	CheckLinearizability = "linearizability" // porcupine found a seat's history illegal
	CheckUndecided       = "undecided"       // porcupine ran out of its budget on some seats
	CheckInvariants      = "invariants"      // the final-state ticketing invariants
	CheckReplicaHashes   = "replica-hashes"  // state hashes differ at equal applied index, or none compared
	CheckConvergence     = "convergence"     // replicas did not converge, or a final read failed
	CheckRetries         = "retries"         // a retried acknowledged mutation got another answer, or none compared
	CheckCounters        = "counters"        // no snapshot installed or no hold expired: a path went unexercised
	CheckFaults          = "fault-checks"    // a fault's expectation of the nodes (corrupt-log, disk-full) failed
	CheckMoneyChecks     = "money"           // a money checker of the purchase workload (the finding names which)
	CheckPurchases       = "purchases"       // the purchase workload could not be checked
	CheckRegionLoss      = "region-loss"     // no sale within the bound after a region kill, no catch-up, or no kill at all
	CheckOther           = "other"           // a check of Valid that Failures does not name yet
)

// findingsMax bounds the findings kept per failed check.
const findingsMax = 5

// Failures lists the checks this run failed, in the order of the summary.
// It is empty exactly when Valid is true; a check added to Valid must add
// its name here too (TestFailuresAgreeWithValid).
func (r *Result) Failures() []Failure {
	var out []Failure
	add := func(check string, findings []string) {
		out = append(out, Failure{Check: check, Findings: limit(findings, findingsMax)})
	}
	if r.Setup != nil {
		add(CheckSetup, []string{r.Setup.Error()})
	}
	lin := r.Linearizability
	switch {
	case len(lin.Illegal) > 0:
		add(CheckLinearizability, lin.Illegal)
	case lin.Verdict == porcupine.Illegal:
		add(CheckLinearizability, nil)
	}
	if len(lin.Undecided) > 0 || (lin.Verdict == porcupine.Unknown && len(lin.Illegal) == 0) {
		var seats []string
		for _, sc := range lin.Undecided {
			seats = append(seats, sc.Seat)
		}
		add(CheckUndecided, seats)
	}
	if len(r.Invariants.Violations) > 0 {
		add(CheckInvariants, r.Invariants.Violations)
	}
	var hashes, convergence []string
	for _, problem := range r.Convergence {
		if strings.Contains(problem, "state hash") {
			hashes = append(hashes, problem)
		} else {
			convergence = append(convergence, problem)
		}
	}
	if len(hashes) > 0 {
		add(CheckReplicaHashes, hashes)
	}
	if len(convergence) > 0 {
		add(CheckConvergence, convergence)
	}
	if !r.Retries.valid() {
		findings := r.Retries.Mismatched
		if r.Retries.Compared == 0 {
			findings = []string{"no retry was compared"}
		}
		add(CheckRetries, findings)
	}
	if !r.Counters.valid() {
		add(CheckCounters, r.Counters.problems())
	}
	if len(r.FaultChecks) > 0 {
		add(CheckFaults, r.FaultChecks)
	}
	if p := r.Purchase; p.Enabled {
		var money []string
		for _, c := range p.Checks {
			switch {
			case len(c.Violations) > 0:
				money = append(money, c.Name+": "+c.Violations[0])
			case c.Compared == 0:
				money = append(money, c.Name+": compared nothing")
			}
		}
		if len(money) > 0 {
			add(CheckMoneyChecks, money)
		}
		if len(p.Problems) > 0 || len(p.Checks) == 0 {
			findings := p.Problems
			if len(findings) == 0 {
				findings = []string{"no money checker ran"}
			}
			add(CheckPurchases, findings)
		}
	}
	if !r.RegionLoss.valid() {
		add(CheckRegionLoss, r.RegionLoss.Problems)
	}
	if len(out) == 0 && !r.Valid() {
		// A check of Valid not named above: still a failure.
		add(CheckOther, []string{"see summary.txt"})
	}
	return out
}

// Verdict returns the run's Verdict.
func (r *Result) Verdict() Verdict {
	v := Verdict{Seed: r.Seed, Failed: r.Failures()}
	switch {
	case r.Setup != nil:
		v.Verdict = "FAILED"
	case r.Valid():
		v.Verdict = "VALID"
	case r.Undecided():
		v.Verdict = "UNDECIDED"
	default:
		v.Verdict = "INVALID"
	}
	if v.Failed == nil {
		v.Failed = []Failure{}
	}
	return v
}
