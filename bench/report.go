package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
)

// Result is what one run measured, and its invariant check. Rates are per
// second of the run's elapsed time (start to the last client stopping).
type Result struct {
	Workload string `json:"workload"`
	Label    string `json:"label"`
	EventID  string `json:"event_id"`
	// Connections describes how the clients reached the cluster; the
	// caller that made the connections fills it in.
	Connections string `json:"connections,omitempty"`
	Config      Config `json:"config"`
	VenueSeats  int    `json:"venue_seats"`
	Clients     int    `json:"clients"`

	DurationLimitS float64 `json:"duration_limit_s"`
	ElapsedS       float64 `json:"elapsed_s"`

	Holds           int64   `json:"holds"`
	Sells           int64   `json:"sells"`
	Releases        int64   `json:"releases"`
	HoldsPerS       float64 `json:"holds_per_s"`
	SellsPerS       float64 `json:"sells_per_s"`
	ConflictRetries int64   `json:"conflict_retries"`
	EmptyProbes     int64   `json:"empty_section_probes"`
	AbandonedHolds  int64   `json:"holds_abandoned_at_time_limit"`
	StaleHoldMisses int64   `json:"stale_hold_read_misses"`
	Errors          int64   `json:"errors"`
	FirstError      string  `json:"first_error,omitempty"`
	UnresolvedHolds int     `json:"unresolved_holds"`

	// HoldLatency is measured at the client from the first call to the
	// acknowledged hold: with explicit seats it includes the seat-map reads
	// and conflict retries. Only successful holds count.
	HoldLatency    Latency `json:"hold_latency"`
	SellLatency    Latency `json:"sell_latency"`
	ReleaseLatency Latency `json:"release_latency"`

	Reads     []ReadRate `json:"reads,omitempty"`
	ReadsPerS float64    `json:"reads_per_s"`

	// SoldOut says every client found every section without HoldSize
	// adjacent seats before the limit; SoldOutS is when the last did.
	SoldOut  bool     `json:"sold_out"`
	SoldOutS *float64 `json:"sold_out_s"`

	// CPU is the CPU time of the run's window per process and per
	// operation; nil for results written before it was measured.
	CPU *CPUUsage `json:"cpu,omitempty"`

	Check    CheckResult `json:"check"`
	Timeline []Sample    `json:"timeline"`
}

// ReadRate is the rate and latency of one kind of read ("seatmap/stale",
// "gethold/linearizable").
type ReadRate struct {
	Kind    string  `json:"kind"`
	PerS    float64 `json:"per_s"`
	Latency Latency `json:"latency"`
}

// WriteJSON writes r, indented, to path.
func WriteJSON(path string, r *Result) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}

// ReadJSON reads a Result written by WriteJSON.
func ReadJSON(path string) (*Result, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Result
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &r, nil
}

// WriteTable prints one row per run, then the reads of runs that made
// any, then the problems of runs that failed their check or saw errors.
func WriteTable(out io.Writer, results []*Result) error {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "run\tC\tholds/s\tsells/s\treads/s\thold p50 ms\tp99 ms\tp999 ms\tconflicts\tsold-out s\tseats sold\terrors\tinvariants\t")
	for _, r := range results {
		soldOut := "no(limit)"
		if r.SoldOutS != nil {
			soldOut = fmt.Sprintf("%.2f", *r.SoldOutS)
		}
		verdict := "ok"
		if !r.Check.OK {
			verdict = "FAILED"
		}
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%.0f\t%.0f\t%.2f\t%.2f\t%.2f\t%d\t%s\t%d/%d\t%d\t%s\t\n",
			r.Label, r.Clients, r.HoldsPerS, r.SellsPerS, r.ReadsPerS,
			r.HoldLatency.P50Ms, r.HoldLatency.P99Ms, r.HoldLatency.P999Ms, r.ConflictRetries,
			soldOut, r.Check.SeatsSold, r.VenueSeats, r.Errors, verdict)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if err := writeMedians(out, results); err != nil {
		return err
	}
	if err := writeCPU(out, results); err != nil {
		return err
	}

	type labelledRead struct {
		label string
		ReadRate
	}
	var reads []labelledRead
	for _, r := range results {
		for _, rr := range r.Reads {
			reads = append(reads, labelledRead{r.Label, rr})
		}
	}
	if len(reads) > 0 {
		fmt.Fprintln(out)
		tw = tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "run\tread\treads/s\tp50 ms\tp99 ms\tp999 ms\t")
		for _, rr := range reads {
			fmt.Fprintf(tw, "%s\t%s\t%.0f\t%.2f\t%.2f\t%.2f\t\n", rr.label, rr.Kind, rr.PerS, rr.Latency.P50Ms, rr.Latency.P99Ms, rr.Latency.P999Ms)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}

	for _, r := range results {
		if !r.Check.OK || r.Errors > 0 {
			fmt.Fprintf(out, "%s: %s", r.Label, r.Check.Detail)
			if r.FirstError != "" {
				fmt.Fprintf(out, "; %d errors, the first: %s", r.Errors, r.FirstError)
			}
			fmt.Fprintln(out)
		}
	}
	return nil
}

// repeatSuffix marks the repetitions of one run in their labels: "C=64 #2".
const repeatSuffix = " #"

// writeMedians prints, for each run repeated (labels that differ only by
// their repeatSuffix number), the median and range of its holds/s and the
// median of its p99 and sold-out time: on a machine whose speed moves
// ±25% within minutes one run is a poor estimate, and the median of three
// is what the README's table reports. Nothing is printed without repeats.
func writeMedians(out io.Writer, results []*Result) error {
	var order []string
	groups := map[string][]*Result{}
	for _, r := range results {
		base, _, found := strings.Cut(r.Label, repeatSuffix)
		if !found {
			continue
		}
		if groups[base] == nil {
			order = append(order, base)
		}
		groups[base] = append(groups[base], r)
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	header := false
	for _, base := range order {
		runs := groups[base]
		if len(runs) < 2 {
			continue
		}
		if !header {
			fmt.Fprintln(out)
			fmt.Fprintln(tw, "median of	runs	holds/s	(min–max)	hold p99 ms	sold-out s	")
			header = true
		}
		holds := make([]float64, len(runs))
		p99 := make([]float64, len(runs))
		var soldOut []float64
		for i, r := range runs {
			holds[i], p99[i] = r.HoldsPerS, r.HoldLatency.P99Ms
			if r.SoldOutS != nil {
				soldOut = append(soldOut, *r.SoldOutS)
			}
		}
		sold := "no(limit)"
		if len(soldOut) == len(runs) {
			sold = fmt.Sprintf("%.2f", median(soldOut))
		}
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%.0f–%.0f\t%.2f\t%s\t\n", base, len(runs), median(holds),
			slices.Min(holds), slices.Max(holds), median(p99), sold)
	}
	return tw.Flush()
}

// median of xs (not empty); the mean of the middle two for an even count.
func median(xs []float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
