package client

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/cluster/client/clienttest"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// echoReads answers every read with a seat map naming the read's first
// section, out of order whenever reads arrive together: a read is held
// back while the next one is already there. A read of section "missing"
// gets a NOT_FOUND ReadError; the first read of section "break" ends the
// stream with UNAVAILABLE instead of an answer.
func echoReads(streams *atomic.Int32, broke *atomic.Bool) clienttest.ReadSeatMapsHandler {
	return func(ctx context.Context, node *clienttest.Node, stream boxofficev1.Inventory_ReadSeatMapsServer) error {
		streams.Add(1)
		incoming := make(chan *boxofficev1.ReadSeatMapsRequest)
		failed := make(chan error, 1)
		go func() {
			for {
				req, err := stream.Recv()
				if err != nil {
					failed <- err
					return
				}
				incoming <- req
			}
		}()
		answer := func(req *boxofficev1.ReadSeatMapsRequest) error {
			section := req.GetRead().GetSectionIds()[0]
			resp := &boxofficev1.ReadSeatMapsResponse{Tag: req.Tag}
			switch section {
			case "missing":
				resp.Result = &boxofficev1.ReadSeatMapsResponse_Error{Error: &boxofficev1.StreamError{
					Code: int32(codes.NotFound), Message: "no section missing", Reason: boxofficev1.ReasonNotFound}}
			default:
				resp.Result = &boxofficev1.ReadSeatMapsResponse_SeatMap{SeatMap: &boxofficev1.SeatMap{EventId: req.GetRead().GetEventId(),
					Sections: []*boxofficev1.SectionState{{Id: section}}}}
			}
			return stream.Send(resp)
		}
		var held *boxofficev1.ReadSeatMapsRequest
		for {
			var req *boxofficev1.ReadSeatMapsRequest
			if held != nil {
				select {
				case req = <-incoming:
				default:
					if err := answer(held); err != nil {
						return err
					}
					held = nil
					continue
				}
			} else {
				select {
				case req = <-incoming:
				case <-failed:
					return nil
				}
			}
			if req.GetRead().GetSectionIds()[0] == "break" && broke.CompareAndSwap(false, true) {
				return status.Error(codes.Unavailable, "stream broken on purpose")
			}
			if held == nil {
				held = req
				continue
			}
			if err := answer(req); err != nil { // the later read first
				return err
			}
		}
	}
}

// TestReadSeatMapMultiplexes: concurrent callers share one stream per
// node, each gets the answer to its own read although answers come back
// out of order, a failed read fails alone with the status it carries, and
// a broken stream is replaced by the retry of the read that was on it.
func TestReadSeatMapMultiplexes(t *testing.T) {
	fake := clienttest.NewCluster(t, 1)
	var streams atomic.Int32
	var broke atomic.Bool
	fake.HandleReadSeatMaps(echoReads(&streams, &broke))
	c := dial(t, fake.Addrs())
	ctx := context.Background()

	var wg sync.WaitGroup
	for caller := range 64 {
		wg.Go(func() {
			for k := range 50 {
				section := fmt.Sprintf("c%d-%d", caller, k)
				m, err := c.ReadSeatMap(ctx, &boxofficev1.GetSeatMapRequest{EventId: "ev", SectionIds: []string{section},
					Consistency: boxofficev1.ReadConsistency_READ_CONSISTENCY_STALE})
				if err != nil {
					t.Errorf("caller %d read %d: %v", caller, k, err)
					return
				}
				if got := m.GetSections()[0].GetId(); got != section {
					t.Errorf("caller %d asked for %s and got the answer for %s", caller, section, got)
					return
				}
			}
		})
	}
	wg.Wait()
	if n := streams.Load(); n != 1 {
		t.Fatalf("64 callers opened %d streams to one node, want 1", n)
	}

	_, err := c.ReadSeatMap(ctx, &boxofficev1.GetSeatMapRequest{EventId: "ev", SectionIds: []string{"missing"}})
	st, reason := status.Convert(err), boxofficev1.ReasonOf(err)
	if st.Code() != codes.NotFound || st.Message() != "no section missing" || reason != boxofficev1.ReasonNotFound {
		t.Fatalf("a failed read returned %v (reason %q), want the NOT_FOUND it carried", err, reason)
	}
	if n := streams.Load(); n != 1 {
		t.Fatalf("a failed read ended the stream (%d streams)", n)
	}

	m, err := c.ReadSeatMap(ctx, &boxofficev1.GetSeatMapRequest{EventId: "ev", SectionIds: []string{"break"}})
	if err != nil || m.GetSections()[0].GetId() != "break" {
		t.Fatalf("a read on a stream that broke: %v, %v; want it retried on a new stream", m, err)
	}
	if n := streams.Load(); n != 2 {
		t.Fatalf("%d streams after one broke, want 2", n)
	}
}

// TestReadSeatMapAfterClose: a closed Client refuses reads.
func TestReadSeatMapAfterClose(t *testing.T) {
	fake := clienttest.NewCluster(t, 1)
	var streams atomic.Int32
	var broke atomic.Bool
	fake.HandleReadSeatMaps(echoReads(&streams, &broke))
	c := dial(t, fake.Addrs())
	if _, err := c.ReadSeatMap(context.Background(), &boxofficev1.GetSeatMapRequest{EventId: "ev", SectionIds: []string{"a"}}); err != nil {
		t.Fatal(err)
	}
	c.Close()
	if _, err := c.ReadSeatMap(context.Background(), &boxofficev1.GetSeatMapRequest{EventId: "ev", SectionIds: []string{"a"}}); err == nil {
		t.Fatal("a closed client read a seat map")
	}
}
