package checkout

import (
	"context"
	"errors"
	"testing"
	"time"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// fakeWatchInventory serves one event of one shard: GetSeatMap answers
// the shard's position, and each Watch is fed from the test's channel.
type fakeWatchInventory struct {
	Inventory
	position uint64
	feed     chan *boxofficev1.WatchResponse
	requests chan *boxofficev1.WatchRequest
}

func (f *fakeWatchInventory) GetSeatMap(ctx context.Context, req *boxofficev1.GetSeatMapRequest) (*boxofficev1.SeatMap, error) {
	return &boxofficev1.SeatMap{Positions: []*boxofficev1.ShardPosition{{Shard: 0, Sequence: f.position}}}, nil
}

func (f *fakeWatchInventory) Watch(ctx context.Context, req *boxofficev1.WatchRequest) (boxofficev1.Inventory_WatchClient, error) {
	f.requests <- req
	return &fakeWatchStream{ctx: ctx, feed: f.feed}, nil
}

type fakeWatchStream struct {
	grpc.ClientStream
	ctx  context.Context
	feed chan *boxofficev1.WatchResponse
}

func (s *fakeWatchStream) Recv() (*boxofficev1.WatchResponse, error) {
	select {
	case resp := <-s.feed:
		if resp == nil {
			return nil, status.Error(codes.Unavailable, "node restarting")
		}
		return resp, nil
	case <-s.ctx.Done():
		return nil, status.FromContextError(s.ctx.Err()).Err()
	}
}

func change(seq uint64) *boxofficev1.WatchResponse {
	return &boxofficev1.WatchResponse{Changes: []*boxofficev1.SeatChange{{Shard: 0, Sequence: seq, SeatId: "A-A-1"}}}
}

// TestWatchHubCutsOffSlowSubscriber: a subscriber that stops reading is
// cut off (reason slow) once its buffer is full, while the hub goes on
// feeding a subscriber that reads, without ever waiting for the slow one.
// A client resuming from the slow one's position is served from the
// replay ring; one resuming from before the ring is told to reset.
func TestWatchHubCutsOffSlowSubscriber(t *testing.T) {
	inv := &fakeWatchInventory{position: 10, feed: make(chan *boxofficev1.WatchResponse), requests: make(chan *boxofficev1.WatchRequest, 10)}
	cfg := Config{Inventory: inv, StreamBufferBatches: 4, WatchLinger: time.Hour}.withDefaults()
	hub := newWatchHub(cfg, newMetrics(prometheus.NewRegistry()))
	ctx := context.Background()
	slow, err := hub.subscribe(ctx, "ev", nil)
	if err != nil {
		t.Fatal(err)
	}
	fast, err := hub.subscribe(ctx, "ev", nil)
	if err != nil {
		t.Fatal(err)
	}
	if req := <-inv.requests; req.GetAfter()[0].GetSequence() != 10 || len(inv.requests) != 0 {
		t.Fatalf("one Watch from the seat map's position wanted; got %v", req)
	}
	received := make(chan uint64, 100)
	go func() {
		for batch := range fast.changes {
			for _, ch := range batch {
				received <- ch.GetSequence()
			}
		}
	}()
	// Each change is fed once the fast subscriber has the one before, so
	// only the slow one can fall behind.
	const batches = 20
	for seq := uint64(11); seq <= 10+batches; seq++ {
		select {
		case inv.feed <- change(seq):
		case <-time.After(5 * time.Second):
			t.Fatalf("the hub stopped taking changes at %d: a slow subscriber blocked it", seq)
		}
		select {
		case got := <-received:
			if got != seq {
				t.Fatalf("fast subscriber got %d, want %d", got, seq)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("fast subscriber never got %d", seq)
		}
	}
	select {
	case <-slow.ended:
		if slow.reason != endSlow || len(slow.changes) != cfg.StreamBufferBatches {
			t.Fatalf("slow subscriber ended %q with %d batches buffered", slow.reason, len(slow.changes))
		}
	default:
		t.Fatal("the slow subscriber was not cut off")
	}

	// The slow one reconnects from what it had sent (nothing past 10):
	// the ring replays 11..30.
	again, err := hub.subscribe(ctx, "ev", []*boxofficev1.ShardPosition{{Shard: 0, Sequence: 10}})
	if err != nil {
		t.Fatal(err)
	}
	if replay := <-again.changes; len(replay) != batches || replay[0].GetSequence() != 11 {
		t.Fatalf("replay of %d changes from %d", len(replay), replay[0].GetSequence())
	}
	if _, err := hub.subscribe(ctx, "ev", []*boxofficev1.ShardPosition{{Shard: 0, Sequence: 9}}); !errors.Is(err, errCursorTooOld) {
		t.Fatalf("a cursor before the ring: %v, want errCursorTooOld", err)
	}

	// A broken Watch is opened again from the last position.
	inv.feed <- nil
	select {
	case req := <-inv.requests:
		if req.GetAfter()[0].GetSequence() != 10+batches {
			t.Fatalf("watched again from %v, want %d", req.GetAfter(), 10+batches)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the hub did not watch again after the break")
	}
}

// TestWatchHubStartsNoLaterThanTheSeatMap: the first subscriber's cursor
// may start the shared Watch earlier than the seat map, by at most the
// replay ring, and never later: a cursor from the future cannot hide
// changes from the others, and an ancient one gets a reset, not a replay
// of the cluster's log.
func TestWatchHubStartsNoLaterThanTheSeatMap(t *testing.T) {
	for _, tc := range []struct {
		name       string
		seatMap    uint64
		cursor     uint64
		wantWatch  uint64
		wantResets bool
	}{
		{"resuming", 10, 7, 7, false},
		{"from the future", 10, 1 << 40, 10, false},
		{"ancient", 5000, 1, 5000, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inv := &fakeWatchInventory{position: tc.seatMap, feed: make(chan *boxofficev1.WatchResponse), requests: make(chan *boxofficev1.WatchRequest, 10)}
			hub := newWatchHub(Config{Inventory: inv, WatchLinger: time.Hour}.withDefaults(), newMetrics(prometheus.NewRegistry()))
			_, err := hub.subscribe(context.Background(), "ev", []*boxofficev1.ShardPosition{{Shard: 0, Sequence: tc.cursor}})
			if got := (<-inv.requests).GetAfter()[0].GetSequence(); got != tc.wantWatch {
				t.Fatalf("watched from %d, want %d", got, tc.wantWatch)
			}
			if errors.Is(err, errCursorTooOld) != tc.wantResets {
				t.Fatalf("subscribe: %v", err)
			}
		})
	}
}
