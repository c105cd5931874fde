package node

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/cluster"
	"github.com/boxoffice/boxoffice/cluster/client"
)

// onSaleLoad holds and sells two best-available seats at a time through
// the Go client until stopped, and keeps every acknowledged sale and every
// error that reached the caller.
type onSaleLoad struct {
	eventID string
	stop    context.CancelFunc
	done    sync.WaitGroup

	mu      sync.Mutex
	sold    map[string]string // seat id → order id, from acknowledged sales
	double  []string          // seats two acknowledged sales claimed
	errors  []error
	sales   int
	soldOut bool // a hold found no seats left: the worker stopped
}

func startOnSaleLoad(t *testing.T, cl *client.Client, eventID string, workers int) *onSaleLoad {
	ctx, cancel := context.WithCancel(context.Background())
	l := &onSaleLoad{eventID: eventID, stop: cancel, sold: map[string]string{}}
	for w := range workers {
		l.done.Add(1)
		go func() {
			defer l.done.Done()
			for i := 0; ctx.Err() == nil; i++ {
				if !l.one(cl, fmt.Sprintf("w%d-%d", w, i)) {
					return
				}
				// Pace the load so that two cores also run five nodes
				// moving replicas; this is load shaping, not a wait.
				select {
				case <-ctx.Done():
				case <-time.After(10 * time.Millisecond):
				}
			}
		}()
	}
	t.Cleanup(l.finish)
	return l
}

// one holds and sells; false once the event is sold out.
func (l *onSaleLoad) one(cl *client.Client, id string) bool {
	// The calls run to their own end: a call cut short by the test's stop
	// would be an error the test made, not the cluster.
	callCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	hold, err := cl.Hold(callCtx, &boxofficev1.HoldRequest{RequestId: "hold-" + id, EventId: l.eventID, Holder: id,
		Selection: &boxofficev1.HoldRequest_Best{Best: &boxofficev1.BestAvailable{Quantity: 2, AllowSplitRows: true}}})
	if reasonOf(err) == ReasonNotEnoughSeats {
		l.mu.Lock()
		l.soldOut = true
		l.mu.Unlock()
		return false
	}
	if err != nil {
		l.record(nil, "", fmt.Errorf("hold %s: %w", id, err))
		return true
	}
	sale, err := cl.Sell(callCtx, &boxofficev1.SellRequest{RequestId: "sell-" + id, EventId: l.eventID, HoldId: hold.HoldId,
		Holder: id, OrderId: "order-" + id, Buyer: id})
	if err != nil {
		l.record(nil, "", fmt.Errorf("sell %s: %w", id, err))
		return true
	}
	l.record(hold.SeatIds, sale.OrderId, nil)
	return true
}

func (l *onSaleLoad) record(seats []string, order string, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		l.errors = append(l.errors, err)
		return
	}
	l.sales++
	for _, s := range seats {
		if prev, taken := l.sold[s]; taken {
			l.double = append(l.double, fmt.Sprintf("%s (%s and %s)", s, prev, order))
		}
		l.sold[s] = order
	}
}

func (l *onSaleLoad) salesSoFar() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.sales
}

func (l *onSaleLoad) finish() {
	l.stop()
	l.done.Wait()
}

// placement is the catalog's view, from node i: replicas and preferred
// leaders per node, and the moves in flight.
func (tc *TestCluster) placement(i int) (replicas, leaders map[string]int, moves int) {
	snap := tc.hosts[i].catalog.Export()
	replicas, leaders = map[string]int{}, map[string]int{}
	for _, n := range snap.Nodes {
		replicas[n.NodeId], leaders[n.NodeId] = 0, 0
	}
	for _, g := range snap.Groups {
		for _, r := range g.Replicas {
			replicas[r]++
		}
		if len(g.Replicas) > 0 {
			leaders[g.Replicas[0]]++
		}
	}
	return replicas, leaders, len(snap.Moves)
}

func span(m map[string]int) int {
	lo, hi := -1, 0
	for _, v := range m {
		if lo < 0 || v < lo {
			lo = v
		}
		hi = max(hi, v)
	}
	return hi - lo
}

// settled reports whether the cluster seen from node i has nothing left to
// move and every group's Raft configuration and leader match the catalog.
func (tc *TestCluster) settled(i int) (bool, string) {
	ctx := ctxT(tc.t, 10*time.Second)
	plan, err := tc.ClusterClient(i).PlanRebalance(ctx, &boxofficev1.PlanRebalanceRequest{})
	if err != nil {
		return false, err.Error()
	}
	if len(plan.Moves) > 0 || len(plan.InFlight) > 0 {
		return false, fmt.Sprintf("%d moves planned, %d in flight", len(plan.Moves), len(plan.InFlight))
	}
	st, err := tc.ClusterClient(i).Status(ctx, &boxofficev1.StatusRequest{})
	if err != nil {
		return false, err.Error()
	}
	for _, g := range st.Groups {
		rec := tc.hosts[i].catalog.Group(g.GroupId)
		if rec == nil {
			continue
		}
		want := slices.Sorted(slices.Values(rec.Replicas))
		if !slices.Equal(g.Configuration, want) {
			return false, fmt.Sprintf("%s: configuration %v, catalog %v", g.GroupId, g.Configuration, want)
		}
		if g.LeaderNodeId != g.PreferredLeaderNodeId {
			return false, fmt.Sprintf("%s: led by %s, preferred %s", g.GroupId, g.LeaderNodeId, g.PreferredLeaderNodeId)
		}
	}
	return true, ""
}

// TestClusterGrowsAndShrinksUnderLoad: a 3-node cluster selling seats
// grows to 5 nodes, which receive replicas and leaderships until balanced,
// then decommissions the 2 new nodes back to 3. The client sees no error,
// no seat is sold twice, and every acknowledged sale is in the seat map.
func TestClusterGrowsAndShrinksUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("moves replicas of a 5-node cluster")
	}
	tc := NewGrowingTestCluster(t, 5, 3, func(_ int, c *Config) {
		c.DataGroups = 6
		c.RebalanceInterval = 200 * time.Millisecond
	})
	tc.createOnSaleEvent("grow", 30, 20, 25) // 15000 seats over the 6 groups
	load := startOnSaleLoad(t, tc.Client(), "grow", 3)
	WaitFor(t, 30*time.Second, "the first sales", func() bool { return load.salesSoFar() > 10 })

	// Grow: n4 and n5 join and receive replicas and leaderships.
	tc.Start(3)
	tc.Start(4)
	tc.WaitReady()
	why := ""
	WaitFor(t, 3*time.Minute, "a balanced 5-node cluster", func() bool {
		replicas, leaders, _ := tc.placement(0)
		// Leaderships are weighed by their groups' command rates: the
		// planner's own verdict (settled: nothing left to move) is the
		// balance; the count may differ by 2 when one group is busier.
		if len(replicas) != 5 || span(replicas) > 1 || span(leaders) > 2 {
			why = fmt.Sprintf("replicas %v, leaders %v", replicas, leaders)
			return false
		}
		var ok bool
		ok, why = tc.settled(0)
		return ok
	})
	replicas, leaders, _ := tc.placement(0)
	t.Logf("5 nodes: replicas %v, preferred leaders %v, %d sales so far (%s)", replicas, leaders, load.salesSoFar(), why)
	if replicas["n4"] == 0 || replicas["n5"] == 0 || leaders["n4"] == 0 || leaders["n5"] == 0 {
		t.Fatalf("new nodes got nothing: replicas %v, leaders %v", replicas, leaders)
	}

	// Shrink: decommission n4 and n5, then remove them as ctl does.
	cc := tc.ClusterClient(0)
	for _, id := range []string{"n4", "n5"} {
		if _, err := cc.Decommission(ctxT(t, 10*time.Second), &boxofficev1.DecommissionRequest{NodeId: id}); err != nil {
			t.Fatalf("decommission %s: %v", id, err)
		}
	}
	WaitFor(t, 3*time.Minute, "n4 and n5 without replicas", func() bool {
		replicas, leaders, moves := tc.placement(0)
		why = fmt.Sprintf("replicas %v, leaders %v, %d moves", replicas, leaders, moves)
		return replicas["n4"] == 0 && replicas["n5"] == 0 && moves == 0
	})
	for _, id := range []string{"n4", "n5"} {
		if _, err := cc.RemoveNode(ctxT(t, 60*time.Second), &boxofficev1.RemoveNodeRequest{NodeId: id}); err != nil {
			t.Fatalf("remove %s: %v", id, err)
		}
	}
	tc.Stop(3)
	tc.Stop(4)
	WaitFor(t, 3*time.Minute, "a balanced 3-node cluster", func() bool {
		replicas, leaders, _ := tc.placement(0)
		if len(replicas) != 3 || span(replicas) > 1 || span(leaders) > 2 {
			why = fmt.Sprintf("replicas %v, leaders %v", replicas, leaders)
			return false
		}
		var ok bool
		ok, why = tc.settled(0)
		return ok
	})
	replicas, leaders, _ = tc.placement(0)
	t.Logf("3 nodes again: replicas %v, preferred leaders %v", replicas, leaders)

	load.finish()
	if len(load.errors) > 0 {
		t.Errorf("%d of %d calls failed for the caller; first: %v", len(load.errors), 2*(load.sales+len(load.errors)), load.errors[0])
	}
	if len(load.double) > 0 {
		t.Errorf("seats sold twice: %v", load.double)
	}
	seatMap, err := tc.Inventory(0).GetSeatMap(ctxT(t, 30*time.Second), &boxofficev1.GetSeatMapRequest{EventId: "grow"})
	if err != nil {
		t.Fatal(err)
	}
	soldInMap := map[string]string{}
	for _, sec := range seatMap.Sections {
		for _, row := range sec.Rows {
			for _, s := range row.Seats {
				if s.State == boxofficev1.SeatState_SEAT_STATE_SOLD {
					soldInMap[s.SeatId] = s.OrderId
				}
			}
		}
	}
	for seat, order := range load.sold {
		if soldInMap[seat] != order {
			t.Errorf("seat %s: sold to %s, the map says %q", seat, order, soldInMap[seat])
		}
	}
	if len(soldInMap) != len(load.sold) {
		t.Errorf("the map has %d seats sold, the client was acknowledged %d", len(soldInMap), len(load.sold))
	}
	t.Logf("%d sales, %d seats, 0 errors expected: %d; sold out before the end: %v", load.sales, len(load.sold), len(load.errors), load.soldOut)
	tc.replicasEqual()
}

// TestDecommissionRefusesBadInput: a missing or unknown node, or one whose
// replicas could not all move, is refused with a precise status and
// changes nothing.
func TestDecommissionRefusesBadInput(t *testing.T) {
	tc := NewTestCluster(t, 3)
	cc := tc.ClusterClient(1)
	before := tc.hosts[0].catalog.Export()
	tests := []struct {
		name       string
		node       string
		wantCode   codes.Code
		wantReason string
		wantText   string
	}{
		{"no node", "", codes.InvalidArgument, ReasonInvalidRequest, "node_id is required"},
		{"unknown node", "n9", codes.NotFound, ReasonNotFound, `node "n9" is not registered`},
		{"too few nodes left", "n2", codes.FailedPrecondition, ReasonDecommissionWouldLoseReplicas,
			`would leave 2 nodes able to hold replicas, fewer than the replication factor 3`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := cc.Decommission(ctxT(t, 10*time.Second), &boxofficev1.DecommissionRequest{NodeId: tt.node})
			if status.Code(err) != tt.wantCode || reasonOf(err) != tt.wantReason || !strings.Contains(status.Convert(err).Message(), tt.wantText) {
				t.Fatalf("err = %v (reason %q), want %v %s %q", err, reasonOf(err), tt.wantCode, tt.wantReason, tt.wantText)
			}
			if strings.Contains(status.Convert(err).Message(), "catalog") {
				t.Errorf("message leaks a package name: %v", err)
			}
		})
	}
	after := tc.hosts[0].catalog.Export()
	for i, n := range after.Nodes {
		if n.Decommissioning || n.Draining != before.Nodes[i].Draining {
			t.Errorf("a refusal changed %s: %v", n.NodeId, n)
		}
	}
	plan, err := cc.PlanRebalance(ctxT(t, 10*time.Second), &boxofficev1.PlanRebalanceRequest{})
	if err != nil || len(plan.Moves)+len(plan.InFlight)+len(plan.Blocked) > 0 {
		t.Fatalf("plan of a fresh cluster: %v, %v", plan, err)
	}
}

// TestReplicaMoveSurvivesMetaLeaderChange: the meta leader hands over
// while replica moves to a new node are in flight; the next meta leader
// finds them in the catalog and finishes them.
func TestReplicaMoveSurvivesMetaLeaderChange(t *testing.T) {
	if testing.Short() {
		t.Skip("moves replicas of a 4-node cluster")
	}
	tc := NewGrowingTestCluster(t, 4, 3, func(_ int, c *Config) {
		c.DataGroups = 3
		c.RebalanceInterval = 200 * time.Millisecond
	})
	tc.createOnSaleEvent("ev", 3, 5, 10)
	tc.Start(3)
	WaitFor(t, time.Minute, "a replica move in flight", func() bool {
		return len(tc.hosts[0].catalog.Moves()) > 0
	})
	old := tc.Leader("meta")
	next := (old + 1) % 3
	moves := tc.hosts[0].catalog.Moves()
	_, err := tc.ClusterClient(next).TransferLeader(ctxT(t, 20*time.Second),
		&boxofficev1.TransferLeaderRequest{GroupId: "meta", NodeId: fmt.Sprintf("n%d", next+1)})
	if err != nil {
		t.Fatalf("hand the meta group over: %v", err)
	}
	t.Logf("meta leader n%d -> n%d with moves in flight: %v", old+1, next+1, moves)
	why := ""
	WaitFor(t, 2*time.Minute, "the moves finished and the cluster balanced", func() bool {
		replicas, leaders, _ := tc.placement(0)
		if replicas["n4"] == 0 || span(replicas) > 1 || span(leaders) > 1 {
			why = fmt.Sprintf("replicas %v, leaders %v", replicas, leaders)
			return false
		}
		var ok bool
		ok, why = tc.settled(0)
		return ok
	})
	replicas, leaders, _ := tc.placement(0)
	t.Logf("after: replicas %v, preferred leaders %v (%s)", replicas, leaders, why)
	tc.replicasEqual()
}

func TestCommandRateAverages(t *testing.T) {
	var r commandRate
	start := time.Unix(1000, 0)
	r.sample(0, start, true)
	if got := r.get(); got != 0 {
		t.Fatalf("rate after the first sample: %v, want 0", got)
	}
	// A steady 100 commands/s for ten windows: the average reaches it.
	count := uint64(0)
	for i := 1; i <= 120; i++ {
		count += 500
		r.sample(count, start.Add(time.Duration(i)*commandRateInterval), true)
	}
	if got := r.get(); got < 99 || got > 100 {
		t.Fatalf("rate after a steady 100/s: %v", got)
	}
	// A burst left out (a replica catching up) changes nothing.
	count += 1_000_000
	r.sample(count, start.Add(121*commandRateInterval), false)
	if got := r.get(); got < 99 || got > 100 {
		t.Fatalf("rate after a burst left out: %v", got)
	}
	// Idle for ten windows: it falls to almost nothing.
	at := start.Add(121 * commandRateInterval)
	for i := 1; i <= 120; i++ {
		r.sample(count, at.Add(time.Duration(i)*commandRateInterval), true)
	}
	if got := r.get(); got > 1 {
		t.Fatalf("rate after idling: %v", got)
	}
}

// TestJoinedNodeBalancesLeaderLoad: a 3-node cluster sells one event while
// another sits idle; a fourth node joins. Once replicas and leaders are
// balanced, the hot event's group is led from a node that leads no other
// group (the rebalancer weighs leaderships by commands per second), and
// Status reports the hot group's rate. Six groups over four nodes: by
// count alone, the hot group's node could lead a second group.
func TestJoinedNodeBalancesLeaderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("moves replicas of a 4-node cluster")
	}
	tc := NewGrowingTestCluster(t, 4, 3, func(_ int, c *Config) {
		c.DataGroups = 6
		c.RebalanceInterval = 200 * time.Millisecond
	})
	groupOf := func(eventID string) string {
		_, err := tc.Inventory(0).CreateEvent(ctxT(t, 30*time.Second), &boxofficev1.CreateEventRequest{
			RequestId: "create-" + eventID, EventId: eventID, Name: eventID, Venue: cluster.OnSaleVenue(40, 25, 25)})
		if err != nil {
			t.Fatalf("CreateEvent %s: %v", eventID, err)
		}
		group := ""
		WaitFor(t, 30*time.Second, "event "+eventID+" in n1's catalog", func() bool {
			for _, e := range tc.hosts[0].catalog.Export().Events {
				if e.EventId == eventID && len(e.Shards) > 0 {
					group = e.Shards[0].GroupId
				}
			}
			return group != ""
		})
		return group
	}
	hot := groupOf("hot")
	groupOf("cold")
	load := startOnSaleLoad(t, tc.Client(), "hot", 2)
	rateOf := func(groupID string) float64 {
		st, err := tc.ClusterClient(0).Status(ctxT(t, 10*time.Second), &boxofficev1.StatusRequest{})
		if err != nil {
			return 0
		}
		for _, g := range st.Groups {
			if g.GroupId == groupID {
				return g.RecentCommandsPerSecond
			}
		}
		return 0
	}
	WaitFor(t, time.Minute, "a rate for the hot group", func() bool { return rateOf(hot) > 0 })

	tc.Start(3)
	tc.WaitReady()
	why := ""
	alone := waitUntil(3*time.Minute, func() bool {
		replicas, _, _ := tc.placement(0)
		if len(replicas) != 4 || span(replicas) > 1 {
			why = fmt.Sprintf("replicas %v", replicas)
			return false
		}
		var ok bool
		if ok, why = tc.settled(0); !ok {
			return false
		}
		snap := tc.hosts[0].catalog.Export()
		leader := tc.hosts[0].preferredLeader(tc.hosts[0].catalog.Group(hot))
		for _, g := range snap.Groups {
			if g.GroupId != hot && tc.hosts[0].preferredLeader(g) == leader {
				why = fmt.Sprintf("%s leads hot %s and %s", leader, hot, g.GroupId)
				return false
			}
		}
		return true
	})
	if !alone {
		t.Fatalf("timed out waiting for the hot group's leader to lead nothing else: %s", why)
	}
	_, leaders, _ := tc.placement(0)
	t.Logf("preferred leaders %v, hot group %s at %.1f commands/s, %d sales (%s)", leaders, hot, rateOf(hot),
		load.salesSoFar(), why)
	load.finish()
	if len(load.errors) > 0 {
		t.Errorf("%d calls failed for the caller; first: %v", len(load.errors), load.errors[0])
	}
}
