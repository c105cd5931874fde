package client

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkCommandStream measures what one command costs the client on the
// Commands stream: 64 callers, each call under its own deadline as a load
// generator or a mobile API server sets it, against a fake node (real gRPC
// over loopback, in this process) that answers at once, in batches. The
// fake node's own work is in the figure too; compare runs with benchstat.
func BenchmarkCommandStream(b *testing.B) {
	fake, f := newFakeCommands(b, 1)
	f.batches = true
	c := dial(b, fake.Addrs())
	if _, err := c.Hold(context.Background(), hold("fan", "warm-up")); err != nil {
		b.Fatal(err)
	}
	var next atomic.Int64
	b.SetParallelism(32) // 64 callers on 2 cores
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := fmt.Sprintf("b%d", next.Add(1))
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			_, err := c.Hold(ctx, hold("fan", id))
			cancel()
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
}
