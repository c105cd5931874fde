package bench

import (
	"fmt"
	"os"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// WritePlot draws a run's timeline as a PNG: operations per second on top,
// hold latency (p50, p99 of each second) below, on a shared time axis.
func WritePlot(path string, r *Result) error {
	if len(r.Timeline) == 0 {
		return fmt.Errorf("plot: run %s has no samples", r.Label)
	}
	series := func(value func(Sample) float64) plotter.XYs {
		xys := make(plotter.XYs, len(r.Timeline))
		for i, s := range r.Timeline {
			xys[i].X, xys[i].Y = s.ElapsedS, value(s)
		}
		return xys
	}

	throughput := plot.New()
	throughput.Title.Text = fmt.Sprintf("Boxoffice OSW-1 %s: %d clients, %d seats", r.Label, r.Clients, r.VenueSeats)
	throughput.Y.Label.Text = "operations/s"
	throughput.Y.Min = 0
	lines := []any{
		"holds/s", series(func(s Sample) float64 { return s.HoldsPerS }),
		"sells/s", series(func(s Sample) float64 { return s.SellsPerS }),
	}
	if r.ReadsPerS > 0 {
		lines = append(lines, "reads/s", series(func(s Sample) float64 { return s.ReadsPerS }))
	}
	if err := plotutil.AddLines(throughput, lines...); err != nil {
		return err
	}
	throughput.Legend.Top = true

	latency := plot.New()
	latency.X.Label.Text = "seconds since start"
	latency.Y.Label.Text = "hold latency, ms"
	latency.Y.Min = 0
	if err := plotutil.AddLines(latency,
		"p50", series(func(s Sample) float64 { return s.HoldP50Ms }),
		"p99", series(func(s Sample) float64 { return s.HoldP99Ms }),
	); err != nil {
		return err
	}
	latency.Legend.Top = true
	// The same time range on both, even when one panel's data ends early.
	for _, p := range []*plot.Plot{throughput, latency} {
		p.X.Min, p.X.Max = 0, r.Timeline[len(r.Timeline)-1].ElapsedS
	}

	img := vgimg.New(8*vg.Inch, 6*vg.Inch)
	canvas := draw.New(img)
	tiles := draw.Tiles{Rows: 2, Cols: 1, PadY: vg.Millimeter * 4, PadTop: vg.Millimeter * 2,
		PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 4}
	panels := [][]*plot.Plot{{throughput}, {latency}}
	canvases := plot.Align(panels, tiles, canvas)
	for i, row := range panels {
		row[0].Draw(canvases[i][0])
	}

	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
