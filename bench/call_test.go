package bench

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestCallBoundsOperations: an operation is retried after UNAVAILABLE and
// bounded by OperationTimeout. With an inventory that bounds calls itself
// (CallBounder) the first attempt gets no deadline of the worker's (no
// timer per operation) and the retries one for what is left; without,
// every attempt has one.
func TestCallBoundsOperations(t *testing.T) {
	unavailable := status.Error(codes.Unavailable, "no leader")
	for _, tc := range []struct {
		name      string
		bound     time.Duration
		firstHasD bool
	}{
		{"inventory bounds calls", time.Second, false},
		{"inventory does not", 0, true},
		{"inventory's bound longer than the operation's", time.Minute, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := &worker{cfg: &Config{OperationTimeout: 2 * time.Second}, callBound: tc.bound}
			start := time.Now()
			var deadlines []bool
			err := w.call(context.Background(), func(ctx context.Context) error {
				d, ok := ctx.Deadline()
				if ok && d.After(start.Add(2*time.Second+time.Second)) {
					t.Errorf("an attempt's deadline %v is past the operation's", d.Sub(start))
				}
				deadlines = append(deadlines, ok)
				if len(deadlines) < 3 {
					return unavailable
				}
				return nil
			})
			if err != nil || len(deadlines) != 3 {
				t.Fatalf("call = %v after %d attempts, want success on the third", err, len(deadlines))
			}
			if deadlines[0] != tc.firstHasD || !deadlines[1] || !deadlines[2] {
				t.Errorf("attempts had deadlines %v, want [%v true true]", deadlines, tc.firstHasD)
			}
		})
	}

	// A node that stays unavailable: the operation ends at OperationTimeout.
	w := &worker{cfg: &Config{OperationTimeout: 300 * time.Millisecond}, callBound: time.Second}
	start := time.Now()
	err := w.call(context.Background(), func(context.Context) error { return unavailable })
	if elapsed := time.Since(start); status.Code(err) != codes.Unavailable || elapsed < 250*time.Millisecond || elapsed > 2*time.Second {
		t.Fatalf("call = %v after %v, want UNAVAILABLE at about 300ms", err, elapsed)
	}
}

// BenchmarkWorkerCall is what an operation costs the load generator beyond
// the call itself: with an inventory that bounds calls (the Go client) and
// without (a context with a deadline per operation). 64 workers at once,
// each with its own context, as in a run.
func BenchmarkWorkerCall(b *testing.B) {
	for _, bench := range []struct {
		name  string
		bound time.Duration
	}{{"bounded-by-client", time.Second}, {"context-per-operation", 0}} {
		b.Run(bench.name, func(b *testing.B) {
			b.SetParallelism(32)
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				w := &worker{cfg: &Config{OperationTimeout: 30 * time.Second}, callBound: bench.bound}
				for pb.Next() {
					_ = w.call(ctx, func(context.Context) error { return nil })
				}
			})
		})
	}
}
