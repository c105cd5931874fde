package node

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/cluster"
	"github.com/boxoffice/boxoffice/fsm/fsmpb"
	"github.com/boxoffice/boxoffice/node/catalog"
	"github.com/boxoffice/boxoffice/node/nodepb"
)

// createMovableEvent creates event id with 2 shards (sections S0 and S1)
// in one of two data groups and returns the group of shard 0 and the
// other group.
func createMovableEvent(t *testing.T, tc *TestCluster, id string, rows, seats int) (source, target string) {
	t.Helper()
	_, err := tc.Inventory(0).CreateEvent(ctxT(t, 30*time.Second), &boxofficev1.CreateEventRequest{
		RequestId: "create-" + id, EventId: id, Name: id, Venue: cluster.OnSaleVenue(2, rows, seats), ShardCount: 2, GroupCount: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	e := tc.eventRecord(0, id)
	source = e.Shards[0].GroupId
	for _, g := range tc.Host(0).catalog.GroupIDs() {
		if g != source {
			target = g
		}
	}
	if target == "" {
		t.Fatal("one data group only")
	}
	return source, target
}

// shardHome waits until every node's catalog puts the shard in group and
// only the replicas of that group hold it.
func shardHome(t *testing.T, tc *TestCluster, eventID string, shard uint32, groupID string) {
	t.Helper()
	WaitFor(t, 20*time.Second, fmt.Sprintf("shard %d of %s to live in group %s only", shard, eventID, groupID), func() bool {
		for i := range tc.Len() {
			h := tc.Host(i)
			e := h.catalog.Event(eventID)
			for _, sh := range e.GetShards() {
				if sh.Shard == shard && sh.GroupId != groupID {
					return false
				}
			}
			if catalog.ShardMoveOf(e, shard) != nil {
				return false
			}
			for _, g := range h.groupList() {
				if g.store != nil && g.store.HasShard(eventID, shard) != (g.id == groupID) {
					return false
				}
			}
		}
		return true
	})
}

// TestMoveShardUnderLoad: Go clients hold and sell seats of both shards of
// an event while shard 0 moves to another group. Calls meet the frozen
// shard, yet none fails at the caller (the client retries SHARD_MOVING); afterwards every hold made before the move is
// there with the same id, holder and expiry and can be sold; a request id
// used before the move gets its first answer again, and another request
// under it is refused; every acknowledged sale is in the seat map and no
// seat is sold twice.
func TestMoveShardUnderLoad(t *testing.T) {
	skipIfShort(t)
	const workers = 4
	// The shard stays frozen until the workers' calls have met it (a few
	// Raft commits are otherwise too short a window to count on).
	var running atomic.Pointer[TestCluster]
	tc := NewTestCluster(t, 3, func(i int, c *Config) {
		c.DataGroups = 2
		c.Testing.ShardMoveStep = func(step string) error {
			if step == moveStepFrozen {
				waitUntil(10*time.Second, func() bool { return unavailableAttempts(running.Load()) >= workers })
			}
			return nil
		}
	})
	running.Store(tc)
	source, target := createMovableEvent(t, tc, "ev", 25, 40)
	cli := tc.Client()
	ctx := ctxT(t, 3*time.Minute)
	seat := func(section, row, n int) string { return fmt.Sprintf("S%d-R%d-%d", section, row, n) }
	holdReq := func(requestID, holder string, seats ...string) *boxofficev1.HoldRequest {
		return &boxofficev1.HoldRequest{RequestId: requestID, EventId: "ev", Holder: holder,
			Selection: &boxofficev1.HoldRequest_Seats{Seats: &boxofficev1.SeatList{SeatIds: seats}}}
	}

	// Before the move: holds in shard 0 (row 1), half of them sold.
	var preHolds []*boxofficev1.HoldResponse
	var preHoldReqs []*boxofficev1.HoldRequest
	soldSeats := map[string]string{} // seat -> order of the acknowledged sale
	var soldMu sync.Mutex
	sold := func(order string, seats []string) {
		soldMu.Lock()
		defer soldMu.Unlock()
		for _, s := range seats {
			if o, dup := soldSeats[s]; dup {
				t.Errorf("seat %s sold to %s and %s", s, o, order)
			}
			soldSeats[s] = order
		}
	}
	for n := 1; n <= 10; n++ {
		req := holdReq(fmt.Sprintf("pre-hold-%d", n), fmt.Sprintf("fan%d", n), seat(0, 1, n))
		resp, err := cli.Hold(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		preHolds, preHoldReqs = append(preHolds, resp), append(preHoldReqs, req)
	}
	preSell := &boxofficev1.SellRequest{RequestId: "pre-sell-1", EventId: "ev", HoldId: preHolds[0].HoldId, Holder: "fan1", OrderId: "pre-o1", Buyer: "fan1"}
	preSold, err := cli.Sell(ctx, preSell)
	if err != nil {
		t.Fatal(err)
	}
	sold("pre-o1", preHolds[0].SeatIds)
	remaining := preHolds[1:]

	// Load: each worker holds and sells its own seats of both shards.
	var stop atomic.Bool
	var ops [workers]atomic.Int64
	var failures atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k := 0
			for row := 2; row <= 25 && !stop.Load(); row++ {
				for n := 1 + w; n <= 40 && !stop.Load(); n += workers {
					k++
					section := k % 2
					id := fmt.Sprintf("w%d-%d", w, k)
					h, err := cli.Hold(ctx, holdReq("hold-"+id, "worker"+id, seat(section, row, n)))
					if err != nil {
						failures.Add(1)
						t.Errorf("hold %s: %v", id, err)
						continue
					}
					if _, err := cli.Sell(ctx, &boxofficev1.SellRequest{RequestId: "sell-" + id, EventId: "ev", HoldId: h.HoldId,
						Holder: "worker" + id, OrderId: "o-" + id, Buyer: "b"}); err != nil {
						failures.Add(1)
						t.Errorf("sell %s: %v", id, err)
						continue
					}
					sold("o-"+id, h.SeatIds)
					ops[w].Add(1)
				}
			}
		}()
	}
	busy := func(min int64) func() bool {
		return func() bool {
			for w := range workers {
				if ops[w].Load() < min {
					return false
				}
			}
			return true
		}
	}
	WaitFor(t, 30*time.Second, "every worker to sell a few seats", busy(3))
	moved, err := tc.ClusterClient(1).MoveShard(ctx, &boxofficev1.MoveShardRequest{EventId: "ev", Shard: 0, GroupId: target})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("move %s:\n%v", moved.MoveId, moved.Steps)
	after := make([]int64, workers)
	for w := range workers {
		after[w] = ops[w].Load()
	}
	WaitFor(t, 30*time.Second, "every worker to sell more seats after the move", func() bool {
		for w := range workers {
			if ops[w].Load() < after[w]+3 {
				return false
			}
		}
		return true
	})
	stop.Store(true)
	wg.Wait()
	if n := failures.Load(); n > 0 {
		t.Fatalf("%d calls failed at the caller", n)
	}
	if n := unavailableAttempts(tc); n < workers {
		t.Fatalf("only %v calls met the frozen shard", n)
	}
	shardHome(t, tc, "ev", 0, target)
	if e := tc.Host(0).catalog.Event("ev"); e.Shards[1].GroupId != source {
		t.Fatalf("shard 1 moved too: %v", e.Shards)
	}

	// Holds made before the move: the same, and they can be sold.
	for _, h := range remaining {
		got, err := cli.GetHold(ctx, &boxofficev1.GetHoldRequest{EventId: "ev", HoldId: h.HoldId})
		if err != nil || !proto.Equal(got, h) {
			t.Fatalf("hold %s after the move: %v %v, before %v", h.HoldId, got, err, h)
		}
	}
	// Request ids of before the move: the first answer, or REQUEST_ID_REUSED.
	if again, err := cli.Hold(ctx, preHoldReqs[1]); err != nil || !proto.Equal(again, preHolds[1]) {
		t.Fatalf("retried hold answered %v %v, first %v", again, err, preHolds[1])
	}
	if again, err := cli.Sell(ctx, preSell); err != nil || !proto.Equal(again, preSold) {
		t.Fatalf("retried sell answered %v %v, first %v", again, err, preSold)
	}
	_, err = cli.Hold(ctx, holdReq("pre-hold-2", "mallory", seat(0, 1, 30)))
	wantRefusal(t, "another hold under pre-hold-2", err, codes.FailedPrecondition, ReasonRequestIDReused)
	for i, h := range remaining {
		order := fmt.Sprintf("pre-o%d", i+2)
		if _, err := cli.Sell(ctx, &boxofficev1.SellRequest{RequestId: "post-sell-" + order, EventId: "ev", HoldId: h.HoldId,
			Holder: h.Holder, OrderId: order, Buyer: h.Holder}); err != nil {
			t.Fatalf("sell of hold %s made before the move: %v", h.HoldId, err)
		}
		sold(order, h.SeatIds)
	}

	// The seat map agrees with the acknowledged sales.
	states := seatStates(t, tc, 2, "ev")
	soldInMap, heldInMap := 0, 0
	for id, s := range states {
		switch s.State {
		case boxofficev1.SeatState_SEAT_STATE_SOLD:
			soldInMap++
			if _, ok := soldSeats[id]; !ok {
				t.Errorf("seat %s sold without an acknowledged sale", id)
			}
		case boxofficev1.SeatState_SEAT_STATE_HELD:
			heldInMap++
		}
	}
	if soldInMap != len(soldSeats) || heldInMap != 0 {
		t.Fatalf("seat map: %d sold, %d held; acknowledged: %d sold, 0 held", soldInMap, heldInMap, len(soldSeats))
	}
	t.Logf("%d seats sold, %d of them by the workers; %v attempts answered UNAVAILABLE (SHARD_MOVING) and were retried by the client",
		len(soldSeats), len(soldSeats)-len(preHolds), unavailableAttempts(tc))
	tc.replicasEqual()

	// The same move again: the shard is there already.
	_, err = tc.ClusterClient(0).MoveShard(ctx, &boxofficev1.MoveShardRequest{EventId: "ev", Shard: 0, GroupId: target})
	wantRefusal(t, "a move to the shard's group", err, codes.FailedPrecondition, ReasonShardInGroup)
}

// unavailableAttempts counts the Hold and Sell calls the nodes answered
// UNAVAILABLE (here: SHARD_MOVING; the client retried them).
func unavailableAttempts(tc *TestCluster) float64 {
	n := 0.0
	for i := range tc.Len() {
		for _, method := range []string{"Hold", "Sell"} {
			var m dto.Metric
			if err := tc.Host(i).metrics.operations.WithLabelValues(method, codes.Unavailable.String()).Write(&m); err == nil {
				n += m.GetCounter().GetValue()
			}
		}
	}
	return n
}

// TestMoveShardFinishesAfterDeleteEvent: a move interrupted after the
// switch, then the event deleted: calling MoveShard again still drops the
// source's frozen copy (which would otherwise stay in memory and keep
// snapshots in version 5).
func TestMoveShardFinishesAfterDeleteEvent(t *testing.T) {
	skipIfShort(t)
	var interrupt atomic.Bool
	interrupt.Store(true)
	tc := NewTestCluster(t, 3, func(i int, c *Config) {
		c.DataGroups = 2
		c.Testing.ShardMoveStep = func(step string) error {
			if step == moveStepSwitched && interrupt.Load() {
				return errors.New("stopped by the test")
			}
			return nil
		}
	})
	source, target := createMovableEvent(t, tc, "ev", 2, 4)
	ctx := ctxT(t, 2*time.Minute)
	move := &boxofficev1.MoveShardRequest{EventId: "ev", Shard: 0, GroupId: target}
	if _, err := tc.ClusterClient(0).MoveShard(ctx, move); err == nil {
		t.Fatal("the interrupted move answered OK")
	}
	if _, err := tc.Inventory(0).DeleteEvent(ctx, &boxofficev1.DeleteEventRequest{RequestId: "delete-ev", EventId: "ev"}); err != nil {
		t.Fatal(err)
	}
	interrupt.Store(false)
	if resp, err := tc.ClusterClient(1).MoveShard(ctx, move); err != nil || !resp.Resumed {
		t.Fatalf("finishing the move of a deleted event's shard: %v %v", resp, err)
	}
	WaitFor(t, 20*time.Second, "the frozen copy to leave group "+source, func() bool {
		for i := range tc.Len() {
			if g := tc.Host(i).group(source); g != nil && g.store.HasShard("ev", 0) {
				return false
			}
		}
		return true
	})
	_, err := tc.ClusterClient(1).MoveShard(ctx, &boxofficev1.MoveShardRequest{EventId: "ev", Shard: 1, GroupId: target})
	wantRefusal(t, "a move of a deleted event's shard", err, codes.FailedPrecondition, ReasonEventArchived)
}

// TestMoveShardResumesAfterInterruption: a move stopped after the freeze
// (as by a crash of the node running it) leaves the shard refusing holds
// with UNAVAILABLE SHARD_MOVING; calling MoveShard again continues the
// recorded move, and a move of the shard elsewhere is refused meanwhile.
// Bad input changes nothing.
func TestMoveShardResumesAfterInterruption(t *testing.T) {
	skipIfShort(t)
	var interrupt atomic.Bool
	interrupt.Store(true)
	errStopped := errors.New("stopped by the test")
	tc := NewTestCluster(t, 3, func(i int, c *Config) {
		c.DataGroups = 3
		c.Testing.ShardMoveStep = func(step string) error {
			if step == moveStepFrozen && interrupt.Load() {
				return errStopped
			}
			return nil
		}
	})
	source, target := createMovableEvent(t, tc, "ev", 2, 4)
	ctx := ctxT(t, 2*time.Minute)
	held, err := tc.Inventory(0).Hold(ctx, &boxofficev1.HoldRequest{RequestId: "h1", EventId: "ev", Holder: "alice",
		Selection: &boxofficev1.HoldRequest_Seats{Seats: &boxofficev1.SeatList{SeatIds: []string{"S0-R1-1"}}}})
	if err != nil {
		t.Fatal(err)
	}
	var third string
	for _, g := range tc.Host(0).catalog.GroupIDs() {
		if g != source && g != target {
			third = g
		}
	}

	for _, bad := range []struct {
		what   string
		req    *boxofficev1.MoveShardRequest
		code   codes.Code
		reason string
	}{
		{"unknown event", &boxofficev1.MoveShardRequest{EventId: "nope", Shard: 0, GroupId: target}, codes.NotFound, ReasonNotFound},
		{"unknown shard", &boxofficev1.MoveShardRequest{EventId: "ev", Shard: 9, GroupId: target}, codes.NotFound, ReasonNotFound},
		{"unknown group", &boxofficev1.MoveShardRequest{EventId: "ev", Shard: 0, GroupId: "g999"}, codes.NotFound, ReasonNotFound},
		{"no group", &boxofficev1.MoveShardRequest{EventId: "ev", Shard: 0}, codes.InvalidArgument, ReasonInvalidRequest},
		{"its own group", &boxofficev1.MoveShardRequest{EventId: "ev", Shard: 0, GroupId: source}, codes.FailedPrecondition, ReasonShardInGroup},
	} {
		_, err := tc.ClusterClient(0).MoveShard(ctx, bad.req)
		wantRefusal(t, bad.what, err, bad.code, bad.reason)
		if c := internalText(err.Error()); c != "" {
			t.Fatalf("%s: the message leaks %q: %v", bad.what, c, err)
		}
		if m := catalog.ShardMoveOf(tc.Host(0).catalog.Event("ev"), 0); m != nil {
			t.Fatalf("%s recorded a move", bad.what)
		}
	}

	if _, err := tc.ClusterClient(0).MoveShard(ctx, &boxofficev1.MoveShardRequest{EventId: "ev", Shard: 0, GroupId: target}); err == nil {
		t.Fatal("the interrupted move answered OK")
	}
	// Interrupted after the freeze: the shard takes no holds, retryably.
	_, err = tc.Inventory(1).Hold(ctx, &boxofficev1.HoldRequest{RequestId: "h2", EventId: "ev", Holder: "bob",
		Selection: &boxofficev1.HoldRequest_Seats{Seats: &boxofficev1.SeatList{SeatIds: []string{"S0-R1-2"}}}})
	wantRefusal(t, "a hold on the frozen shard", err, codes.Unavailable, ReasonShardMoving)
	_, err = tc.ClusterClient(1).MoveShard(ctx, &boxofficev1.MoveShardRequest{EventId: "ev", Shard: 0, GroupId: third})
	wantRefusal(t, "a second move of the shard", err, codes.FailedPrecondition, ReasonShardMoveRunning)

	// A hold spanning the frozen shard and another: refused retryably,
	// keeping its part in the other shard for the retry.
	multi := &boxofficev1.HoldRequest{RequestId: "multi", EventId: "ev", Holder: "carol",
		Selection: &boxofficev1.HoldRequest_Seats{Seats: &boxofficev1.SeatList{SeatIds: []string{"S0-R2-1", "S1-R2-1"}}}}
	_, err = tc.Inventory(2).Hold(ctx, multi)
	wantRefusal(t, "a hold spanning the frozen shard", err, codes.Unavailable, ReasonShardMoving)

	interrupt.Store(false)
	resumed, err := tc.ClusterClient(2).MoveShard(ctx, &boxofficev1.MoveShardRequest{EventId: "ev", Shard: 0, GroupId: target})
	if err != nil || !resumed.Resumed {
		t.Fatalf("resumed move: %v %v", resumed, err)
	}
	shardHome(t, tc, "ev", 0, target)
	// The hold refused while frozen, same request id: applies now.
	if _, err := tc.Inventory(1).Hold(ctx, &boxofficev1.HoldRequest{RequestId: "h2", EventId: "ev", Holder: "bob",
		Selection: &boxofficev1.HoldRequest_Seats{Seats: &boxofficev1.SeatList{SeatIds: []string{"S0-R1-2"}}}}); err != nil {
		t.Fatalf("hold after the move: %v", err)
	}
	if got, err := tc.Inventory(2).GetHold(ctx, &boxofficev1.GetHoldRequest{EventId: "ev", HoldId: held.HoldId}); err != nil || !proto.Equal(got, held) {
		t.Fatalf("hold after the move: %v %v, before %v", got, err, held)
	}
	multiHeld, err := tc.Inventory(0).Hold(ctx, multi)
	if err != nil || len(multiHeld.SeatIds) != 2 {
		t.Fatalf("retried multi-shard hold: %v %v", multiHeld, err)
	}
	states := seatStates(t, tc, 1, "ev")
	for _, id := range []string{"S0-R2-1", "S1-R2-1"} {
		if s := states[id]; s.State != boxofficev1.SeatState_SEAT_STATE_HELD || s.HoldId != multiHeld.HoldId {
			t.Fatalf("seat %s after the retried multi-shard hold: %v", id, s)
		}
	}
	if _, err := tc.Inventory(1).Sell(ctx, &boxofficev1.SellRequest{RequestId: "sell-multi", EventId: "ev", HoldId: multiHeld.HoldId,
		Holder: "carol", OrderId: "o-multi", Buyer: "carol"}); err != nil {
		t.Fatalf("sell of the multi-shard hold: %v", err)
	}

	// A node whose catalog still names the old group: reads and commands
	// sent there reach the shard in its new group.
	for i := range tc.Len() {
		if _, err := tc.Host(i).readShard(ctx, &nodepb.ReadShardRequest{GroupId: source, EventId: "ev", Shard: 0, HoldId: held.HoldId}); err != nil {
			t.Fatalf("n%d: a read routed to the old group: %v", i+1, err)
		}
	}
	r, err := hostShards{tc.Host(1)}.Propose(ctx, &nodepb.ShardRecord{Shard: 0, GroupId: source}, &fsmpb.Command{
		Type: fsmpb.CommandType_COMMAND_TYPE_EXTEND_HOLD, RequestId: "stale-extend",
		Body: &fsmpb.Command_ExtendHold{ExtendHold: &fsmpb.ExtendHold{EventId: "ev", Shard: 0, HoldId: held.HoldId, Holder: "alice"}},
	})
	if err != nil || r.Code != fsmpb.Code_CODE_OK {
		t.Fatalf("a command routed to the old group: %v %v", r, err)
	}
	tc.replicasEqual()
}

// TestMoveShardTooLargeIsAbandoned: a shard whose state does not fit one
// Raft entry is refused LIMIT_EXCEEDED after the freeze; the move is
// abandoned and the shard takes holds again in its group.
func TestMoveShardTooLargeIsAbandoned(t *testing.T) {
	skipIfShort(t)
	tc := NewTestCluster(t, 3, func(i int, c *Config) {
		c.DataGroups = 2
		c.Group.BatchBytesMax = 4096
	})
	source, target := createMovableEvent(t, tc, "ev", 10, 10)
	ctx := ctxT(t, 2*time.Minute)
	hold := func(requestID, seat string) error {
		_, err := tc.Inventory(0).Hold(ctx, &boxofficev1.HoldRequest{RequestId: requestID, EventId: "ev", Holder: "fan-" + requestID,
			Selection: &boxofficev1.HoldRequest_Seats{Seats: &boxofficev1.SeatList{SeatIds: []string{seat}}}})
		return err
	}
	for row := 1; row <= 8; row++ {
		for n := 1; n <= 10; n++ {
			if err := hold(fmt.Sprintf("h-%d-%d", row, n), fmt.Sprintf("S0-R%d-%d", row, n)); err != nil {
				t.Fatal(err)
			}
		}
	}
	_, err := tc.ClusterClient(0).MoveShard(ctx, &boxofficev1.MoveShardRequest{EventId: "ev", Shard: 0, GroupId: target})
	wantRefusal(t, "a move over the entry limit", err, codes.InvalidArgument, ReasonTooLarge)
	WaitFor(t, 10*time.Second, "the catalog to forget the abandoned move", func() bool {
		return catalog.ShardMoveOf(tc.Host(0).catalog.Event("ev"), 0) == nil
	})
	if err := hold("after", "S0-R9-1"); err != nil {
		t.Fatalf("a hold after the abandoned move: %v", err)
	}
	shardHome(t, tc, "ev", 0, source)
}
