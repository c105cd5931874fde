package checkout

import (
	"context"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
)

// fakeCalls drives a pressure with a clock the test moves.
type fakeCalls struct {
	p   *pressure
	now time.Time
}

func newFakeCalls() *fakeCalls {
	f := &fakeCalls{now: time.Unix(1_800_000_000, 0)}
	f.p = newPressure()
	f.p.now = func() time.Time { return f.now }
	return f
}

// window records n concurrent calls of latency d answering err, then
// moves on a window.
func (f *fakeCalls) window(n int, d time.Duration, err error) {
	var ends []func(error)
	for range n {
		ends = append(ends, f.p.begin())
	}
	f.now = f.now.Add(d)
	for _, end := range ends {
		end(err)
	}
	f.now = f.now.Add(pressureWindow)
}

func TestPressureBusyAnswersSaturate(t *testing.T) {
	f := newFakeCalls()
	f.window(20, time.Millisecond, nil)
	if f.p.saturated() {
		t.Fatal("saturated by healthy calls")
	}
	// Business refusals are not pressure: not enough seats is
	// RESOURCE_EXHAUSTED without the BUSY reason.
	f.window(20, time.Millisecond, status.Error(codes.ResourceExhausted, "not enough seats"))
	if f.p.saturated() {
		t.Fatal("saturated by business refusals")
	}
	f.window(20, time.Millisecond, context.Canceled)
	if f.p.saturated() {
		t.Fatal("saturated by callers that went away")
	}
	for _, err := range []error{
		status.Error(codes.Unavailable, "down"),
		busyStatus(),
		ErrBusy,
	} {
		g := newFakeCalls()
		g.window(20, time.Millisecond, nil)
		for range 4 {
			end := g.p.begin()
			end(err)
		}
		if !g.p.saturated() {
			t.Fatalf("not saturated by %v", err)
		}
		if r := g.p.read(); !r.saturated {
			t.Fatalf("reading: %+v", r)
		}
		// Healthy for a cooldown: saturation ends.
		g.now = g.now.Add(pressureCooldown)
		g.window(10, time.Millisecond, nil)
		if g.p.saturated() {
			t.Fatalf("still saturated a cooldown after %v", err)
		}
	}
}

func TestPressureSlowCallsSaturate(t *testing.T) {
	f := newFakeCalls()
	for range 4 {
		f.window(10, 2*time.Millisecond, nil)
	}
	if f.p.saturated() {
		t.Fatal("saturated at the baseline")
	}
	f.window(10, 150*time.Millisecond, nil) // 75x, but within the slack
	if f.p.saturated() {
		t.Fatal("saturated by a slowdown within pressureLatencySlack")
	}
	f.window(10, 400*time.Millisecond, nil)
	f.window(0, 0, nil)
	if !f.p.saturated() {
		t.Fatalf("not saturated by calls 200 times slower: %+v", f.p.read())
	}
	if r := f.p.read(); r.latencyRatio < pressureLatencyFactor {
		t.Fatalf("latency ratio %v", r.latencyRatio)
	}
}

// busyStatus is a node's RESOURCE_EXHAUSTED with reason BUSY.
func busyStatus() error {
	st, err := status.New(codes.ResourceExhausted, "queue full").WithDetails(&errdetails.ErrorInfo{Reason: boxofficev1.ReasonBusy})
	if err != nil {
		panic(err)
	}
	return st.Err()
}
