package checkout

import (
	"context"
	"errors"
	"math"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
)

// pressure is the gateway's measure of the cluster's headroom, taken from
// its own store and inventory calls (the decorators below wrap
// Config.Store and Config.Inventory at construction, so every call the
// gateway makes is measured and nothing else is).
//
// Calls are summed in windows of pressureWindow, stretched up to
// pressureWindowMax until they hold pressureSamplesMin calls (so that a few
// slow calls, one after the other, are judged too; a window that still
// has fewer is dropped). A window is saturated when
//
//   - a quarter or more of its calls were refused as busy or unavailable
//     (gRPC RESOURCE_EXHAUSTED with reason BUSY, UNAVAILABLE,
//     DEADLINE_EXCEEDED, or ErrBusy), or
//   - its mean latency is over pressureLatencyFactor times the baseline
//     and over the baseline plus pressureLatencySlack.
//
// The baseline is the lowest window mean seen, which drifts up by 2% a
// window so that a store that has become slower for good becomes the new
// normal within a minute. A busy or unavailable answer trips saturation at
// once, without waiting for the window to close, once its window has
// pressureSamplesMin calls and the busy quarter.
//
// Saturation lasts pressureCooldown after the last window that showed it:
// meanwhile the gateway sheds new work (shed.go), so the calls that still
// run (orders and payments underway, the waiting room's loop, the
// reconciler) are the samples of the next verdict. When they are healthy
// for a cooldown, the gateway lets new work in again.
type pressure struct {
	now func() time.Time // real time: latency and windows are measured, not simulated

	mu             sync.Mutex
	windowStart    time.Time
	calls, busy    int
	latencySum     time.Duration
	baseline       time.Duration // 0 until the first full window
	lastMean       time.Duration
	lastBusyRatio  float64
	saturatedUntil time.Time
	inFlight       int
}

// Tuning of pressure (documented on the type).
const (
	pressureWindow        = 250 * time.Millisecond
	pressureWindowMax     = 2 * time.Second
	pressureSamplesMin    = 4
	pressureBusyRatio     = 0.25
	pressureLatencyFactor = 4.0
	pressureLatencySlack  = 200 * time.Millisecond
	pressureCooldown      = time.Second
	pressureBaselineDrift = 1.02
)

func newPressure() *pressure { return &pressure{now: time.Now} }

// begin marks a call's start; the returned func records its end.
func (p *pressure) begin() func(err error) {
	start := p.now()
	p.mu.Lock()
	p.inFlight++
	p.mu.Unlock()
	return func(err error) {
		end := p.now()
		busy := callBusy(err)
		if !busy && err != nil && errors.Is(err, context.Canceled) {
			// The caller went away: says nothing about the store.
			p.mu.Lock()
			p.inFlight--
			p.mu.Unlock()
			return
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		p.inFlight--
		p.roll(end)
		p.calls++
		p.latencySum += end.Sub(start)
		if busy {
			p.busy++
			if p.calls >= pressureSamplesMin && float64(p.busy) >= pressureBusyRatio*float64(p.calls) {
				p.saturatedUntil = end.Add(pressureCooldown)
			}
		}
	}
}

// roll closes the window if it has passed. Callers hold mu.
func (p *pressure) roll(now time.Time) {
	if p.windowStart.IsZero() {
		p.windowStart = now
		return
	}
	if age := now.Sub(p.windowStart); age < pressureWindow || (p.calls < pressureSamplesMin && age < pressureWindowMax) {
		return
	}
	if p.calls >= pressureSamplesMin {
		mean := p.latencySum / time.Duration(p.calls)
		ratio := float64(p.busy) / float64(p.calls)
		p.lastMean, p.lastBusyRatio = mean, ratio
		saturated := ratio >= pressureBusyRatio
		if p.baseline > 0 && mean > time.Duration(float64(p.baseline)*pressureLatencyFactor) && mean > p.baseline+pressureLatencySlack {
			saturated = true
		}
		if saturated {
			// Dated from the window's end, however late it is closed.
			if until := p.windowStart.Add(pressureWindow + pressureCooldown); until.After(p.saturatedUntil) {
				p.saturatedUntil = until
			}
		} else if p.baseline == 0 || mean < p.baseline {
			p.baseline = mean
		}
		if p.baseline > 0 {
			p.baseline = time.Duration(float64(p.baseline) * pressureBaselineDrift)
		}
	} else if p.calls == 0 {
		p.lastBusyRatio = 0
	}
	p.windowStart, p.calls, p.busy, p.latencySum = now, 0, 0, 0
}

// saturated reports whether the cluster is saturated now.
func (p *pressure) saturated() bool {
	now := p.now()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.roll(now)
	return now.Before(p.saturatedUntil)
}

// retryAfter is how long a shed caller should wait: the rest of the
// saturation, at least a second.
func (p *pressure) retryAfter() time.Duration {
	now := p.now()
	p.mu.Lock()
	defer p.mu.Unlock()
	return max(time.Second, p.saturatedUntil.Sub(now))
}

// pressureReading is what the metrics show.
type pressureReading struct {
	saturated     bool
	busyRatio     float64
	latencyRatio  float64 // last full window's mean over the baseline; 0 before one
	storeInFlight int
}

func (p *pressure) read() pressureReading {
	now := p.now()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.roll(now)
	r := pressureReading{saturated: now.Before(p.saturatedUntil), busyRatio: p.lastBusyRatio, storeInFlight: p.inFlight}
	if p.baseline > 0 && p.lastMean > 0 {
		r.latencyRatio = math.Round(float64(p.lastMean)/float64(p.baseline)*100) / 100
	}
	return r
}

// callBusy reports whether err says the cluster is out of headroom.
func callBusy(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrBusy) || errors.Is(err, ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	for e := err; e != nil; e = errors.Unwrap(e) {
		if st, ok := status.FromError(e); ok {
			switch st.Code() {
			case codes.Unavailable, codes.DeadlineExceeded:
				return true
			case codes.ResourceExhausted:
				return boxofficev1.ReasonOf(e) == boxofficev1.ReasonBusy
			}
			return false
		}
	}
	return false
}

// measuredStore is a Store whose calls feed a pressure.
type measuredStore struct {
	Store
	p *pressure
}

func (s measuredStore) Get(ctx context.Context, key string) (v []byte, version uint64, err error) {
	defer func(end func(error)) { end(err) }(s.p.begin())
	return s.Store.Get(ctx, key)
}

func (s measuredStore) CompareAndSwap(ctx context.Context, key string, expected uint64, value []byte) (version uint64, err error) {
	defer func(end func(error)) { end(err) }(s.p.begin())
	return s.Store.CompareAndSwap(ctx, key, expected, value)
}

func (s measuredStore) Delete(ctx context.Context, key string, expected uint64) (err error) {
	defer func(end func(error)) { end(err) }(s.p.begin())
	return s.Store.Delete(ctx, key, expected)
}

func (s measuredStore) Add(ctx context.Context, key string, delta, lo, hi int64) (n int64, err error) {
	defer func(end func(error)) { end(err) }(s.p.begin())
	return s.Store.Add(ctx, key, delta, lo, hi)
}

func (s measuredStore) Scan(ctx context.Context, prefix, after string, limit int) (kvs []KeyValue, err error) {
	defer func(end func(error)) { end(err) }(s.p.begin())
	return s.Store.Scan(ctx, prefix, after, limit)
}

func (s measuredStore) Batch(ctx context.Context, requestID string, ops []Op) (res []OpResult, err error) {
	defer func(end func(error)) { end(err) }(s.p.begin())
	return s.Store.Batch(ctx, requestID, ops)
}

// measuredInventory is an Inventory whose unary calls feed a pressure
// (Watch is a stream: its lifetime is not a latency).
type measuredInventory struct {
	Inventory
	p *pressure
}

// measuredPreparer keeps the wrapped client's Prepare visible
// (inventory.go's prepareEvent looks for it).
type measuredPreparer struct {
	measuredInventory
}

func (m measuredPreparer) Prepare(ctx context.Context, eventID string) error {
	return m.Inventory.(preparer).Prepare(ctx, eventID)
}

// measureInventory wraps inv, keeping its Prepare if it has one.
func measureInventory(inv Inventory, p *pressure) Inventory {
	m := measuredInventory{Inventory: inv, p: p}
	if _, ok := inv.(preparer); ok {
		return measuredPreparer{m}
	}
	return m
}

func measured[Req, Resp any](p *pressure, f func(context.Context, Req) (Resp, error), ctx context.Context, req Req) (Resp, error) {
	end := p.begin()
	resp, err := f(ctx, req)
	end(err)
	return resp, err
}

func (m measuredInventory) GetEvent(ctx context.Context, req *boxofficev1.GetEventRequest) (*boxofficev1.Event, error) {
	return measured(m.p, m.Inventory.GetEvent, ctx, req)
}

func (m measuredInventory) ListEvents(ctx context.Context, req *boxofficev1.ListEventsRequest) (*boxofficev1.ListEventsResponse, error) {
	return measured(m.p, m.Inventory.ListEvents, ctx, req)
}

func (m measuredInventory) GetSeatMap(ctx context.Context, req *boxofficev1.GetSeatMapRequest) (*boxofficev1.SeatMap, error) {
	return measured(m.p, m.Inventory.GetSeatMap, ctx, req)
}

func (m measuredInventory) GetHold(ctx context.Context, req *boxofficev1.GetHoldRequest) (*boxofficev1.HoldResponse, error) {
	return measured(m.p, m.Inventory.GetHold, ctx, req)
}

func (m measuredInventory) Hold(ctx context.Context, req *boxofficev1.HoldRequest) (*boxofficev1.HoldResponse, error) {
	return measured(m.p, m.Inventory.Hold, ctx, req)
}

func (m measuredInventory) ExtendHold(ctx context.Context, req *boxofficev1.ExtendHoldRequest) (*boxofficev1.HoldResponse, error) {
	return measured(m.p, m.Inventory.ExtendHold, ctx, req)
}

func (m measuredInventory) Release(ctx context.Context, req *boxofficev1.ReleaseRequest) (*boxofficev1.ReleaseResponse, error) {
	return measured(m.p, m.Inventory.Release, ctx, req)
}

func (m measuredInventory) Sell(ctx context.Context, req *boxofficev1.SellRequest) (*boxofficev1.SellResponse, error) {
	return measured(m.p, m.Inventory.Sell, ctx, req)
}

func (m measuredInventory) Refund(ctx context.Context, req *boxofficev1.RefundRequest) (*boxofficev1.RefundResponse, error) {
	return measured(m.p, m.Inventory.Refund, ctx, req)
}

func (m measuredInventory) DeleteEvent(ctx context.Context, req *boxofficev1.DeleteEventRequest) (*boxofficev1.DeleteEventResponse, error) {
	return measured(m.p, m.Inventory.DeleteEvent, ctx, req)
}
