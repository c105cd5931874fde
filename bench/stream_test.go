package bench

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
)

// streamingFake is a fakeInventory that also reads over a "stream", and
// counts the reads it got each way.
type streamingFake struct {
	*fakeInventory
	unaryReads, streamReads atomic.Int64
}

func (f *streamingFake) GetSeatMap(ctx context.Context, req *boxofficev1.GetSeatMapRequest) (*boxofficev1.SeatMap, error) {
	f.unaryReads.Add(1)
	return f.fakeInventory.GetSeatMap(ctx, req)
}

func (f *streamingFake) ReadSeatMap(ctx context.Context, req *boxofficev1.GetSeatMapRequest) (*boxofficev1.SeatMap, error) {
	f.streamReads.Add(1)
	return f.fakeInventory.GetSeatMap(ctx, req)
}

// TestRunReadStream: with ReadStream every read of a read-only run goes
// over the stream, and the report names them as stream reads.
func TestRunReadStream(t *testing.T) {
	cfg := smallConfig()
	cfg.ReadOnly, cfg.ReadStream, cfg.SeatMapView, cfg.DurationLimit = true, true, SeatMapViewAvailability, 200*time.Millisecond
	cfg.ReadConsistency = ConsistencyLinearizable
	fake := &streamingFake{fakeInventory: newFakeInventory(bugNone)}
	res, err := Run(context.Background(), cfg, []Inventory{fake}, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Check.OK || res.Holds != 0 || res.Errors != 0 {
		t.Fatalf("a read-stream run held %d, saw %d errors (%s)", res.Holds, res.Errors, res.Check.Detail)
	}
	if len(res.Reads) != 1 || res.Reads[0].Kind != "seatmap-availability-stream/linearizable" || res.Reads[0].Latency.Count == 0 {
		t.Fatalf("reads %+v, want only seatmap-availability-stream/linearizable ones", res.Reads)
	}
	if got, streamed := res.Reads[0].Latency.Count, fake.streamReads.Load(); int64(got) != streamed {
		t.Fatalf("%d reads reported, %d sent over the stream", got, streamed)
	}
	// The final check reads the map once, unary, as every run does.
	if n := fake.unaryReads.Load(); n > 1 {
		t.Fatalf("%d unary seat-map reads in a read-stream run", n)
	}
}

func TestRunReadStreamNeedsAStreamReader(t *testing.T) {
	cfg := smallConfig()
	cfg.ReadOnly, cfg.ReadStream = true, true
	_, err := Run(context.Background(), cfg, []Inventory{newFakeInventory(bugNone)}, nil, false)
	if err == nil || !strings.Contains(err.Error(), "cannot read over a stream") {
		t.Fatalf("Run over an Inventory without ReadSeatMap: %v", err)
	}
	cfg.ReadOnly = false
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "ReadStream without ReadOnly") {
		t.Fatalf("Validate of ReadStream without ReadOnly: %v", err)
	}
}
