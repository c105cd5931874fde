package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/cluster/client"
)

func gaugeValue(t *testing.T, g prometheus.Gauge) float64 {
	t.Helper()
	var m dto.Metric
	if err := g.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetGauge().GetValue()
}

// streamReads is a mix of every view and consistency over every section
// and the whole event.
func streamReads(eventID string, sections int) []*boxofficev1.GetSeatMapRequest {
	var reads []*boxofficev1.GetSeatMapRequest
	for _, consistency := range []boxofficev1.ReadConsistency{stale, linearizable} {
		for _, view := range []boxofficev1.SeatMapView{viewCompact, viewFull, viewSummary} {
			reads = append(reads, &boxofficev1.GetSeatMapRequest{EventId: eventID, Consistency: consistency, View: view})
			for s := range sections {
				reads = append(reads, &boxofficev1.GetSeatMapRequest{EventId: eventID, Consistency: consistency, View: view,
					SectionIds: []string{fmt.Sprintf("S%d", s)}})
			}
		}
	}
	return reads
}

// TestReadSeatMaps: a stream's reads answer what GetSeatMap answers, read
// by read, including each bad read's status, while the stream goes on;
// the stream ends on close and on cancel, holds no more than its bound of
// reads for a client that does not read, and the Go client's ReadSeatMap
// shares one stream per node between concurrent callers.
func TestReadSeatMaps(t *testing.T) {
	skipIfShort(t)
	tc := NewTestCluster(t, 3)
	const sections = 4
	tc.createOnSaleEvent("streamed", sections, 5, 10)
	ctx := ctxT(t, 120*time.Second)
	for i := range 8 { // some held and sold seats, in every shard
		h, err := tc.Inventory(i%3).Hold(ctx, &boxofficev1.HoldRequest{RequestId: fmt.Sprintf("h%d", i), EventId: "streamed", Holder: "x",
			Selection: &boxofficev1.HoldRequest_Best{Best: &boxofficev1.BestAvailable{Quantity: 2, SectionId: fmt.Sprintf("S%d", i%sections)}}})
		if err != nil {
			t.Fatalf("Hold: %v", err)
		}
		if i%2 == 0 {
			if _, err := tc.Inventory(0).Sell(ctx, &boxofficev1.SellRequest{RequestId: fmt.Sprintf("s%d", i), EventId: "streamed", HoldId: h.HoldId,
				Holder: "x", OrderId: fmt.Sprintf("o%d", i), Buyer: "x"}); err != nil {
				t.Fatalf("Sell: %v", err)
			}
		}
	}
	tc.replicasEqual() // nothing changes from here on: stale reads equal linearizable ones
	reads := streamReads("streamed", sections)

	t.Run("ManyConcurrentReadsMatchUnary", func(t *testing.T) {
		for node := range 3 {
			want := make([]*boxofficev1.SeatMap, len(reads))
			for i, r := range reads {
				m, err := tc.Inventory(node).GetSeatMap(ctx, r)
				if err != nil {
					t.Fatalf("GetSeatMap %v: %v", r, err)
				}
				want[i] = m
			}
			stream, err := tc.Inventory(node).ReadSeatMaps(ctx)
			if err != nil {
				t.Fatal(err)
			}
			const rounds = 20 // many more reads than the stream's bound, sent while answers come back
			go func() {
				for round := range rounds {
					for i, r := range reads {
						if err := stream.Send(&boxofficev1.ReadSeatMapsRequest{Tag: uint64(round*len(reads) + i), Read: r}); err != nil {
							t.Errorf("Send: %v", err)
							return
						}
					}
				}
				_ = stream.CloseSend()
			}()
			seen := map[uint64]bool{}
			for {
				resp, err := stream.Recv()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatalf("Recv: %v", err)
				}
				if seen[resp.Tag] || resp.Tag >= uint64(rounds*len(reads)) {
					t.Fatalf("tag %d answered twice or never asked", resp.Tag)
				}
				seen[resp.Tag] = true
				i := int(resp.Tag) % len(reads)
				if resp.GetError() != nil {
					t.Fatalf("node %d read %v: %v", node+1, reads[i], resp.GetError())
				}
				if !proto.Equal(resp.GetSeatMap(), want[i]) {
					t.Fatalf("node %d read %v: the stream and GetSeatMap disagree", node+1, reads[i])
				}
			}
			if len(seen) != rounds*len(reads) {
				t.Fatalf("node %d: %d answers, want %d", node+1, len(seen), rounds*len(reads))
			}
		}
	})

	t.Run("BadReadsGetTheirOwnStatus", func(t *testing.T) {
		good := &boxofficev1.GetSeatMapRequest{EventId: "streamed", Consistency: stale, View: viewCompact, SectionIds: []string{"S1"}}
		bad := []struct {
			name string
			read *boxofficev1.GetSeatMapRequest
			code codes.Code
		}{
			{"unknown event", &boxofficev1.GetSeatMapRequest{EventId: "nosuch", Consistency: stale, View: viewCompact}, codes.NotFound},
			{"unknown event, linearizable", &boxofficev1.GetSeatMapRequest{EventId: "nosuch", View: viewCompact}, codes.NotFound},
			{"unknown section", &boxofficev1.GetSeatMapRequest{EventId: "streamed", Consistency: stale, View: viewCompact, SectionIds: []string{"Z9"}}, codes.NotFound},
			{"unknown section among others", &boxofficev1.GetSeatMapRequest{EventId: "streamed", View: viewCompact, SectionIds: []string{"S0", "Z9"}}, codes.NotFound},
			{"unknown view", &boxofficev1.GetSeatMapRequest{EventId: "streamed", Consistency: stale, View: 42}, codes.InvalidArgument},
			{"unknown consistency", &boxofficev1.GetSeatMapRequest{EventId: "streamed", Consistency: 9, View: viewCompact}, codes.InvalidArgument},
			{"no event id", &boxofficev1.GetSeatMapRequest{Consistency: stale}, codes.InvalidArgument},
			{"no read", nil, codes.InvalidArgument},
		}
		stream, err := tc.Inventory(1).ReadSeatMaps(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// Bad and good reads alternate on one stream; each gets its own answer.
		for i, b := range bad {
			for k, r := range []*boxofficev1.GetSeatMapRequest{b.read, good} {
				if err := stream.Send(&boxofficev1.ReadSeatMapsRequest{Tag: uint64(2*i + k), Read: r}); err != nil {
					t.Fatalf("Send: %v", err)
				}
			}
		}
		answers := map[uint64]*boxofficev1.ReadSeatMapsResponse{}
		for range 2 * len(bad) {
			resp, err := stream.Recv()
			if err != nil {
				t.Fatalf("Recv: %v (the stream ended on a bad read)", err)
			}
			answers[resp.Tag] = resp
		}
		for i, b := range bad {
			got := answers[uint64(2*i)].GetError()
			if got == nil || codes.Code(got.Code) != b.code {
				t.Fatalf("%s: answer %v, want code %v", b.name, answers[uint64(2*i)], b.code)
			}
			if b.read != nil {
				_, unaryErr := tc.Inventory(1).GetSeatMap(ctx, b.read)
				st := status.Convert(unaryErr)
				if st.Code() != b.code || st.Message() != got.Message || got.Reason != reasonOf(unaryErr) || got.Reason == "" {
					t.Fatalf("%s: stream says %v %q (reason %q), GetSeatMap says %v %q (reason %q)", b.name,
						codes.Code(got.Code), got.Message, got.Reason, st.Code(), st.Message(), reasonOf(unaryErr))
				}
			}
			if m := answers[uint64(2*i+1)].GetSeatMap(); m == nil || len(m.Sections) != 1 {
				t.Fatalf("the good read after %s: %v", b.name, answers[uint64(2*i+1)])
			}
		}
		if err := stream.CloseSend(); err != nil {
			t.Fatal(err)
		}
		if _, err := stream.Recv(); !errors.Is(err, io.EOF) {
			t.Fatalf("after CloseSend: %v, want the stream to end OK", err)
		}
	})

	t.Run("CancelEndsTheStream", func(t *testing.T) {
		h := tc.hosts[2]
		open := gaugeValue(t, h.metrics.readStreamsOpen)
		streamCtx, cancel := context.WithCancel(ctx)
		stream, err := tc.Inventory(2).ReadSeatMaps(streamCtx)
		if err != nil {
			t.Fatal(err)
		}
		// A linearizable read that is in flight (or just answered) when
		// the client cancels.
		if err := stream.Send(&boxofficev1.ReadSeatMapsRequest{Tag: 1, Read: reads[0]}); err != nil {
			t.Fatal(err)
		}
		if _, err := stream.Recv(); err != nil {
			t.Fatal(err)
		}
		WaitFor(t, 30*time.Second, "the node counts the stream", func() bool { return gaugeValue(t, h.metrics.readStreamsOpen) == open+1 })
		_ = stream.Send(&boxofficev1.ReadSeatMapsRequest{Tag: 2, Read: reads[len(reads)-1]})
		cancel()
		if _, err := stream.Recv(); status.Code(err) != codes.Canceled {
			t.Fatalf("Recv after cancel: %v, want CANCELED", err)
		}
		WaitFor(t, 30*time.Second, "the node ends the stream", func() bool {
			return gaugeValue(t, h.metrics.readStreamsOpen) == open && gaugeValue(t, h.metrics.readStreamsInFlight) == 0
		})
	})

	t.Run("ClientThatDoesNotReadGetsBackPressure", func(t *testing.T) {
		h := tc.hosts[0]
		if v := gaugeValue(t, h.metrics.readStreamsInFlight); v != 0 {
			t.Fatalf("%v reads in flight before the test", v)
		}
		stream, err := tc.Inventory(0).ReadSeatMaps(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// Whole-event FULL maps (about 12 KB each) fill the transport's
		// window after a few answers.
		full := &boxofficev1.GetSeatMapRequest{EventId: "streamed", Consistency: stale, View: viewFull}
		const total = 50 * seatStreamInFlightMax
		var sent atomic.Int64
		sendDone := make(chan error, 1)
		go func() {
			for i := range total {
				if err := stream.Send(&boxofficev1.ReadSeatMapsRequest{Tag: uint64(i), Read: full}); err != nil {
					sendDone <- err
					return
				}
				sent.Add(1)
			}
			sendDone <- stream.CloseSend()
		}()
		maxSeen := 0.0
		WaitFor(t, 30*time.Second, "the stream's reads in flight reach the bound", func() bool {
			v := gaugeValue(t, h.metrics.readStreamsInFlight)
			maxSeen = max(maxSeen, v)
			return v == seatStreamInFlightMax
		})
		for range 200 { // and stays there
			maxSeen = max(maxSeen, gaugeValue(t, h.metrics.readStreamsInFlight))
			time.Sleep(time.Millisecond) // samples the gauge for 200ms: the bound must hold all along
		}
		if maxSeen != seatStreamInFlightMax {
			t.Fatalf("a stream nobody reads held up to %v reads, want exactly the bound %d", maxSeen, seatStreamInFlightMax)
		}
		// How far the client got is gRPC's flow control (its windows grow
		// with the measured bandwidth), not the node's bound: logged only.
		t.Logf("the client had sent %d of %d reads when the node stopped taking more", sent.Load(), total)
		// Reading lets everything through, each answer once.
		seen := map[uint64]bool{}
		for {
			resp, err := stream.Recv()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("Recv: %v", err)
			}
			if resp.GetSeatMap() == nil || seen[resp.Tag] {
				t.Fatalf("answer %d: %v (seen before: %v)", resp.Tag, resp.GetError(), seen[resp.Tag])
			}
			seen[resp.Tag] = true
		}
		if err := <-sendDone; err != nil {
			t.Fatal(err)
		}
		if len(seen) != total {
			t.Fatalf("%d answers, want %d", len(seen), total)
		}
		if v := gaugeValue(t, h.metrics.readStreamsInFlight); v != 0 {
			t.Fatalf("%v reads in flight after the stream ended", v)
		}
	})

	t.Run("GoClientMultiplexesCallers", func(t *testing.T) {
		addrs := make([]string, 3)
		for i := range 3 {
			addrs[i] = tc.configs[i].GRPCAddr
		}
		c, err := client.Dial(ctx, client.Config{Addrs: addrs})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		want := make([]*boxofficev1.SeatMap, len(reads))
		for i, r := range reads {
			if want[i], err = c.GetSeatMap(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		opened := 0.0
		for _, h := range tc.hosts {
			opened -= gaugeValue(t, h.metrics.readStreamsOpen)
		}
		var wg sync.WaitGroup
		for caller := range 64 {
			wg.Go(func() {
				for k := range 40 {
					i := (caller + k) % len(reads)
					m, err := c.ReadSeatMap(ctx, reads[i])
					if err != nil {
						t.Errorf("caller %d: ReadSeatMap %v: %v", caller, reads[i], err)
						return
					}
					if !proto.Equal(m, want[i]) {
						t.Errorf("caller %d: ReadSeatMap %v disagrees with GetSeatMap", caller, reads[i])
						return
					}
				}
			})
		}
		wg.Wait()
		for _, h := range tc.hosts {
			opened += gaugeValue(t, h.metrics.readStreamsOpen)
		}
		if opened > 3 {
			t.Fatalf("64 callers opened %v streams; want at most one per node", opened)
		}
		_, err = c.ReadSeatMap(ctx, &boxofficev1.GetSeatMapRequest{EventId: "streamed", Consistency: stale, SectionIds: []string{"Z9"}})
		if status.Code(err) != codes.NotFound || boxofficev1.ReasonOf(err) != ReasonNotFound {
			t.Fatalf("ReadSeatMap of an unknown section: %v, want NOT_FOUND with reason %s", err, ReasonNotFound)
		}
	})
}
