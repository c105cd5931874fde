package jepsen

import (
	"bufio"
	"encoding/json"
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/anishathalye/porcupine"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

func writeJSON(path string, v any) {
	data, err := json.MarshalIndent(v, "", "  ")
	if err == nil {
		err = os.WriteFile(path, data, 0o644)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "jepsen: write %s: %v\n", path, err)
	}
}

// sampleSeats picks up to n seats spread over the sorted list.
func sampleSeats(seats []string, n int) []string {
	sort.Strings(seats)
	if len(seats) <= n {
		return seats
	}
	out := make([]string, 0, n)
	for i := range n {
		out = append(out, seats[i*len(seats)/n])
	}
	return out
}

func writeReport(cfg *Config, res *Result) error {
	f, err := os.Create(filepath.Join(res.Dir, "history.jsonl"))
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	for i := range res.History {
		if err := enc.Encode(&res.History[i]); err != nil {
			f.Close()
			return err
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	f.Close()
	writeJSON(filepath.Join(res.Dir, "faults.json"), res.Faults)
	writeJSON(filepath.Join(res.Dir, "verdict.json"), res.Verdict())
	if len(res.History) > 0 {
		if err := plotTimeline(filepath.Join(res.Dir, "timeline.png"), res.History, res.Faults); err != nil {
			cfg.Logf("plot: %v", err)
		}
	}
	summary := Summary(cfg, res)
	return os.WriteFile(filepath.Join(res.Dir, "summary.txt"), []byte(summary), 0o644)
}

// Summary is the one-screen text of summary.txt.
func Summary(cfg *Config, res *Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "boxoffice jepsen  profile=%s seed=%d nodes=%d clients=%d duration=%s unsafe-reads=%v\n",
		cfg.Profile, cfg.Seed, cfg.Nodes, cfg.Clients, cfg.Duration, cfg.UnsafeReads)
	fmt.Fprintf(&b, "network: %s\nfolder:  %s\n\n", res.Network, res.Dir)

	type counts struct{ ok, fail, info int }
	byKind := map[string]*counts{}
	total := counts{}
	lat := hdrhistogram.New(1, int64(time.Minute/time.Microsecond), 3)
	for _, op := range res.History {
		c := byKind[op.Kind]
		if c == nil {
			c = &counts{}
			byKind[op.Kind] = c
		}
		switch op.Outcome {
		case OutcomeOK:
			c.ok++
			total.ok++
			if !op.wasUnknown() { // a re-sent op's latency is the time it gave up
				_ = lat.RecordValue(op.LatencyNs / 1000)
			}
		case OutcomeFail:
			c.fail++
			total.fail++
		default:
			c.info++
			total.info++
		}
	}
	fmt.Fprintf(&b, "operations: %d  (ok %d, fail %d, info/indeterminate after re-send %d)  ok latency p50 %s p99 %s max %s\n",
		len(res.History), total.ok, total.fail, total.info,
		time.Duration(lat.ValueAtQuantile(50))*time.Microsecond, time.Duration(lat.ValueAtQuantile(99))*time.Microsecond,
		time.Duration(lat.Max())*time.Microsecond)
	fmt.Fprintf(&b, "  %-10s %7s %7s %7s\n", "kind", "ok", "fail", "info")
	for _, k := range []string{KindHold, KindHoldBest, KindHoldGA, KindSell, KindRelease, KindRefund, KindRead} {
		if c := byKind[k]; c != nil {
			fmt.Fprintf(&b, "  %-10s %7d %7d %7d\n", k, c.ok, c.fail, c.info)
		}
	}
	rs := res.Resend
	fmt.Fprintf(&b, "unknown outcome when traffic ended: %d mutations; re-sent with their request ids after healing (%s, %d rounds): %d ok, %d refused, %d still unknown\n",
		rs.Unknown, rs.Elapsed.Round(time.Millisecond), rs.Rounds, rs.OK, rs.Fail, rs.StillUnknown)
	fmt.Fprintf(&b, "retries of acknowledged mutations (same request id, same body): retries compared: %d, mismatches: %d\n",
		res.Retries.Compared, res.Retries.Mismatches)
	if res.Retries.Compared == 0 {
		fmt.Fprintf(&b, "  no retry was compared: the run cannot pass\n")
	}
	for _, m := range res.Retries.Mismatched {
		fmt.Fprintf(&b, "  MISMATCH %s\n", m)
	}
	faultCount := map[string]int{}
	var faultErrors []string
	for _, f := range res.Faults {
		faultCount[f.Kind]++
		if f.Error != "" {
			faultErrors = append(faultErrors, fmt.Sprintf("%s (%s): %s", f.Kind, f.Description, f.Error))
		}
	}
	var kinds []string
	for k, n := range faultCount {
		kinds = append(kinds, fmt.Sprintf("%s×%d", k, n))
	}
	sort.Strings(kinds)
	fmt.Fprintf(&b, "\nfaults injected: %d  %s\n", len(res.Faults), strings.Join(kinds, " "))
	for _, e := range faultErrors {
		fmt.Fprintf(&b, "  fault error: %s\n", e)
	}
	for _, p := range res.FaultChecks {
		fmt.Fprintf(&b, "  FAULT CHECK FAILED: %s\n", p)
	}
	if p := res.Proxy; p != (ProxyStats{}) {
		fmt.Fprintf(&b, "  peer proxy: %d retransmission stalls, %d connections reset, %d bytes dropped by one-way cuts\n",
			p.Stalls, p.Resets, p.DroppedBytes)
	}

	lin := res.Linearizability
	fmt.Fprintf(&b, "\nlinearizability (porcupine, per seat): %s  %d operations over %d seats (largest %d) in %s\n",
		verdictName(lin.Verdict), lin.Operations, lin.Seats, lin.LargestSeat, lin.Elapsed.Round(time.Millisecond))
	late := countCertainlyLate(res.History, cfg.ClockOffsetMax)
	fmt.Fprintf(&b, "  certainly expired holds: %d sells, %d releases (%d late by the worst-case clock bound): %d refused, %d ok, %d unknown\n",
		late.Sells, late.Releases, late.WorstCase, late.Refused, late.OK, late.Unknown)
	var slowest []string
	for _, sc := range lin.Slowest {
		slowest = append(slowest, describeSeatCheck(sc))
	}
	if len(slowest) > 0 {
		fmt.Fprintf(&b, "  slowest: %s\n", strings.Join(slowest, "; "))
	}
	if len(lin.Illegal) > 0 {
		fmt.Fprintf(&b, "  NOT linearizable: %s\n", strings.Join(limit(lin.Illegal, 12), " "))
	}
	if len(lin.Undecided) > 0 {
		fmt.Fprintf(&b, "  UNDECIDED: porcupine ran out of its %s budget on %d seat(s). No violation was found on them,\n", cfg.CheckTimeout, len(lin.Undecided))
		fmt.Fprintf(&b, "  but the run cannot pass. Unknown outcomes (return at infinity) are what makes a seat hard:\n")
		for i, sc := range lin.Undecided {
			if i == 12 {
				fmt.Fprintf(&b, "    ... %d more\n", len(lin.Undecided)-i)
				break
			}
			fmt.Fprintf(&b, "    %s\n", describeSeatCheck(sc))
		}
		fmt.Fprintf(&b, "  check again with a larger budget: %s -check-timeout %s\n", res.Replay, 5*cfg.CheckTimeout)
	}
	inv := res.Invariants
	fmt.Fprintf(&b, "invariants: %d violations  (%d acknowledged unrefunded sales, %d seat states on %d replicas)\n",
		len(inv.Violations), inv.AckedSales, inv.SeatsChecked, inv.ReplicasCompared+1)
	for _, v := range limit(inv.Violations, 10) {
		fmt.Fprintf(&b, "  %s\n", v)
	}
	fmt.Fprintf(&b, "replicas: %d problems  (%d pairs of state hashes compared at equal applied index)\n", len(res.Convergence), res.HashComparisons)
	for _, v := range limit(res.Convergence, 5) {
		fmt.Fprintf(&b, "  %s\n", v)
	}
	describeRegionLosses(&b, res.RegionLoss)
	b.WriteString(describeCounters(res.Counters))
	summarizePurchases(&b, cfg.Gateways, res.Purchase)
	if res.Setup != nil {
		fmt.Fprintf(&b, "\nRUN FAILED: %v\n", res.Setup)
	}
	switch {
	case res.Valid():
		fmt.Fprintf(&b, "\nVERDICT: VALID\n")
	case res.Undecided():
		fmt.Fprintf(&b, "\nVERDICT: UNDECIDED (no violation found, but %d seat(s) not checked in time: a failed run)\nreplay: %s\n",
			len(res.Linearizability.Undecided), res.Replay)
	default:
		fmt.Fprintf(&b, "\nVERDICT: INVALID\nreplay: %s\n", res.Replay)
	}
	return b.String()
}

func verdictName(v porcupine.CheckResult) string {
	if v == porcupine.Unknown {
		return "Unknown (timed out)"
	}
	return string(v)
}

func describeSeatCheck(sc SeatCheck) string {
	return fmt.Sprintf("%s %d ops, %d unknown, %s", sc.Seat, sc.Operations, sc.Unknown, sc.Elapsed.Round(time.Millisecond))
}

func limit(list []string, n int) []string {
	if len(list) <= n {
		return list
	}
	return append(slices.Clone(list[:n]), fmt.Sprintf("... %d more", len(list)-n))
}

// plotTimeline draws ok throughput per second and latency percentiles per
// second, with fault windows shaded, as one PNG.
func plotTimeline(path string, history []Op, faults []Fault) error {
	var end int64
	for _, op := range history {
		end = max(end, op.Call+op.LatencyNs)
	}
	seconds := int(end/int64(time.Second)) + 1
	okPerSecond := make([]float64, seconds)
	infoPerSecond := make([]float64, seconds)
	hists := make([]*hdrhistogram.Histogram, seconds)
	for i := range hists {
		hists[i] = hdrhistogram.New(1, int64(time.Minute/time.Microsecond), 2)
	}
	for _, op := range history {
		s := int((op.Call + op.LatencyNs) / int64(time.Second))
		switch {
		case op.wasUnknown(): // as seen during traffic, whatever a re-send learned
			infoPerSecond[s]++
		case op.Outcome == OutcomeOK:
			okPerSecond[s]++
			_ = hists[s].RecordValue(op.LatencyNs / 1000)
		}
	}
	line := func(values func(s int) float64) plotter.XYs {
		xy := make(plotter.XYs, seconds)
		for s := range seconds {
			xy[s] = plotter.XY{X: float64(s), Y: values(s)}
		}
		return xy
	}
	shade := func(p *plot.Plot, top float64) {
		for _, f := range faults {
			x0, x1 := float64(f.Start)/1e9, float64(f.End)/1e9
			poly, err := plotter.NewPolygon(plotter.XYs{{X: x0, Y: 0}, {X: x1, Y: 0}, {X: x1, Y: top}, {X: x0, Y: top}})
			if err != nil {
				continue
			}
			poly.Color = color.RGBA{R: 240, G: 120, B: 120, A: 50}
			poly.LineStyle.Width = 0
			p.Add(poly)
		}
	}
	throughput := plot.New()
	throughput.Title.Text = "throughput (ok ops/s; red: fault windows)"
	throughput.X.Label.Text = "seconds"
	okLine, _ := plotter.NewLine(line(func(s int) float64 { return okPerSecond[s] }))
	okLine.Color = color.RGBA{B: 200, A: 255}
	infoLine, _ := plotter.NewLine(line(func(s int) float64 { return infoPerSecond[s] }))
	infoLine.Color = color.RGBA{R: 200, G: 120, A: 255}
	shade(throughput, slices.Max(okPerSecond)*1.1+1)
	throughput.Add(okLine, infoLine)
	throughput.Legend.Add("ok", okLine)
	throughput.Legend.Add("info (indeterminate)", infoLine)
	throughput.Legend.Top = true

	latency := plot.New()
	latency.Title.Text = "latency of ok operations (ms, incl. retries)"
	latency.X.Label.Text = "seconds"
	var top float64
	var lines []*plotter.Line
	for _, q := range []float64{50, 99, 100} {
		l, _ := plotter.NewLine(line(func(s int) float64 {
			v := float64(hists[s].ValueAtQuantile(q)) / 1000
			top = max(top, v)
			return v
		}))
		lines = append(lines, l)
	}
	lines[0].Color = color.RGBA{G: 150, A: 255}
	lines[1].Color = color.RGBA{R: 200, A: 255}
	lines[2].Color = color.RGBA{R: 120, G: 120, B: 120, A: 255}
	shade(latency, top*1.1+1)
	for i, name := range []string{"p50", "p99", "max"} {
		latency.Add(lines[i])
		latency.Legend.Add(name, lines[i])
	}
	latency.Legend.Top = true

	img := vgimg.New(vg.Points(1000), vg.Points(700))
	dc := draw.New(img)
	canvases := plot.Align([][]*plot.Plot{{throughput}, {latency}}, draw.Tiles{Rows: 2, Cols: 1}, dc)
	throughput.Draw(canvases[0][0])
	latency.Draw(canvases[1][0])
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(out); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
