package bench

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// operation is a kind of call whose latency is recorded.
type operation int

const (
	opHold operation = iota
	opSell
	opRelease
	opReadSeatMap // GetSeatMap of one section, per seat
	opReadHold    // GetHold
	operations
)

var operationNames = [operations]string{"hold", "sell", "release", "seatmap", "gethold"}

// Latencies are recorded in microseconds from 1 µs to latencyMax, with 3
// significant digits (a 139 KB histogram) in the totals and 2 (20 KB) in
// the per-second hold histograms, which only feed the progress line and
// the plot.
const (
	latencyMax     = time.Minute
	stripes        = 8
	digitsTotal    = 3
	digitsInterval = 2
)

// recorder collects what the clients do. Counters are atomics; latencies go
// to one of a few striped histograms (client i to stripe i % stripes), each
// behind its own mutex, so that clients rarely contend and the sampler can
// take a consistent per-second view. One histogram per client was rejected:
// 256 clients x 5 operations x 139 KB is 180 MB.
type recorder struct {
	stripes [stripes]stripe

	completed   [operations]atomic.Int64
	conflicts   atomic.Int64 // explicit holds refused because a seat was taken
	emptyProbes atomic.Int64 // holds refused: no adjacent seats left in the section
	abandoned   atomic.Int64 // holds given up at the time limit during conflict retries
	staleMisses atomic.Int64 // STALE GetHold that did not find a just-made hold
	errors      atomic.Int64
	seatsSold   atomic.Int64

	firstErrorOnce sync.Once
	firstError     string
}

type stripe struct {
	mu       sync.Mutex
	total    [operations]*hdrhistogram.Histogram
	interval *hdrhistogram.Histogram // holds only
	_        [64]byte                // keep stripes on separate cache lines
}

func newRecorder() *recorder {
	r := &recorder{}
	for i := range r.stripes {
		s := &r.stripes[i]
		for op := range operations {
			s.total[op] = newHistogram(digitsTotal)
		}
		s.interval = newHistogram(digitsInterval)
	}
	return r
}

func newHistogram(digits int) *hdrhistogram.Histogram {
	return hdrhistogram.New(1, latencyMax.Microseconds(), digits)
}

// record counts one completed operation of client and its latency.
func (r *recorder) record(client int, op operation, latency time.Duration) {
	us := min(max(latency.Microseconds(), 1), latencyMax.Microseconds())
	s := &r.stripes[client%stripes]
	s.mu.Lock()
	_ = s.total[op].RecordValue(us) // in range by construction
	if op == opHold {
		_ = s.interval.RecordValue(us)
	}
	s.mu.Unlock()
	r.completed[op].Add(1)
}

func (r *recorder) fail(err error) {
	r.errors.Add(1)
	r.firstErrorOnce.Do(func() { r.firstError = err.Error() })
}

// holdInterval merges the hold latencies since the last call into into,
// and starts a new interval.
func (r *recorder) holdInterval(into *hdrhistogram.Histogram) {
	into.Reset()
	for i := range r.stripes {
		s := &r.stripes[i]
		s.mu.Lock()
		into.Merge(s.interval)
		s.interval.Reset()
		s.mu.Unlock()
	}
}

// total merges the totals of op.
func (r *recorder) total(op operation) *hdrhistogram.Histogram {
	h := newHistogram(digitsTotal)
	for i := range r.stripes {
		s := &r.stripes[i]
		s.mu.Lock()
		h.Merge(s.total[op])
		s.mu.Unlock()
	}
	return h
}

// Latency summarizes a latency histogram, in milliseconds.
type Latency struct {
	Count  int64   `json:"count"`
	MeanMs float64 `json:"mean_ms"`
	P50Ms  float64 `json:"p50_ms"`
	P99Ms  float64 `json:"p99_ms"`
	P999Ms float64 `json:"p999_ms"`
	MaxMs  float64 `json:"max_ms"`
}

func summarize(h *hdrhistogram.Histogram) Latency {
	if h.TotalCount() == 0 {
		return Latency{}
	}
	ms := func(us int64) float64 { return float64(us) / 1000 }
	return Latency{
		Count:  h.TotalCount(),
		MeanMs: h.Mean() / 1000,
		P50Ms:  ms(h.ValueAtQuantile(50)),
		P99Ms:  ms(h.ValueAtQuantile(99)),
		P999Ms: ms(h.ValueAtQuantile(99.9)),
		MaxMs:  ms(h.Max()),
	}
}

// Sample is one second of a run, for the progress line and the plot.
type Sample struct {
	ElapsedS  float64 `json:"elapsed_s"`
	HoldsPerS float64 `json:"holds_per_s"`
	SellsPerS float64 `json:"sells_per_s"`
	ReadsPerS float64 `json:"reads_per_s"`
	HoldP50Ms float64 `json:"hold_p50_ms"`
	HoldP99Ms float64 `json:"hold_p99_ms"`
	SeatsSold int64   `json:"seats_sold"`
}

// sampler turns the recorder's counters into per-second samples.
type sampler struct {
	r        *recorder
	start    time.Time
	last     time.Time
	lastDone [operations]int64
	scratch  *hdrhistogram.Histogram
}

func newSampler(r *recorder, start time.Time) *sampler {
	return &sampler{r: r, start: start, last: start, scratch: newHistogram(digitsInterval)}
}

func (s *sampler) sample(now time.Time) Sample {
	seconds := now.Sub(s.last).Seconds()
	if seconds <= 0 {
		seconds = 1e-9
	}
	var done [operations]int64
	for op := range operations {
		done[op] = s.r.completed[op].Load()
	}
	rate := func(op operation) float64 { return float64(done[op]-s.lastDone[op]) / seconds }
	s.r.holdInterval(s.scratch)
	out := Sample{
		ElapsedS:  now.Sub(s.start).Seconds(),
		HoldsPerS: rate(opHold),
		SellsPerS: rate(opSell),
		ReadsPerS: rate(opReadSeatMap) + rate(opReadHold),
		HoldP50Ms: float64(s.scratch.ValueAtQuantile(50)) / 1000,
		HoldP99Ms: float64(s.scratch.ValueAtQuantile(99)) / 1000,
		SeatsSold: s.r.seatsSold.Load(),
	}
	s.lastDone = done
	s.last = now
	return out
}
