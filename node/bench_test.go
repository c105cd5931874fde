package node

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/cluster"
)

// BenchmarkClusterHoldSell measures a 3-node cluster in this process, with
// fsync on, over real gRPC on loopback: each op holds 2 best-available
// seats in a section (any node; forwarded to the shard leader) and sells
// or releases them. layout=one-group is the default placement (the whole
// event in one data group); layout=spread puts one shard on each of the
// three groups (the placement before the default changed). Compare them:
//
//	go test -run '^$' -bench 'ClusterHoldSell/clients=64' -benchtime 20000x -count 6 ./node/ | go tool benchstat -col /layout -
func BenchmarkClusterHoldSell(b *testing.B) {
	for _, clients := range []int{1, 64} {
		for _, layout := range []string{"one-group", "spread"} {
			b.Run(fmt.Sprintf("clients=%d/layout=%s", clients, layout), func(b *testing.B) {
				benchmarkHoldSell(b, clients, layout == "spread")
			})
		}
	}
}

func benchmarkHoldSell(b *testing.B, clients int, spread bool) {
	tc := newBenchCluster(b)
	// A venue large enough not to sell out within b.N holds.
	sections := 20
	seats := max(2*b.N, 1000)
	rows := (seats/(sections*40) + 1)
	req := &boxofficev1.CreateEventRequest{RequestId: "create-bench", EventId: "bench", Name: "bench",
		Venue: cluster.OnSaleVenue(sections, min(rows, 1000), 40)}
	if spread {
		req.GroupCount = uint32(len(tc.hosts[0].catalog.Export().Groups))
	}
	if _, err := tc.Inventory(0).CreateEvent(context.Background(), req); err != nil {
		b.Fatal(err)
	}
	var seq atomic.Int64
	b.SetParallelism((clients + 1) / 2)
	if clients == 1 {
		b.SetParallelism(1)
	}
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			n := seq.Add(1)
			inv := tc.Inventory(int(n % 3))
			id := fmt.Sprintf("b%d", n)
			h, err := inv.Hold(ctx, &boxofficev1.HoldRequest{RequestId: "h" + id, EventId: "bench", Holder: id,
				Selection: &boxofficev1.HoldRequest_Best{Best: &boxofficev1.BestAvailable{Quantity: 2, SectionId: fmt.Sprintf("S%d", n%20)}}})
			if status.Code(err) == codes.ResourceExhausted {
				continue
			}
			if err != nil {
				b.Error(err)
				return
			}
			if n%5 == 0 {
				_, err = inv.Release(ctx, &boxofficev1.ReleaseRequest{RequestId: "r" + id, EventId: "bench", HoldId: h.HoldId, Holder: id})
			} else {
				_, err = inv.Sell(ctx, &boxofficev1.SellRequest{RequestId: "s" + id, EventId: "bench", HoldId: h.HoldId, Holder: id, OrderId: id, Buyer: id})
			}
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "holds/s")
	var entries, commands float64
	for _, h := range tc.hosts {
		m := &dto.Metric{}
		_ = h.metrics.batchCommands.Write(m)
		entries += float64(m.GetHistogram().GetSampleCount())
		commands += m.GetHistogram().GetSampleSum()
	}
	if entries > 0 {
		b.ReportMetric(commands/entries, "cmds/entry")
	}
}

// newBenchCluster starts a 3-node cluster with fsync on.
// BenchmarkHoldSoldOutSection measures what fans cost after a section sold
// out: 64 concurrent best-available holds there, every one refused.
// mode=local is the default (the leader refuses after a read barrier,
// without a log entry); mode=replicated sends each through the log, as
// before (GroupConfig.ReplicateHoldRefusals):
//
//	go test -run '^$' -bench HoldSoldOutSection -benchtime 20000x -count 6 ./node/ | go tool benchstat -col /mode -
func BenchmarkHoldSoldOutSection(b *testing.B) {
	for _, mode := range []string{"local", "replicated"} {
		b.Run("mode="+mode, func(b *testing.B) {
			tc := newBenchCluster(b, func(_ int, c *Config) { c.Group.ReplicateHoldRefusals = mode == "replicated" })
			tc.createOnSaleEvent("soldout", 1, 1, 2)
			ctx := context.Background()
			best := &boxofficev1.HoldRequest_Best{Best: &boxofficev1.BestAvailable{Quantity: 2, SectionId: "S0"}}
			if _, err := tc.Inventory(0).Hold(ctx, &boxofficev1.HoldRequest{RequestId: "first", EventId: "soldout", Holder: "x", TtlMs: 3_600_000, Selection: best}); err != nil {
				b.Fatal(err)
			}
			var seq atomic.Int64
			b.SetParallelism(32) // 64 goroutines on 2 cores
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					n := seq.Add(1)
					_, err := tc.Inventory(int(n%3)).Hold(ctx, &boxofficev1.HoldRequest{RequestId: fmt.Sprintf("p%d", n), EventId: "soldout", Holder: "fan", Selection: best})
					if status.Code(err) != codes.ResourceExhausted {
						b.Errorf("hold in a sold-out section: %v", err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "refusals/s")
			local := 0.0
			for _, h := range tc.hosts {
				local += counterValue(h.metrics.holdsRefusedLocally)
			}
			b.ReportMetric(local/float64(b.N), "local/op")
		})
	}
}

func newBenchCluster(b *testing.B, opts ...TestOption) *TestCluster {
	b.Helper()
	return NewTestCluster(b, 3, append([]TestOption{func(i int, c *Config) {
		c.Group.NoSync = os.Getenv("BENCH_NOSYNC") != ""
		if v, err := strconv.Atoi(os.Getenv("BENCH_GROUPS")); err == nil {
			c.DataGroups = v
		}
		if v, err := strconv.Atoi(os.Getenv("BENCH_INFLIGHT")); err == nil {
			c.Group.InflightEntriesMax = v
		}
	}}, opts...)...)
}
