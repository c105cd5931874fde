package node

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/cluster"
)

// lingerCluster starts 3 nodes whose proposers linger up to linger, and
// creates one event in one data group (the default placement); it returns
// the client of that group's leader and the leader's host.
func lingerCluster(t *testing.T, linger time.Duration) (boxofficev1.InventoryClient, *Host) {
	t.Helper()
	tc := NewTestCluster(t, 3, func(_ int, c *Config) { c.Group.BatchLinger = linger })
	_, err := tc.Inventory(0).CreateEvent(ctxT(t, 30*time.Second), &boxofficev1.CreateEventRequest{
		RequestId: "create-linger", EventId: "linger", Name: "linger", Venue: cluster.OnSaleVenue(4, 25, 40)})
	if err != nil {
		t.Fatal(err)
	}
	leader := tc.Leader(tc.eventRecord(0, "linger").Shards[0].GroupId)
	return tc.Inventory(leader), tc.hosts[leader]
}

// entries returns how many data-group entries host proposed and the
// commands they carried.
func entries(t *testing.T, h *Host) (count uint64, commands float64) {
	t.Helper()
	m := &dto.Metric{}
	if err := h.metrics.batchCommands.Write(m); err != nil {
		t.Fatal(err)
	}
	return m.GetHistogram().GetSampleCount(), m.GetHistogram().GetSampleSum()
}

func lingers(t *testing.T, h *Host, outcome string) float64 {
	t.Helper()
	m := &dto.Metric{}
	if err := h.metrics.batchLinger.WithLabelValues(outcome).Write(m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

// holdAndSell is one fan's loop: hold 2 best-available seats, sell them.
func holdAndSell(ctx context.Context, inv boxofficev1.InventoryClient, fan string, rounds int) error {
	for r := range rounds {
		id := fmt.Sprintf("%s-%d", fan, r)
		h, err := inv.Hold(ctx, &boxofficev1.HoldRequest{RequestId: "h-" + id, EventId: "linger", Holder: fan,
			Selection: &boxofficev1.HoldRequest_Best{Best: &boxofficev1.BestAvailable{Quantity: 2, SectionId: "S0"}}})
		if err != nil {
			return fmt.Errorf("hold %s: %w", id, err)
		}
		if _, err := inv.Sell(ctx, &boxofficev1.SellRequest{RequestId: "s-" + id, EventId: "linger", HoldId: h.HoldId,
			Holder: fan, OrderId: id, Buyer: fan}); err != nil {
			return fmt.Errorf("sell %s: %w", id, err)
		}
	}
	return nil
}

// TestLingerGathersEveryCallerOfALoop: 8 fans each hold and sell in a
// loop. With the linger, after the first entries every entry carries the
// command of every fan — the ones the previous entry answered come back
// and are waited for — instead of the loop splitting into halves that
// alternate entries. The bound (300ms here, far longer than a fan's turn
// around) almost never ends a wait: only when the proposer notices a
// commit after a fast fan is already back, which makes it expect one
// command too many.
func TestLingerGathersEveryCallerOfALoop(t *testing.T) {
	skipIfShort(t)
	const fans, rounds = 8, 15
	inv, leader := lingerCluster(t, 300*time.Millisecond)
	ctx := ctxT(t, 60*time.Second)
	n0, c0 := entries(t, leader)
	var wg sync.WaitGroup
	errs := make(chan error, fans)
	for f := range fans {
		wg.Go(func() { errs <- holdAndSell(ctx, inv, fmt.Sprintf("fan%d", f), rounds) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	n, c := entries(t, leader)
	n, c = n-n0, c-c0
	// More only when a caller's attempt timed out on a loaded machine and
	// its retry was proposed again (the state machine answers it from its
	// dedup table).
	if c < fans*rounds*2 {
		t.Fatalf("the leader proposed %v commands, want at least %d", c, fans*rounds*2)
	} else if c > fans*rounds*2 {
		t.Logf("the leader proposed %v commands for %d calls: retries", c, fans*rounds*2)
	}
	// 240 commands of 8 fans: 30 entries if each carried all 8; a few
	// more while the loop forms. Without the linger it is ~60.
	if n > 36 {
		t.Fatalf("%d commands took %d entries (%.1f each): fans did not share entries", int(c), n, c/float64(n))
	}
	if expired := lingers(t, leader, "expired"); expired > 3 {
		t.Fatalf("%v lingers ran out their 300ms bound; every fan comes back long before", expired)
	}
	if lingers(t, leader, "filled") == 0 {
		t.Fatal("no linger was filled")
	}
}

// TestLingerNeverDelaysALoneCaller: one fan's commands go out at once —
// the proposer expects nobody else — even with a linger bound far longer
// than a command takes: 20 commands lingering would take 20s.
func TestLingerNeverDelaysALoneCaller(t *testing.T) {
	skipIfShort(t)
	inv, leader := lingerCluster(t, time.Second)
	ctx := ctxT(t, 60*time.Second)
	began := time.Now()
	if err := holdAndSell(ctx, inv, "alone", 10); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(began); took > 10*time.Second {
		t.Fatalf("20 commands took %v", took)
	}
	if lingered := lingers(t, leader, "filled") + lingers(t, leader, "expired"); lingered > 0 {
		t.Fatalf("the proposer lingered %v times for a lone caller", lingered)
	}
}

// TestLingerCostsOpenLoopTrafficAtMostTheBound: open-loop traffic (pairs
// of fans that hold once and leave, every 5 ms) does not send the commands
// a linger expects back; newcomers fill it instead, and each entry waits at
// most the bound (200ms here) for them. What such traffic pays: logged,
// and bounded.
func TestLingerCostsOpenLoopTrafficAtMostTheBound(t *testing.T) {
	skipIfShort(t)
	const bound = 200 * time.Millisecond
	inv, leader := lingerCluster(t, bound)
	ctx := ctxT(t, 60*time.Second)
	const rounds = 300
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		took []time.Duration
	)
	errs := make(chan error, 2*rounds)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for r := range rounds {
		<-tick.C
		for f := range 2 {
			wg.Go(func() {
				id := fmt.Sprintf("once-%d-%d", r, f)
				began := time.Now()
				_, err := inv.Hold(ctx, &boxofficev1.HoldRequest{RequestId: id, EventId: "linger", Holder: id,
					Selection: &boxofficev1.HoldRequest_Best{Best: &boxofficev1.BestAvailable{Quantity: 1, SectionId: fmt.Sprintf("S%d", f)}}})
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				took = append(took, time.Since(began))
				mu.Unlock()
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	slices.Sort(took)
	n, _ := entries(t, leader)
	t.Logf("%d holds in %d entries; median %v, p90 %v, max %v; %v lingers filled, %v ran out",
		len(took), n, took[len(took)/2], took[len(took)*9/10], took[len(took)-1],
		lingers(t, leader, "filled"), lingers(t, leader, "expired"))
	// A hold waits for at most the linger of the entry it joins, plus
	// its commit; generous slack for a loaded test machine.
	if p90 := took[len(took)*9/10]; p90 > bound+time.Second {
		t.Fatalf("p90 hold took %v with a %v linger", p90, bound)
	}
}
