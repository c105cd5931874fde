package node

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/api/holdid"
	"github.com/boxoffice/boxoffice/cluster"
)

func skipIfShort(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-node test; skipped with -short")
	}
}

// reasonOf and errorMetadata read a status error's ErrorInfo as a
// client would.
func reasonOf(err error) string { return boxofficev1.ReasonOf(err) }

func errorMetadata(err error) map[string]string {
	return boxofficev1.ErrorInfoOf(err).GetMetadata()
}

// internalText returns the first piece of internal text in a refusal's
// message: a package prefix, a Go type description, a formatting error or a
// protobuf library error. A caller must never see any of them.
func internalText(message string) string {
	for _, s := range []string{"fsm:", "node:", "cluster:", "Go struct", "%!", "proto:", "raft:", "bolt"} {
		if strings.Contains(message, s) {
			return s
		}
	}
	return ""
}

// seatStates reads the whole seat map linearizably from node i.
func seatStates(t *testing.T, tc *TestCluster, i int, eventID string) map[string]*boxofficev1.Seat {
	t.Helper()
	m, err := tc.Inventory(i).GetSeatMap(ctxT(t, 20*time.Second), &boxofficev1.GetSeatMapRequest{EventId: eventID})
	if err != nil {
		t.Fatalf("GetSeatMap from node %d: %v", i+1, err)
	}
	out := map[string]*boxofficev1.Seat{}
	for _, s := range m.Sections {
		for _, r := range s.Rows {
			for _, seat := range r.Seats {
				out[seat.SeatId] = seat
			}
		}
	}
	return out
}

func TestHoldSellReadAcrossNodes(t *testing.T) {
	skipIfShort(t)
	tc := NewTestCluster(t, 3)
	tc.createOnSaleEvent("ev1", 4, 5, 10)
	ctx := ctxT(t, 30*time.Second)
	// Every step goes to a different node: forwarding must make it work.
	hold, err := tc.Inventory(1).Hold(ctx, &boxofficev1.HoldRequest{RequestId: "h1", EventId: "ev1", Holder: "fan1",
		Selection: &boxofficev1.HoldRequest_Best{Best: &boxofficev1.BestAvailable{Quantity: 2, SectionId: "S0"}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(hold.SeatIds) != 2 || !strings.HasPrefix(hold.SeatIds[0], "S0-R1-") {
		t.Fatalf("best available gave %v, want 2 seats in S0 row R1", hold.SeatIds)
	}
	sold, err := tc.Inventory(2).Sell(ctx, &boxofficev1.SellRequest{RequestId: "s1", EventId: "ev1", HoldId: hold.HoldId,
		Holder: "fan1", OrderId: "o1", Buyer: "buyer1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(sold.Tickets) != 2 {
		t.Fatalf("sell gave %d tickets, want 2", len(sold.Tickets))
	}
	for i := range 3 {
		seats := seatStates(t, tc, i, "ev1")
		for _, id := range hold.SeatIds {
			if s := seats[id]; s.State != boxofficev1.SeatState_SEAT_STATE_SOLD || s.OrderId != "o1" {
				t.Fatalf("node %d reads seat %s as %v order %q, want SOLD to o1", i+1, id, s.State, s.OrderId)
			}
		}
	}
	tc.replicasEqual()
}

func TestBadInputIsRefusedAndChangesNothing(t *testing.T) {
	skipIfShort(t)
	// No sweeps: the expired hold must still exist when it is sold.
	tc := NewTestCluster(t, 3, func(i int, c *Config) { c.SweepInterval = time.Hour })
	tc.createOnSaleEvent("ev1", 2, 3, 10)
	ctx := ctxT(t, 60*time.Second)
	inv := tc.Inventory(0)
	good, err := inv.Hold(ctx, &boxofficev1.HoldRequest{RequestId: "good", EventId: "ev1", Holder: "alice",
		Selection: &boxofficev1.HoldRequest_Seats{Seats: &boxofficev1.SeatList{SeatIds: []string{"S0-R1-1"}}}})
	if err != nil {
		t.Fatal(err)
	}
	expired, err := inv.Hold(ctx, &boxofficev1.HoldRequest{RequestId: "short", EventId: "ev1", Holder: "alice", TtlMs: 1,
		Selection: &boxofficev1.HoldRequest_Seats{Seats: &boxofficev1.SeatList{SeatIds: []string{"S0-R1-5"}}}})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond) // lets the 1ms TTL pass; the hold itself is acknowledged
	before := seatStates(t, tc, 0, "ev1")

	badVenue := cluster.OnSaleVenue(1, 1, 1)
	badVenue.Sections[0].Rows[0].SeatCount = 0
	seats := func(ids ...string) *boxofficev1.HoldRequest_Seats {
		return &boxofficev1.HoldRequest_Seats{Seats: &boxofficev1.SeatList{SeatIds: ids}}
	}
	best := func(n uint32) *boxofficev1.HoldRequest_Best {
		return &boxofficev1.HoldRequest_Best{Best: &boxofficev1.BestAvailable{Quantity: n, SectionId: "S1"}}
	}
	many := make([]string, 150)
	for i := range many {
		many[i] = fmt.Sprintf("S1-R1-%d", i+1)
	}
	cases := []struct {
		name   string
		call   func() error
		code   codes.Code
		reason string
	}{
		{"malformed venue", func() error {
			_, err := inv.CreateEvent(ctx, &boxofficev1.CreateEventRequest{RequestId: "bad-venue", EventId: "ev2", Venue: badVenue})
			return err
		}, codes.InvalidArgument, ReasonInvalidRequest},
		{"bad event id", func() error {
			_, err := inv.CreateEvent(ctx, &boxofficev1.CreateEventRequest{RequestId: "bad-id", EventId: "Bad Id!", Venue: cluster.OnSaleVenue(1, 1, 2)})
			return err
		}, codes.InvalidArgument, ReasonInvalidRequest},
		{"existing event", func() error {
			_, err := inv.CreateEvent(ctx, &boxofficev1.CreateEventRequest{RequestId: "again", EventId: "ev1", Venue: cluster.OnSaleVenue(1, 1, 2)})
			return err
		}, codes.AlreadyExists, ReasonEventExists},
		{"unknown event", func() error {
			_, err := inv.Hold(ctx, &boxofficev1.HoldRequest{RequestId: "x1", EventId: "nope", Holder: "a", Selection: best(2)})
			return err
		}, codes.NotFound, ReasonNotFound},
		{"unknown seat", func() error {
			_, err := inv.Hold(ctx, &boxofficev1.HoldRequest{RequestId: "x2", EventId: "ev1", Holder: "a", Selection: seats("S1-R1-99")})
			return err
		}, codes.NotFound, ReasonNotFound},
		{"unknown section", func() error {
			_, err := inv.Hold(ctx, &boxofficev1.HoldRequest{RequestId: "x3", EventId: "ev1", Holder: "a", Selection: seats("S9-R1-1")})
			return err
		}, codes.NotFound, ReasonNotFound},
		{"zero count", func() error {
			_, err := inv.Hold(ctx, &boxofficev1.HoldRequest{RequestId: "x4", EventId: "ev1", Holder: "a", Selection: best(0)})
			return err
		}, codes.InvalidArgument, ReasonInvalidRequest},
		{"huge count", func() error {
			_, err := inv.Hold(ctx, &boxofficev1.HoldRequest{RequestId: "x5", EventId: "ev1", Holder: "a", Selection: best(1_000_000)})
			return err
		}, codes.InvalidArgument, ReasonTooLarge},
		{"oversize request", func() error {
			_, err := inv.Hold(ctx, &boxofficev1.HoldRequest{RequestId: "x6", EventId: "ev1", Holder: "a", Selection: seats(many...)})
			return err
		}, codes.InvalidArgument, ReasonTooLarge},
		{"missing request id", func() error {
			_, err := inv.Hold(ctx, &boxofficev1.HoldRequest{EventId: "ev1", Holder: "a", Selection: best(2)})
			return err
		}, codes.InvalidArgument, ReasonInvalidRequest},
		{"missing selection", func() error {
			_, err := inv.Hold(ctx, &boxofficev1.HoldRequest{RequestId: "x7", EventId: "ev1", Holder: "a"})
			return err
		}, codes.InvalidArgument, ReasonInvalidRequest},
		{"seat taken", func() error {
			_, err := inv.Hold(ctx, &boxofficev1.HoldRequest{RequestId: "x8", EventId: "ev1", Holder: "bob", Selection: seats("S0-R1-1", "S0-R1-2")})
			return err
		}, codes.Aborted, ReasonSeatUnavailable},
		{"someone else's hold", func() error {
			_, err := inv.Sell(ctx, &boxofficev1.SellRequest{RequestId: "x9", EventId: "ev1", HoldId: good.HoldId, Holder: "mallory", OrderId: "o", Buyer: "m"})
			return err
		}, codes.PermissionDenied, ReasonHoldNotOwned},
		{"expired hold", func() error {
			_, err := inv.Sell(ctx, &boxofficev1.SellRequest{RequestId: "x10", EventId: "ev1", HoldId: expired.HoldId, Holder: "alice", OrderId: "o", Buyer: "a"})
			return err
		}, codes.FailedPrecondition, ReasonHoldExpired},
		{"malformed hold id", func() error {
			_, err := inv.Release(ctx, &boxofficev1.ReleaseRequest{RequestId: "x11", EventId: "ev1", HoldId: "garbage", Holder: "alice"})
			return err
		}, codes.InvalidArgument, ReasonInvalidRequest},
		{"unknown hold", func() error {
			_, err := inv.GetHold(ctx, &boxofficev1.GetHoldRequest{EventId: "ev1", HoldId: holdid.New("ev1", "never-held", []uint32{0})})
			return err
		}, codes.NotFound, ReasonNotFound},
		{"unknown order", func() error {
			_, err := inv.Refund(ctx, &boxofficev1.RefundRequest{RequestId: "x12", EventId: "ev1", OrderId: "never", TicketIds: []string{"ev1/0/1"}})
			return err
		}, codes.NotFound, ReasonTicketNotInOrder},
		{"negative ttl", func() error {
			_, err := inv.Hold(ctx, &boxofficev1.HoldRequest{RequestId: "x13", EventId: "ev1", Holder: "a", TtlMs: -5, Selection: best(1)})
			return err
		}, codes.InvalidArgument, ReasonInvalidRequest},
	}
	// The seats a refusal must name, in its message and in ErrorInfo
	// metadata "seat_ids".
	seatsNamed := map[string][]string{"unknown seat": {"S1-R1-99"}, "seat taken": {"S0-R1-1"}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.call()
			if status.Code(err) != c.code {
				t.Fatalf("got %v (%v), want code %v", status.Code(err), err, c.code)
			}
			if got := reasonOf(err); got != c.reason {
				t.Fatalf("got reason %q, want %q (%v)", got, c.reason, err)
			}
			msg := status.Convert(err).Message()
			if len(msg) < 10 {
				t.Fatalf("message %q does not tell a developer what to fix", msg)
			}
			if leak := internalText(msg); leak != "" {
				t.Fatalf("message %q shows the internal text %q to a caller", msg, leak)
			}
			if want, ok := seatsNamed[c.name]; ok {
				if got := errorMetadata(err)[MetadataSeatIDs]; got != strings.Join(want, ",") {
					t.Fatalf("metadata seat_ids = %q, want %q (%v)", got, strings.Join(want, ","), err)
				}
				for _, id := range want {
					if !strings.Contains(msg, id) {
						t.Fatalf("message %q does not name seat %s", msg, id)
					}
				}
			}
		})
	}
	after := seatStates(t, tc, 0, "ev1")
	for id, s := range before {
		a := after[id]
		// The expired hold may be swept in between: that is time, not the refusals.
		if id == "S0-R1-5" {
			continue
		}
		if !proto.Equal(s, a) {
			t.Errorf("seat %s changed: %v -> %v", id, s, a)
		}
	}
	if _, err := inv.GetEvent(ctx, &boxofficev1.GetEventRequest{EventId: "ev2"}); status.Code(err) != codes.NotFound {
		t.Fatalf("a refused CreateEvent left event ev2 behind: %v", err)
	}
}

// TestFailoverKeepsAcknowledgedSales runs clients while the leader of the
// busiest group dies; operations must resume and every acknowledged sale
// must survive, with no seat sold twice.
func TestFailoverKeepsAcknowledgedSales(t *testing.T) {
	skipIfShort(t)
	tc := NewTestCluster(t, 3)
	tc.createOnSaleEvent("ev1", 3, 25, 40)
	e := tc.eventRecord(0, "ev1")
	victimGroup := e.Shards[0].GroupId
	victim := tc.Leader(victimGroup)

	var acked sync.Map // seat id -> order id
	var ops, failures atomic.Int64
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	stopTraffic := sync.OnceFunc(func() { close(stop); wg.Wait() })
	defer stopTraffic() // also when a wait below fails the test
	for c := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				node := (c + n) % 3
				if node == victim {
					node = (node + 1) % 3
				}
				inv := tc.Inventory(node)
				rid := fmt.Sprintf("c%d-%d", c, n)
				cctx, ccancel := context.WithTimeout(ctx, 3*time.Second)
				hold, err := inv.Hold(cctx, &boxofficev1.HoldRequest{RequestId: "h" + rid, EventId: "ev1", Holder: rid,
					Selection: &boxofficev1.HoldRequest_Best{Best: &boxofficev1.BestAvailable{Quantity: 2, SectionId: fmt.Sprintf("S%d", n%3)}}})
				if err == nil {
					var sold *boxofficev1.SellResponse
					sold, err = inv.Sell(cctx, &boxofficev1.SellRequest{RequestId: "s" + rid, EventId: "ev1", HoldId: hold.HoldId,
						Holder: rid, OrderId: "o" + rid, Buyer: rid})
					if err == nil {
						for _, tk := range sold.Tickets {
							if prev, dup := acked.LoadOrStore(tk.SeatId, "o"+rid); dup {
								t.Errorf("seat %s acknowledged to %s and %s", tk.SeatId, prev, "o"+rid)
							}
						}
					}
				}
				ccancel()
				ops.Add(1)
				if c := status.Code(err); c == codes.Unavailable || c == codes.DeadlineExceeded || c == codes.Internal {
					failures.Add(1)
					time.Sleep(20 * time.Millisecond) // a client's back-off before its next operation
				}
			}
		}()
	}
	WaitFor(t, 10*time.Second, "traffic to flow before the kill", func() bool { return ops.Load()-failures.Load() > 20 })
	before := ops.Load()
	tc.Kill(victim)
	killedAt := time.Now()
	// Operations must resume within a few seconds of the kill.
	base := ops.Load() - failures.Load()
	resumed := waitUntil(10*time.Second, func() bool { return ops.Load()-failures.Load() > base+20 })
	stopTraffic()
	if !resumed {
		t.Fatalf("operations did not resume within 10s after killing node %d", victim+1)
	}
	t.Logf("ops before kill %d, total %d, failures %d; resumed after %v", before, ops.Load(), failures.Load(), time.Since(killedAt))

	// Restart the killed node and then every node: every acknowledged sale
	// must still be there, read from each node.
	tc.Start(victim)
	tc.WaitReady()
	tc.StopAll()
	for i := range tc.hosts {
		tc.Start(i)
	}
	tc.WaitReady()
	count := 0
	for i := range 3 {
		seats := seatStates(t, tc, i, "ev1")
		acked.Range(func(k, v any) bool {
			s := seats[k.(string)]
			if s == nil || s.State != boxofficev1.SeatState_SEAT_STATE_SOLD || s.OrderId != v.(string) {
				t.Errorf("node %d: acknowledged sale of %s to %s is lost: %v", i+1, k, v, s)
			}
			if i == 0 {
				count++
			}
			return true
		})
	}
	if count == 0 {
		t.Fatal("no sale was acknowledged; the test proved nothing")
	}
	tc.replicasEqual()
}

func TestRestartFromDiskAndSnapshotInstall(t *testing.T) {
	skipIfShort(t)
	tc := NewTestCluster(t, 3, func(i int, c *Config) {
		c.Group.SnapshotThreshold = 64
		c.Group.SnapshotInterval = 100 * time.Millisecond
		c.Group.TrailingLogs = 16
		c.DataGroups = 3
	})
	tc.createOnSaleEvent("ev1", 3, 10, 20)
	ctx := ctxT(t, 60*time.Second)
	// Stop node 3, write enough for the others to snapshot and truncate
	// past it, then bring it back: it must be sent a snapshot.
	tc.Stop(2)
	for n := range 150 {
		rid := fmt.Sprintf("r%d", n)
		h, err := tc.Inventory(n%2).Hold(ctx, &boxofficev1.HoldRequest{RequestId: "h" + rid, EventId: "ev1", Holder: rid,
			Selection: &boxofficev1.HoldRequest_Best{Best: &boxofficev1.BestAvailable{Quantity: 2, SectionId: fmt.Sprintf("S%d", n%3)}}})
		if err != nil {
			t.Fatalf("hold %d: %v", n, err)
		}
		if n%2 == 0 {
			_, err = tc.Inventory(0).Sell(ctx, &boxofficev1.SellRequest{RequestId: "s" + rid, EventId: "ev1", HoldId: h.HoldId, Holder: rid, OrderId: "o" + rid, Buyer: rid})
		} else {
			_, err = tc.Inventory(1).Release(ctx, &boxofficev1.ReleaseRequest{RequestId: "x" + rid, EventId: "ev1", HoldId: h.HoldId, Holder: rid})
		}
		if err != nil {
			t.Fatalf("op %d: %v", n, err)
		}
	}
	// Wait for a snapshot that truncated the log on the leaders.
	WaitFor(t, 20*time.Second, "a snapshot on every data group of n1", func() bool {
		for _, g := range tc.hosts[0].groupList() {
			if g.store != nil && g.raft.Stats()["last_snapshot_index"] == "0" {
				return false
			}
		}
		return true
	})
	want := seatStates(t, tc, 0, "ev1")
	tc.Start(2)
	tc.WaitReady()
	tc.replicasEqual()
	installed := false
	for _, g := range tc.hosts[2].groupList() {
		if g.store != nil && g.raft.Stats()["last_snapshot_index"] != "0" {
			installed = true
		}
	}
	if !installed {
		t.Fatal("the lagging follower caught up without a snapshot; the test did not exercise InstallSnapshot")
	}
	if got := counterSum(t, tc.hosts[2], "boxoffice_raft_snapshots_installed_total"); got < 1 {
		t.Fatalf("node 3 installed a snapshot but boxoffice_raft_snapshots_installed_total = %v", got)
	}
	if got := counterSum(t, tc.hosts[0], "boxoffice_raft_snapshots_taken_total") + counterSum(t, tc.hosts[1], "boxoffice_raft_snapshots_taken_total"); got < 1 {
		t.Fatalf("nodes 1 and 2 truncated their logs but boxoffice_raft_snapshots_taken_total = %v", got)
	}
	// Restart every node from disk (snapshot + log replay).
	tc.StopAll()
	for i := range tc.hosts {
		tc.Start(i)
	}
	tc.WaitReady()
	for i := range 3 {
		// Each restored its own snapshot at start: not an install.
		if got := counterSum(t, tc.hosts[i], "boxoffice_raft_snapshots_installed_total"); got != 0 {
			t.Errorf("node %d after a restart from disk: boxoffice_raft_snapshots_installed_total = %v, want 0", i+1, got)
		}
		got := seatStates(t, tc, i, "ev1")
		for id, w := range want {
			if !proto.Equal(w, got[id]) {
				t.Fatalf("node %d after restart: seat %s = %v, want %v", i+1, id, got[id], w)
			}
		}
	}
}

func TestIdempotentRetryAcrossLeaderChange(t *testing.T) {
	skipIfShort(t)
	tc := NewTestCluster(t, 3)
	tc.createOnSaleEvent("ev1", 2, 5, 10)
	e := tc.eventRecord(0, "ev1")
	groupID := e.Shards[0].GroupId
	ctx := ctxT(t, 60*time.Second)
	req := &boxofficev1.HoldRequest{RequestId: "retry-me", EventId: "ev1", Holder: "fan",
		Selection: &boxofficev1.HoldRequest_Best{Best: &boxofficev1.BestAvailable{Quantity: 3, SectionId: "S0"}}}
	first, err := tc.Inventory(0).Hold(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	leader := tc.Leader(groupID)
	g := tc.hosts[leader].group(groupID)
	if err := g.raft.LeadershipTransfer().Error(); err != nil {
		t.Fatal(err)
	}
	newLeader := tc.leaderOtherThan(groupID, leader)
	// The same request, sent again to another node after the leader moved.
	again, err := tc.Inventory(newLeader).Hold(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if again.HoldId != first.HoldId || strings.Join(again.SeatIds, ",") != strings.Join(first.SeatIds, ",") {
		t.Fatalf("retry answered %v, first answer was %v", again, first)
	}
	held := 0
	for _, s := range seatStates(t, tc, 1, "ev1") {
		if s.State == boxofficev1.SeatState_SEAT_STATE_HELD {
			held++
		}
	}
	if held != 3 {
		t.Fatalf("%d seats held after a retried 3-seat hold, want 3", held)
	}
	// Sell, retry the sell across another leader change: one order.
	sell := &boxofficev1.SellRequest{RequestId: "sell-once", EventId: "ev1", HoldId: first.HoldId, Holder: "fan", OrderId: "o1", Buyer: "b"}
	s1, err := tc.Inventory(2).Sell(ctx, sell)
	if err != nil {
		t.Fatal(err)
	}
	_ = tc.hosts[tc.Leader(groupID)].group(groupID).raft.LeadershipTransfer().Error()
	s2, err := tc.Inventory(0).Sell(ctx, sell)
	if err != nil {
		t.Fatalf("retried sell: %v", err)
	}
	if !proto.Equal(s1, s2) {
		t.Fatalf("retried sell answered %v, first %v", s2, s1)
	}
}

func TestExpiredHoldIsSweptAndSeatIsFreeAgain(t *testing.T) {
	skipIfShort(t)
	tc := NewTestCluster(t, 3)
	tc.createOnSaleEvent("ev1", 1, 1, 4)
	ctx := ctxT(t, 30*time.Second)
	h, err := tc.Inventory(0).Hold(ctx, &boxofficev1.HoldRequest{RequestId: "h", EventId: "ev1", Holder: "a", TtlMs: 200,
		Selection: &boxofficev1.HoldRequest_Seats{Seats: &boxofficev1.SeatList{SeatIds: []string{"S0-R1-1", "S0-R1-2"}}}})
	if err != nil {
		t.Fatal(err)
	}
	watch, err := tc.Inventory(1).Watch(ctx, &boxofficev1.WatchRequest{EventId: "ev1", After: []*boxofficev1.ShardPosition{{Shard: 0, Sequence: 0}}})
	if err != nil {
		t.Fatal(err)
	}
	freed := map[string]bool{}
	for len(freed) < 2 {
		msg, err := watch.Recv()
		if err != nil {
			t.Fatalf("watch: %v", err)
		}
		for _, c := range msg.Changes {
			if c.State == boxofficev1.SeatState_SEAT_STATE_AVAILABLE && c.HoldId == "" {
				freed[c.SeatId] = true
			}
		}
	}
	seats := seatStates(t, tc, 2, "ev1")
	for _, id := range h.SeatIds {
		if seats[id].State != boxofficev1.SeatState_SEAT_STATE_AVAILABLE {
			t.Fatalf("seat %s is %v after its hold expired and was swept", id, seats[id].State)
		}
	}
	if _, err := tc.Inventory(0).Sell(ctx, &boxofficev1.SellRequest{RequestId: "s", EventId: "ev1", HoldId: h.HoldId, Holder: "a", OrderId: "o", Buyer: "a"}); status.Code(err) == codes.OK {
		t.Fatal("sold a swept hold")
	}
	// One hold (of two seats) expired: the leader that swept it counts it.
	if got := clusterCounterSum(t, tc, "boxoffice_group_holds_swept_total", 1, 5*time.Second); got != 1 {
		t.Fatalf("boxoffice_group_holds_swept_total summed over the nodes = %v, want 1", got)
	}
}

func TestMultiShardHoldIsAllOrNothing(t *testing.T) {
	skipIfShort(t)
	tc := NewTestCluster(t, 3)
	tc.createOnSaleEvent("ev1", 4, 2, 4) // sections S0..S3 on different shards
	e := tc.eventRecord(0, "ev1")
	if len(e.Shards) < 2 {
		t.Fatalf("want several shards, got %d", len(e.Shards))
	}
	ctx := ctxT(t, 30*time.Second)
	inv := tc.Inventory(0)
	seats := func(ids ...string) *boxofficev1.HoldRequest_Seats {
		return &boxofficev1.HoldRequest_Seats{Seats: &boxofficev1.SeatList{SeatIds: ids}}
	}
	if _, err := inv.Hold(ctx, &boxofficev1.HoldRequest{RequestId: "blocker", EventId: "ev1", Holder: "b", Selection: seats("S1-R1-1")}); err != nil {
		t.Fatal(err)
	}
	_, err := inv.Hold(ctx, &boxofficev1.HoldRequest{RequestId: "multi", EventId: "ev1", Holder: "a", Selection: seats("S0-R1-1", "S1-R1-1", "S2-R1-1")})
	if status.Code(err) != codes.Aborted {
		t.Fatalf("multi-shard hold over a taken seat: %v, want Aborted", err)
	}
	states := seatStates(t, tc, 1, "ev1")
	for _, id := range []string{"S0-R1-1", "S2-R1-1"} {
		if states[id].State != boxofficev1.SeatState_SEAT_STATE_AVAILABLE {
			t.Fatalf("seat %s left %v by a refused multi-shard hold", id, states[id].State)
		}
	}
	h, err := inv.Hold(ctx, &boxofficev1.HoldRequest{RequestId: "multi2", EventId: "ev1", Holder: "a", Selection: seats("S0-R1-1", "S2-R1-1", "S3-R2-4")})
	if err != nil {
		t.Fatal(err)
	}
	sold, err := tc.Inventory(2).Sell(ctx, &boxofficev1.SellRequest{RequestId: "sell", EventId: "ev1", HoldId: h.HoldId, Holder: "a", OrderId: "o", Buyer: "a"})
	if err != nil {
		t.Fatal(err)
	}
	if len(sold.Tickets) != 3 {
		t.Fatalf("got %d tickets, want 3", len(sold.Tickets))
	}
	ref, err := inv.Refund(ctx, &boxofficev1.RefundRequest{RequestId: "refund", EventId: "ev1", OrderId: "o", TicketIds: soldTicketIDs(sold.Tickets)})
	if err != nil || len(ref.Tickets) != 3 {
		t.Fatalf("refund: %v %v", ref, err)
	}
	states = seatStates(t, tc, 0, "ev1")
	for _, id := range h.SeatIds {
		if states[id].State != boxofficev1.SeatState_SEAT_STATE_AVAILABLE {
			t.Fatalf("refunded seat %s is %v", id, states[id].State)
		}
	}
}

func TestClusterStatusAndMetrics(t *testing.T) {
	skipIfShort(t)
	tc := NewTestCluster(t, 3)
	tc.createOnSaleEvent("ev1", 2, 2, 2)
	// A replica applies its group's first entries shortly after the
	// leader does; on a loaded machine that can take a moment.
	var problem string
	waitUntil(20*time.Second, func() bool {
		st, err := tc.ClusterClient(1).Status(ctxT(t, 10*time.Second), &boxofficev1.StatusRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if len(st.Nodes) != 3 {
			t.Fatalf("status lists %d nodes, want 3", len(st.Nodes))
		}
		problem = ""
		for _, g := range st.Groups {
			if g.LeaderNodeId == "" || len(g.Replicas) != 3 {
				problem = fmt.Sprintf("group %s: leader %q, %d replicas", g.GroupId, g.LeaderNodeId, len(g.Replicas))
			}
			if g.GroupId != "meta" && !slices.ContainsFunc(g.Replicas, func(r *boxofficev1.ReplicaStatus) bool {
				return r.NodeId == g.PreferredLeaderNodeId
			}) {
				t.Fatalf("group %s: preferred leader %q is not one of its replicas", g.GroupId, g.PreferredLeaderNodeId)
			}
			for _, r := range g.Replicas {
				if r.AppliedIndex == 0 {
					problem = fmt.Sprintf("group %s replica %s applied nothing", g.GroupId, r.NodeId)
				}
			}
		}
		return problem == ""
	})
	if problem != "" {
		t.Fatal(problem)
	}
	resp, err := http.Get("http://" + tc.hosts[0].HTTPAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, name := range []string{
		"boxoffice_raft_state", "boxoffice_raft_applied_index", "boxoffice_group_batch_commands",
		"boxoffice_api_operations_total", "boxoffice_logstore_commits_total",
		"boxoffice_raft_commitTime", // hashicorp/raft's own metrics, through go-metrics
	} {
		if !strings.Contains(string(body), name) {
			t.Errorf("/metrics lacks %s", name)
		}
	}
	_ = raft.Leader
}

// TestRemoveNodeAndAddBackEmpty removes a node, wipes it and starts it again
// empty: it must be added back to every group and catch up.
func TestRemoveNodeAndAddBackEmpty(t *testing.T) {
	skipIfShort(t)
	tc := NewTestCluster(t, 3)
	tc.createOnSaleEvent("ev1", 3, 5, 10)
	ctx := ctxT(t, 90*time.Second)
	h, err := tc.Inventory(0).Hold(ctx, &boxofficev1.HoldRequest{RequestId: "h1", EventId: "ev1", Holder: "a",
		Selection: &boxofficev1.HoldRequest_Best{Best: &boxofficev1.BestAvailable{Quantity: 2, SectionId: "S1"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tc.ClusterClient(0).RemoveNode(ctx, &boxofficev1.RemoveNodeRequest{NodeId: "n3"}); err != nil {
		t.Fatal(err)
	}
	// RemoveNode answers only once n3 is in no group's Raft configuration:
	// from then on its disk may be wiped.
	st, err := tc.ClusterClient(0).Status(ctx, &boxofficev1.StatusRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range st.Groups {
		if len(g.Configuration) == 0 || slices.Contains(g.Configuration, "n3") {
			t.Fatalf("after RemoveNode, group %s has configuration %v", g.GroupId, g.Configuration)
		}
	}
	// Every group drops n3 from its configuration.
	WaitFor(t, 20*time.Second, "n3 removed from every group", func() bool {
		for _, g := range tc.hosts[0].groupList() {
			f := g.raft.GetConfiguration()
			if f.Error() != nil {
				return false
			}
			for _, s := range f.Configuration().Servers {
				if s.ID == "n3" {
					t.Logf("group %s still has n3 (%s), leader %v", g.id, s.Suffrage, g.raft.State())
					return false
				}
			}
		}
		return true
	})
	// The cluster keeps working on two replicas.
	if _, err := tc.Inventory(1).Sell(ctx, &boxofficev1.SellRequest{RequestId: "s1", EventId: "ev1", HoldId: h.HoldId, Holder: "a", OrderId: "o1", Buyer: "a"}); err != nil {
		t.Fatal(err)
	}
	tc.Kill(2)
	if err := os.RemoveAll(tc.configs[2].DataDir); err != nil {
		t.Fatal(err)
	}
	tc.Start(2)
	WaitFor(t, 40*time.Second, "n3 back in every group with the data", func() bool {
		if len(tc.hosts[2].groupList()) != len(tc.hosts[0].groupList()) {
			return false
		}
		for _, g := range tc.hosts[2].groupList() {
			if g.raft.AppliedIndex() == 0 {
				return false
			}
		}
		return true
	})
	tc.WaitReady()
	tc.replicasEqual()
	// Stale reads on the new replica show the sale.
	m, err := tc.Inventory(2).GetSeatMap(ctx, &boxofficev1.GetSeatMapRequest{EventId: "ev1", Consistency: boxofficev1.ReadConsistency_READ_CONSISTENCY_STALE, SectionIds: []string{"S1"}})
	if err != nil {
		t.Fatal(err)
	}
	if m.Sold != 2 {
		t.Fatalf("the re-added replica reads %d sold seats, want 2", m.Sold)
	}
}

// TestWatchResumesOnAnotherNode reads a seat map on one node, watches from
// its positions on another, loses the stream and resumes on a third: every
// change arrives once, in order per shard.
func TestWatchResumesOnAnotherNode(t *testing.T) {
	skipIfShort(t)
	tc := NewTestCluster(t, 3)
	tc.createOnSaleEvent("ev1", 2, 2, 10)
	ctx := ctxT(t, 30*time.Second)
	m, err := tc.Inventory(0).GetSeatMap(ctx, &boxofficev1.GetSeatMapRequest{EventId: "ev1", SummaryOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	hold := func(n int) {
		if _, err := tc.Inventory(n%3).Hold(ctx, &boxofficev1.HoldRequest{RequestId: fmt.Sprintf("h%d", n), EventId: "ev1", Holder: "w",
			Selection: &boxofficev1.HoldRequest_Best{Best: &boxofficev1.BestAvailable{Quantity: 1, SectionId: fmt.Sprintf("S%d", n%2)}}}); err != nil {
			t.Fatal(err)
		}
	}
	for n := range 6 {
		hold(n)
	}
	wctx, wcancel := context.WithCancel(ctx)
	w, err := tc.Inventory(1).Watch(wctx, &boxofficev1.WatchRequest{EventId: "ev1", After: m.Positions})
	if err != nil {
		t.Fatal(err)
	}
	last := map[uint32]uint64{}
	for _, p := range m.Positions {
		last[p.Shard] = p.Sequence
	}
	got := 0
	receive := func(w boxofficev1.Inventory_WatchClient, want int) {
		for got < want {
			msg, err := w.Recv()
			if err != nil {
				t.Fatalf("watch: %v", err)
			}
			for _, c := range msg.Changes {
				if c.Sequence != last[c.Shard]+1 {
					t.Fatalf("shard %d: change %d after %d (gap or duplicate)", c.Shard, c.Sequence, last[c.Shard])
				}
				last[c.Shard] = c.Sequence
				got++
			}
		}
	}
	receive(w, 6)
	wcancel()
	for n := 6; n < 12; n++ {
		hold(n)
	}
	var after []*boxofficev1.ShardPosition
	for shard, seq := range last {
		after = append(after, &boxofficev1.ShardPosition{Shard: shard, Sequence: seq})
	}
	w2, err := tc.Inventory(2).Watch(ctx, &boxofficev1.WatchRequest{EventId: "ev1", After: after})
	if err != nil {
		t.Fatal(err)
	}
	receive(w2, 12)
}

// TestLeadersSpreadOverNodes: with rebalancing on, each node ends up
// leading its share of the data groups.
func TestLeadersSpreadOverNodes(t *testing.T) {
	skipIfShort(t)
	tc := NewTestCluster(t, 3, func(i int, c *Config) {
		c.RebalanceInterval = 200 * time.Millisecond
		c.DataGroups = 6
	})
	WaitFor(t, 20*time.Second, "two data-group leaders per node", func() bool {
		// 6 groups on 3 nodes: each node is the preferred leader of two.
		for _, h := range tc.hosts {
			leads := 0
			for _, g := range h.groupList() {
				if g.store != nil && g.raft.State() == raft.Leader {
					leads++
				}
			}
			if leads != 2 {
				return false
			}
		}
		return true
	})
}

// TestReadyMeansLeadersPlaced: a fresh cluster elects its first leaders
// anywhere; a node is ready only once it has handed the groups it leads to
// their preferred leaders, so traffic that starts at "ready" (an on-sale,
// the benchmark) is not stalled by those hand-offs. The periodic
// rebalance is a minute away here: only the start-up pass can have placed
// the leaders.
func TestReadyMeansLeadersPlaced(t *testing.T) {
	skipIfShort(t)
	tc := NewTestCluster(t, 3, func(i int, c *Config) {
		c.RebalanceInterval = time.Minute
		c.DataGroups = 6
	})
	// The last hand-off's target may still be winning its election.
	misplaced := func() []string {
		var wrong []string
		for _, rec := range tc.hosts[0].catalog.Export().Groups {
			for i, h := range tc.hosts {
				g := h.group(rec.GroupId)
				if g != nil && g.raft.State() == raft.Leader && tc.configs[i].NodeID != rec.Replicas[0] {
					wrong = append(wrong, fmt.Sprintf("%s led by %s, prefers %s", rec.GroupId, tc.configs[i].NodeID, rec.Replicas[0]))
				}
			}
		}
		return wrong
	}
	// An election takes a few heartbeat timeouts (400 ms here) on a loaded
	// machine; without placement before readiness the leaders would stay
	// misplaced until the next rebalance pass, a minute away.
	waitUntil(5*time.Second, func() bool { return len(misplaced()) == 0 })
	if wrong := misplaced(); len(wrong) > 0 {
		t.Fatalf("every node is ready, yet leaders are not on their preferred nodes: %v", wrong)
	}
	for i, h := range tc.hosts {
		// A group between two leaders makes a node briefly unready.
		waitUntil(5*time.Second, func() bool { return h.ready() == nil })
		if h.ready() != nil {
			t.Fatalf("node %d no longer ready: %v", i+1, h.ready())
		}
	}
}

// TestReplicationFactorsOneAndFive: a single-node cluster (replication
// factor 1) and a 5-node cluster with 5 replicas per group both serve
// holds and sells, and the 5-node one survives two dead nodes.
func TestReplicationFactorsOneAndFive(t *testing.T) {
	skipIfShort(t)
	holdSell := func(tc *TestCluster, node int, id string) error {
		ctx := ctxT(t, 20*time.Second)
		h, err := tc.Inventory(node).Hold(ctx, &boxofficev1.HoldRequest{RequestId: "h" + id, EventId: "ev1", Holder: id,
			Selection: &boxofficev1.HoldRequest_Best{Best: &boxofficev1.BestAvailable{Quantity: 2, SectionId: "S0"}}})
		if err != nil {
			return err
		}
		_, err = tc.Inventory(node).Sell(ctx, &boxofficev1.SellRequest{RequestId: "s" + id, EventId: "ev1", HoldId: h.HoldId, Holder: id, OrderId: id, Buyer: id})
		return err
	}
	t.Run("one node", func(t *testing.T) {
		tc := NewTestCluster(t, 1)
		tc.createOnSaleEvent("ev1", 2, 2, 10)
		if err := holdSell(tc, 0, "a"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("five replicas", func(t *testing.T) {
		tc := NewTestCluster(t, 5, func(i int, c *Config) { c.ReplicationFactor = 5 })
		tc.createOnSaleEvent("ev1", 2, 2, 10)
		for _, g := range tc.hosts[0].groupList() {
			f := g.raft.GetConfiguration()
			if err := f.Error(); err != nil || len(f.Configuration().Servers) != 5 {
				t.Fatalf("group %s has %d servers, want 5", g.id, len(f.Configuration().Servers))
			}
		}
		tc.Kill(3)
		tc.Kill(4)
		if err := holdSell(tc, 1, "b"); err != nil {
			t.Fatalf("with 3 of 5 nodes up: %v", err)
		}
	})
}

// TestHoldSpanningTooManyShardsIsRefused: a hold whose seats lie in more
// shards than a hold id can name is refused with LIMIT_EXCEEDED (it used
// to reach a panic in holdid.New) and changes nothing.
func TestHoldSpanningTooManyShardsIsRefused(t *testing.T) {
	skipIfShort(t)
	tc := NewTestCluster(t, 1)
	ctx := ctxT(t, 60*time.Second)
	if _, err := tc.Inventory(0).CreateEvent(ctx, &boxofficev1.CreateEventRequest{
		RequestId: "c", EventId: "wide", Venue: cluster.OnSaleVenue(70, 1, 2), ShardCount: 70,
		Policy: &boxofficev1.EventPolicy{SeatsPerHoldMax: 100},
	}); err != nil {
		t.Fatal(err)
	}
	var seats []string
	for s := range 70 {
		seats = append(seats, fmt.Sprintf("S%d-R1-1", s))
	}
	_, err := tc.Inventory(0).Hold(ctx, &boxofficev1.HoldRequest{RequestId: "h", EventId: "wide", Holder: "a",
		Selection: &boxofficev1.HoldRequest_Seats{Seats: &boxofficev1.SeatList{SeatIds: seats}}})
	if status.Code(err) != codes.InvalidArgument || reasonOf(err) != ReasonTooLarge {
		t.Fatalf("hold over 70 shards: %v, want INVALID_ARGUMENT/%s", err, ReasonTooLarge)
	}
	m, err := tc.Inventory(0).GetSeatMap(ctx, &boxofficev1.GetSeatMapRequest{EventId: "wide", SummaryOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if m.Held != 0 {
		t.Fatalf("%d seats held after a refused hold", m.Held)
	}
	// The node is still serving.
	if _, err := tc.Inventory(0).Hold(ctx, &boxofficev1.HoldRequest{RequestId: "h2", EventId: "wide", Holder: "a",
		Selection: &boxofficev1.HoldRequest_Seats{Seats: &boxofficev1.SeatList{SeatIds: seats[:3]}}}); err != nil {
		t.Fatal(err)
	}
}
