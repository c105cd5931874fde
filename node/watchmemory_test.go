package node

import (
	"context"
	"runtime"
	"testing"
	"time"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/fsm/fsmpb"
)

// BenchmarkIdleWatchMemory reports the heap one idle Watch stream costs
// (heap-B/stream): a one-node cluster in this process, idleWatchStreams
// Watch streams of one event on one connection, nothing changing. Client
// and node share the process, so the figure includes the client's side of
// each stream (a few KB). Run:
//
//	go test -run '^$' -bench IdleWatchMemory -benchtime 1x ./node/
func BenchmarkIdleWatchMemory(b *testing.B) {
	const idleWatchStreams = 500
	tc := NewTestCluster(b, 1)
	tc.createOnSaleEvent("idle", 1, 1, 4)
	heapBytes := func() uint64 {
		runtime.GC()
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	for b.Loop() {
		before := heapBytes()
		ctx, cancel := context.WithCancel(context.Background())
		for range idleWatchStreams {
			_, err := tc.Inventory(0).Watch(ctx, &boxofficev1.WatchRequest{EventId: "idle"})
			if err != nil {
				b.Fatal(err)
			}
		}
		WaitFor(b, 10*time.Second, "every watch subscribed", func() bool {
			return tc.hosts[0].hub.count() == idleWatchStreams
		})
		after := heapBytes()
		b.ReportMetric(float64(after-before)/idleWatchStreams, "heap-B/stream")
		cancel()
		WaitFor(b, 10*time.Second, "every watch ended", func() bool { return tc.hosts[0].hub.count() == 0 })
	}
}

// TestWatcherQueueIsLazyAndBounded: an idle watcher holds no queue; one
// that does not take its changes is cut off at watcherQueueMax, and the
// queue it holds never exceeds that.
func TestWatcherQueueIsLazyAndBounded(t *testing.T) {
	hub := newWatchHub()
	sub := hub.subscribe("ev")
	defer hub.unsubscribe(sub)
	if sub.queue != nil {
		t.Fatalf("idle watcher holds a queue of capacity %d", cap(sub.queue))
	}
	change := func(seq uint64) []*fsmpb.Result {
		return []*fsmpb.Result{{Changes: []*fsmpb.SeatChange{{EventId: "ev", Sequence: seq}}}}
	}
	hub.publish(change(1))
	<-sub.ready
	if got := sub.take(); len(got) != 1 || sub.queue != nil {
		t.Fatalf("take: %d changes, queue left %v", len(got), sub.queue)
	}
	for seq := range uint64(watcherQueueMax + 10) {
		hub.publish(change(seq + 2))
	}
	select {
	case <-sub.lost:
	default:
		t.Fatal("a watcher that fell watcherQueueMax changes behind was not cut off")
	}
	if n := len(sub.take()); n != watcherQueueMax {
		t.Fatalf("queued %d changes, want the bound %d", n, watcherQueueMax)
	}
}
