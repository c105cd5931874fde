package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
)

// smallConfig is the venue of the end-to-end test: 4 x 5 x 10 = 200 seats.
func smallConfig() Config {
	return Config{Sections: 4, Rows: 5, SeatsPerRow: 10, Clients: 8, DurationLimit: 20 * time.Second, Seed: 7}
}

func runOnFake(t *testing.T, cfg Config, bug fakeBug) *Result {
	t.Helper()
	res, err := Run(context.Background(), cfg, []Inventory{newFakeInventory(bug)}, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestRunSellsOutAndChecks(t *testing.T) {
	for _, explicit := range []bool{false, true} {
		cfg := smallConfig()
		cfg.ExplicitSeats = explicit
		res := runOnFake(t, cfg, bugNone)
		if !res.Check.OK {
			t.Fatalf("explicit=%v: %s", explicit, res.Check.Detail)
		}
		if !res.SoldOut || res.SoldOutS == nil {
			t.Errorf("explicit=%v: the venue did not sell out in %.1fs", explicit, res.ElapsedS)
		}
		if res.Errors != 0 {
			t.Errorf("explicit=%v: %d errors, the first: %s", explicit, res.Errors, res.FirstError)
		}
		if res.Holds != res.Sells+res.Releases {
			t.Errorf("explicit=%v: %d holds but %d sells + %d releases", explicit, res.Holds, res.Sells, res.Releases)
		}
		// The fake packs pairs from the left of 10-seat rows and releases
		// go back to the pool, so every seat can be sold.
		if res.Check.SeatsSold != 200 || int64(res.Check.SeatsSold) != 2*res.Sells {
			t.Errorf("explicit=%v: %d seats sold, %d sells; want 200 = 2 x sells", explicit, res.Check.SeatsSold, res.Sells)
		}
		if res.HoldLatency.Count != res.Holds || res.HoldLatency.P50Ms <= 0 {
			t.Errorf("explicit=%v: hold latency %+v for %d holds", explicit, res.HoldLatency, res.Holds)
		}
		if len(res.Timeline) == 0 {
			t.Errorf("explicit=%v: no timeline", explicit)
		}
	}
}

func TestRunReads(t *testing.T) {
	cfg := smallConfig()
	cfg.SeatMapReads, cfg.HoldReads, cfg.ReadConsistency = 2, 1, ConsistencyLinearizable
	res := runOnFake(t, cfg, bugNone)
	if !res.Check.OK {
		t.Fatal(res.Check.Detail)
	}
	kinds := map[string]int64{}
	for _, r := range res.Reads {
		kinds[r.Kind] = r.Latency.Count
	}
	// Every iteration reads, including those that find the section empty.
	if kinds["seatmap/linearizable"] < 2*res.Holds || kinds["gethold/linearizable"] != res.Holds {
		t.Errorf("reads %v for %d holds: want >= 2 seat maps and 1 GetHold per hold", kinds, res.Holds)
	}
	if res.ReadsPerS <= 0 {
		t.Errorf("reads/s = %v", res.ReadsPerS)
	}
}

// TestRunSampleInterval: the timeline has a sample per SampleInterval and
// its rates are per second of each interval; the progress line stays at
// about one a second.
func TestRunSampleInterval(t *testing.T) {
	cfg := smallConfig()
	cfg.ReadOnly, cfg.SeatMapView, cfg.DurationLimit, cfg.SampleInterval = true, SeatMapViewAvailability, 1200*time.Millisecond, 50*time.Millisecond
	var progress strings.Builder
	res, err := Run(context.Background(), cfg, []Inventory{newFakeInventory(bugNone)}, &progress, false)
	if err != nil {
		t.Fatal(err)
	}
	// About 24 samples; a loaded machine may drop ticks, never add them.
	if n := len(res.Timeline); n < 5 || n > 26 {
		t.Fatalf("%d samples in 1.2 s at 50 ms, want about 24 (at 1 s it would be 2)", n)
	}
	reads := 0.0
	for i, s := range res.Timeline {
		prev := 0.0
		if i > 0 {
			prev = res.Timeline[i-1].ElapsedS
		}
		if i < len(res.Timeline)-1 && s.ElapsedS-prev < 0.025 {
			t.Errorf("sample %d only %.3fs after the previous one", i, s.ElapsedS-prev)
		}
		reads += s.ReadsPerS * (s.ElapsedS - prev)
	}
	if total := res.ReadsPerS * res.ElapsedS; reads < 0.9*total || reads > 1.1*total {
		t.Errorf("the samples add up to %.0f reads, the run counted %.0f", reads, total)
	}
	if lines := strings.Count(progress.String(), "\n"); lines < 1 || lines > 3 {
		t.Errorf("%d progress lines in 1.2 s, want one or two:\n%s", lines, progress.String())
	}
}

// TestRunReadOnly: a read-only run only reads seat maps, in the view and
// consistency asked for, until the limit, and leaves the venue untouched.
func TestRunReadOnly(t *testing.T) {
	cfg := smallConfig()
	cfg.ReadOnly, cfg.SeatMapView, cfg.DurationLimit = true, SeatMapViewAvailability, 200*time.Millisecond
	fake := newFakeInventory(bugNone)
	res, err := Run(context.Background(), cfg, []Inventory{fake}, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Check.OK || res.Check.SeatsSold != 0 || res.Holds != 0 || res.Errors != 0 {
		t.Fatalf("a read-only run held %d, sold %d, saw %d errors (%s)", res.Holds, res.Check.SeatsSold, res.Errors, res.Check.Detail)
	}
	if len(res.Reads) != 1 || res.Reads[0].Kind != "seatmap-availability/stale" || res.Reads[0].Latency.Count == 0 || res.ReadsPerS <= 0 {
		t.Fatalf("reads %+v, want only seatmap-availability/stale ones", res.Reads)
	}
	if got := fake.lastSeatMapView(); got != boxofficev1.SeatMapView_SEAT_MAP_VIEW_AVAILABILITY {
		t.Fatalf("the reads asked for view %v", got)
	}
}

func TestRunCatchesPlantedBugs(t *testing.T) {
	for _, tt := range []struct {
		bug  fakeBug
		want string
	}{
		{bugDoubleSell, "sold twice"},
		{bugLoseSell, "lost sales"},
		{bugLeakRelease, "still held"},
	} {
		res := runOnFake(t, smallConfig(), tt.bug)
		if res.Check.OK {
			t.Errorf("bug %d: the check passed: %s", tt.bug, res.Check.Detail)
		} else if !strings.Contains(res.Check.Detail, tt.want) {
			t.Errorf("bug %d: %q does not mention %q", tt.bug, res.Check.Detail, tt.want)
		}
	}
}

func TestRunRefusesAnExistingEvent(t *testing.T) {
	fake := newFakeInventory(bugNone)
	cfg := smallConfig()
	cfg.EventID = "taken"
	if _, err := Run(context.Background(), cfg, []Inventory{fake}, nil, false); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), cfg, []Inventory{fake}, nil, false); err == nil || !strings.Contains(err.Error(), "fresh event") {
		t.Errorf("a second run on event %q: err = %v, want a refusal", cfg.EventID, err)
	}
}

func TestRunSaysWhileTheClusterIsNotReady(t *testing.T) {
	defer func(every time.Duration) { createNoticeEvery = every }(createNoticeEvery)
	createNoticeEvery = 20 * time.Millisecond
	fake := newFakeInventory(bugNone)
	fake.unavailableCreates = 6 // ~0.3 s of backed-off retries
	var progress bytes.Buffer
	res, err := Run(context.Background(), smallConfig(), []Inventory{fake}, &progress, false)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Check.OK {
		t.Errorf("check after a late start: %s", res.Check.Detail)
	}
	notice := "bench: still creating event"
	if !strings.Contains(progress.String(), notice) || !strings.Contains(progress.String(), "no leader for the meta group") {
		t.Errorf("progress while CreateEvent kept failing:\n%s\nwant a line with %q and the last error", progress.String(), notice)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tt := range []struct {
		cfg  Config
		want string
	}{
		{Config{Clients: -1}, "Clients = -1"},
		{Config{Clients: ClientsMax + 1}, "Clients = 10001"},
		{Config{HoldSize: 5, SeatsPerRow: 4}, "HoldSize = 5 is more than SeatsPerRow = 4"},
		{Config{Sections: 1000, Rows: 1000, SeatsPerRow: 40}, "at most 1000000"},
		{Config{SellRatio: 1.5}, "SellRatio = 1.5"},
		{Config{ReadConsistency: "eventual"}, `ReadConsistency = "eventual"`},
		{Config{EventID: "Bad-Id"}, `EventID = "Bad-Id"`},
		{Config{SeatMapView: "compact"}, `SeatMapView = "compact"`},
		{Config{ReadOnly: true, HoldReads: 1}, "ReadOnly with SeatMapReads = 0 and HoldReads = 1"},
		{Config{SampleInterval: time.Millisecond}, "SampleInterval = 1ms"},
	} {
		err := tt.cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Validate(%+v) = %v, want %q", tt.cfg, err, tt.want)
		}
	}
	if err := (Config{}).Validate(); err != nil {
		t.Errorf("the zero Config (OSW-1 defaults): %v", err)
	}
}

func TestReport(t *testing.T) {
	res := runOnFake(t, smallConfig(), bugNone)
	soldOut := 1.25
	res.SoldOutS = &soldOut
	dir := t.TempDir()
	path := filepath.Join(dir, "run.json")
	if err := WriteJSON(path, res); err != nil {
		t.Fatal(err)
	}
	back, err := ReadJSON(path)
	if err != nil {
		t.Fatal(err)
	}
	if back.Holds != res.Holds || back.Check.Detail != res.Check.Detail || *back.SoldOutS != 1.25 || back.Config.Sections != 4 {
		t.Errorf("JSON round trip lost data: %+v", back)
	}
	if back.CPU == nil || len(back.CPU.Processes) != 1 || back.CPU.Processes[0].UsPerOp != res.CPU.Processes[0].UsPerOp {
		t.Errorf("JSON round trip lost the CPU: %+v", back.CPU)
	}
	back.CPU = nil // its table has a test of its own (TestRunMeasuresCPU)

	failed := *back
	failed.Label = "broken"
	failed.Check.OK = false
	failed.Check.Detail = "FAILED: 2 seats still held"
	failed.SoldOutS = nil
	var out bytes.Buffer
	if err := WriteTable(&out, []*Result{back, &failed}); err != nil {
		t.Fatal(err)
	}
	table := out.String()
	lines := strings.Split(strings.TrimSpace(table), "\n")
	if len(lines) != 4 {
		t.Fatalf("want a header, 2 rows and a problem line:\n%s", table)
	}
	for _, want := range []string{"holds/s", "p999 ms", "invariants", "C=8", "1.25", "200/200", " ok", "broken", "no(limit)", "FAILED", "broken: FAILED: 2 seats still held"} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}

	// Repeats of a run: their median and range, under the table.
	var repeats []*Result
	for k, holds := range []float64{9000, 12000, 10000} {
		r := *back
		r.Label = fmt.Sprintf("C=64 #%d", k+1)
		r.HoldsPerS = holds
		r.HoldLatency.P99Ms = holds / 1000
		repeats = append(repeats, &r)
	}
	out.Reset()
	if err := WriteTable(&out, append(repeats, back)); err != nil {
		t.Fatal(err)
	}
	table = out.String()
	for _, want := range []string{"median of", "C=64  3  10000  9000–12000  10.00  1.25"} {
		if !strings.Contains(strings.Join(strings.Fields(table), " "), strings.Join(strings.Fields(want), " ")) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
	if strings.Count(table, "median of") != 1 || strings.Contains(table, "C=8  1") {
		t.Errorf("a run without repeats got a median line:\n%s", table)
	}

	png := filepath.Join(dir, "run.png")
	if err := WritePlot(png, res); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(png)
	if err != nil || !bytes.HasPrefix(data, []byte("\x89PNG")) {
		t.Errorf("plot is not a PNG (%d bytes, %v)", len(data), err)
	}
}

// preparingInventory is a fakeInventory that is also a Preparer; it
// records the Prepare calls and the holds made before the first one.
type preparingInventory struct {
	*fakeInventory
	prepared     []string // event ids
	holdsBefore  int      // holds made before Prepare
	prepareError error
}

func (p *preparingInventory) Prepare(_ context.Context, eventID string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.prepared = append(p.prepared, eventID)
	p.holdsBefore += p.holdsMade
	return p.prepareError
}

// TestRunPreparesBeforeTheClock: a run asks every inventory that can
// prepare (the Go client) to get ready for its event before any hold, as
// the peers' harness opens its pools before its clock; a Prepare that
// fails fails the run before it starts.
func TestRunPreparesBeforeTheClock(t *testing.T) {
	cfg := smallConfig()
	cfg.EventID = "prepared_event"
	shared := newFakeInventory(bugNone)
	invs := []*preparingInventory{{fakeInventory: shared}, {fakeInventory: shared}}
	res, err := Run(context.Background(), cfg, []Inventory{invs[0], invs[1]}, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Check.OK {
		t.Fatal(res.Check.Detail)
	}
	for i, inv := range invs {
		if len(inv.prepared) != 1 || inv.prepared[0] != "prepared_event" {
			t.Errorf("inventory %d: Prepare calls %v, want one for prepared_event", i, inv.prepared)
		}
		if inv.holdsBefore != 0 {
			t.Errorf("inventory %d: %d holds were made before Prepare", i, inv.holdsBefore)
		}
	}

	cfg.EventID = "unpreparable"
	failing := &preparingInventory{fakeInventory: newFakeInventory(bugNone), prepareError: errors.New("no route")}
	if _, err := Run(context.Background(), cfg, []Inventory{failing}, nil, false); err == nil || !strings.Contains(err.Error(), "no route") {
		t.Fatalf("Run with a failing Prepare = %v, want its error", err)
	}
	if failing.holdsMade != 0 {
		t.Errorf("%d holds made although Prepare failed", failing.holdsMade)
	}
}
