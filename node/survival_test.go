package node

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	boxofficev1 "github.com/boxoffice/boxoffice/api/boxoffice/v1"
	"github.com/boxoffice/boxoffice/cluster"
)

const (
	surviveZone   = boxofficev1.SurvivalGoal_SURVIVAL_GOAL_ZONE
	surviveRegion = boxofficev1.SurvivalGoal_SURVIVAL_GOAL_REGION
)

// regionOfNode is node id's region as host i's catalog has it.
func (tc *TestCluster) regionOfNode(i int, id string) string {
	return cluster.Region(cluster.LocalityFromProto(tc.Host(i).catalog.Node(id).GetLocality()))
}

// TestSurvivalGoalsAndHomeRegion: three nodes in two regions. A goal the
// nodes cannot meet, an unknown home region and a survival goal that is
// no goal are refused precisely and create nothing; an event homed in a
// region gets groups led from there; a second home that would need a
// group the first one holds is refused.
func TestSurvivalGoalsAndHomeRegion(t *testing.T) {
	skipIfShort(t)
	tc := NewTestCluster(t, 3, withLocalities(t, "region=eu-west", "region=eu-west", "region=us-east"),
		func(i int, c *Config) { c.RebalanceInterval = 200 * time.Millisecond })
	ctx := ctxT(t, 120*time.Second)
	inv := tc.Inventory(0)
	create := func(id string, survive boxofficev1.SurvivalGoal, home string, groups uint32) (*boxofficev1.Event, error) {
		resp, err := inv.CreateEvent(ctx, &boxofficev1.CreateEventRequest{RequestId: "create-" + id, EventId: id, Name: id,
			Venue: onSaleVenueForTest(), Survive: survive, HomeRegion: home, GroupCount: groups})
		return resp.GetEvent(), err
	}
	refusals := []struct {
		name    string
		survive boxofficev1.SurvivalGoal
		home    string
		groups  uint32
		code    codes.Code
		reason  string
		message string
	}{
		{"region survival in two regions", surviveRegion, "", 0, codes.FailedPrecondition, ReasonSurvivalGoalUnmet,
			"region survival needs replicas in at least 3 regions; nodes are in 2: eu-west, us-east"},
		{"zone survival with one zone per region", surviveZone, "", 0, codes.FailedPrecondition, ReasonSurvivalGoalUnmet,
			"zone survival needs replicas in at least 3 zones; nodes are in 2: eu-west, us-east"},
		{"a home region where no node runs", 0, "ap-south", 0, codes.InvalidArgument, ReasonInvalidRequest,
			`home_region "ap-south": no node runs there (regions: eu-west, us-east)`},
		{"a goal that is not one", boxofficev1.SurvivalGoal(7), "", 0, codes.InvalidArgument, ReasonInvalidRequest,
			"survive 7 is not a survival goal"},
	}
	for i, r := range refusals {
		id := fmt.Sprintf("bad%d", i)
		_, err := create(id, r.survive, r.home, r.groups)
		if status.Code(err) != r.code || reasonOf(err) != r.reason || !strings.Contains(status.Convert(err).Message(), r.message) {
			t.Errorf("%s: %v, want %v %s %q", r.name, err, r.code, r.reason, r.message)
		}
		if _, err := inv.GetEvent(ctx, &boxofficev1.GetEventRequest{EventId: id}); status.Code(err) != codes.NotFound {
			t.Errorf("%s: the refused event exists: %v", r.name, err)
		}
	}
	for _, g := range tc.Host(0).catalog.Export().Groups {
		if g.HomeRegion != "" {
			t.Errorf("refusals homed group %s in %q", g.GroupId, g.HomeRegion)
		}
	}

	// Homed in us-east, where only n3 runs: its group is led by n3.
	us, err := create("us", 0, "us-east", 0)
	if err != nil {
		t.Fatal(err)
	}
	if us.HomeRegion != "us-east" || us.GroupCount != 1 {
		t.Fatalf("event %v: want home us-east on one group", us)
	}
	usGroup := tc.eventRecord(0, "us").Shards[0].GroupId
	if again, err := create("us", 0, "us-east", 0); err != nil || again.EventId != "us" {
		t.Fatalf("retried create of the homed event: %v, %v", again, err)
	}
	WaitFor(t, 30*time.Second, usGroup+" led by n3 in us-east", func() bool {
		st, err := tc.ClusterClient(1).Status(ctx, &boxofficev1.StatusRequest{})
		if err != nil {
			return false
		}
		for _, g := range st.Groups {
			if g.GroupId == usGroup {
				return g.HomeRegion == "us-east" && g.LeaderNodeId == "n3"
			}
		}
		return false
	})
	// Moved to eu-west by hand, the group is led from us-east again.
	if _, err := tc.ClusterClient(0).TransferLeader(ctx, &boxofficev1.TransferLeaderRequest{GroupId: usGroup, NodeId: "n1"}); err != nil {
		t.Fatal(err)
	}
	WaitFor(t, 30*time.Second, usGroup+" back with n3, its home replica, first and leading", func() bool {
		return tc.Host(0).catalog.Group(usGroup).Replicas[0] == "n3" && tc.Leader(usGroup) == 2
	})
	if _, err := inv.Hold(ctx, &boxofficev1.HoldRequest{RequestId: "h-us", EventId: "us", Holder: "fan",
		Selection: &boxofficev1.HoldRequest_Best{Best: &boxofficev1.BestAvailable{Quantity: 2}}}); err != nil {
		t.Fatalf("hold on the homed event: %v", err)
	}

	// Homed in eu-west over every group: the us-east event holds one.
	_, err = create("eu", 0, "eu-west", 3)
	if status.Code(err) != codes.FailedPrecondition || reasonOf(err) != ReasonSurvivalGoalUnmet ||
		!strings.Contains(status.Convert(err).Message(), `home_region "eu-west": 2 data groups can be led from there, the event needs 3`) {
		t.Fatalf("eu over 3 groups: %v", err)
	}
	if g := tc.Host(0).catalog.Group(usGroup); g.HomeRegion != "us-east" || g.Replicas[0] != "n3" {
		t.Fatalf("a refused create moved %s: %v", usGroup, g)
	}
	eu, err := create("eu2", 0, "eu-west", 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range tc.eventRecord(0, eu.EventId).Shards {
		if s.GroupId == usGroup {
			t.Fatalf("eu-west event placed on %s, homed in us-east", usGroup)
		}
		WaitFor(t, 30*time.Second, s.GroupId+" led from eu-west", func() bool {
			leader := tc.Leader(s.GroupId)
			return leader >= 0 && tc.regionOfNode(0, tc.Config(leader).NodeID) == "eu-west"
		})
	}
}

// TestMetaVotersSpreadAndRegionLoss: six nodes, three in region a, two in
// b, one in c, with ids in region order, so the meta group bootstraps
// with n1..n5 as voters: three in a. The voters spread to 2/2/1; a region
// survival event is created; then region a is killed whole: the catalog
// still commits (CreateEvent) and the event keeps selling.
func TestMetaVotersSpreadAndRegionLoss(t *testing.T) {
	skipIfShort(t)
	texts := []string{"region=a,zone=a1", "region=a,zone=a2", "region=a,zone=a3", "region=b,zone=b1", "region=b,zone=b2",
		"region=c,zone=c1"}
	tc := NewTestCluster(t, 6, withLocalities(t, texts...), func(i int, c *Config) { c.DataGroups = 3 })
	ctx := ctxT(t, 180*time.Second)
	votersByRegion := func() map[string]int {
		leader := tc.Leader(cluster.MetaGroupID)
		if leader < 0 {
			return nil
		}
		f := tc.Host(leader).meta.raft.GetConfiguration()
		if f.Error() != nil {
			return nil
		}
		out := map[string]int{}
		for _, s := range f.Configuration().Servers {
			if s.Suffrage == raft.Voter {
				out[tc.regionOfNode(leader, string(s.ID))]++
			}
		}
		return out
	}
	WaitFor(t, 60*time.Second, "meta voters 2/2/1 over a, b and c", func() bool {
		v := votersByRegion()
		return v["a"] == 2 && v["b"] == 2 && v["c"] == 1 && len(v) == 3
	})

	resp, err := tc.Inventory(3).CreateEvent(ctx, &boxofficev1.CreateEventRequest{RequestId: "create-ev", EventId: "ev",
		Name: "ev", Venue: onSaleVenueForTest(), Survive: surviveRegion})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Event.Survive != surviveRegion {
		t.Fatalf("event survive = %v", resp.Event.Survive)
	}
	for _, s := range tc.eventRecord(3, "ev").Shards {
		regions := map[string]bool{}
		for _, r := range tc.Host(3).catalog.Group(s.GroupId).Replicas {
			regions[tc.regionOfNode(3, r)] = true
		}
		if len(regions) != 3 {
			t.Fatalf("shard %d on %s spans regions %v", s.Shard, s.GroupId, regions)
		}
	}

	for i := range 3 {
		tc.Kill(i)
	}
	sell := func(n int) error {
		inv := tc.Inventory(3 + n%3)
		cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		rid := fmt.Sprintf("after-%d", n)
		hold, err := inv.Hold(cctx, &boxofficev1.HoldRequest{RequestId: "h" + rid, EventId: "ev", Holder: rid,
			Selection: &boxofficev1.HoldRequest_Best{Best: &boxofficev1.BestAvailable{Quantity: 1}}})
		if err != nil {
			return err
		}
		_, err = inv.Sell(cctx, &boxofficev1.SellRequest{RequestId: "s" + rid, EventId: "ev", HoldId: hold.HoldId,
			Holder: rid, OrderId: "o" + rid, Buyer: rid})
		return err
	}
	attempt := 0
	WaitFor(t, 60*time.Second, "a sale after region a is lost", func() bool {
		attempt++
		return sell(attempt) == nil
	})
	WaitFor(t, 60*time.Second, "a catalog command after region a is lost", func() bool {
		cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		_, err := tc.Inventory(4).CreateEvent(cctx, &boxofficev1.CreateEventRequest{RequestId: "create-after", EventId: "after",
			Name: "after", Venue: onSaleVenueForTest()})
		return err == nil
	})
	WaitFor(t, 60*time.Second, "the lost voters replaced: 5 voters, 3 alive in b and c", func() bool {
		v := votersByRegion()
		return v["b"] == 2 && v["c"] == 1
	})
}

// TestAddGroups: groups added to a running cluster get ids after the
// last, replicas spread over regions, a leader, and events; a retry
// answers the same groups; bad counts are refused and add nothing.
func TestAddGroups(t *testing.T) {
	skipIfShort(t)
	tc := NewTestCluster(t, 3, withLocalities(t, "region=eu", "region=us", "region=ap"))
	ctx := ctxT(t, 120*time.Second)
	admin := tc.ClusterClient(1)
	for _, bad := range []struct {
		req    *boxofficev1.AddGroupsRequest
		reason string
		text   string
	}{
		{&boxofficev1.AddGroupsRequest{RequestId: "a0"}, ReasonInvalidRequest, "count is required"},
		{&boxofficev1.AddGroupsRequest{RequestId: "a1", Count: 65}, ReasonTooLarge, "count 65: at most 64 groups per call"},
		{&boxofficev1.AddGroupsRequest{Count: 1}, ReasonInvalidRequest, "request_id is required"},
	} {
		_, err := admin.AddGroups(ctx, bad.req)
		if status.Code(err) != codes.InvalidArgument || reasonOf(err) != bad.reason || !strings.Contains(status.Convert(err).Message(), bad.text) {
			t.Errorf("AddGroups(%v): %v, want INVALID_ARGUMENT %s %q", bad.req, err, bad.reason, bad.text)
		}
	}
	if n := len(tc.Host(0).catalog.GroupIDs()); n != 3 {
		t.Fatalf("%d groups after refused calls, want 3", n)
	}
	resp, err := admin.AddGroups(ctx, &boxofficev1.AddGroupsRequest{RequestId: "add-2", Count: 2})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(resp.GroupIds, []string{"g003", "g004"}) {
		t.Fatalf("added %v, want g003, g004", resp.GroupIds)
	}
	again, err := tc.ClusterClient(2).AddGroups(ctx, &boxofficev1.AddGroupsRequest{RequestId: "add-2", Count: 2})
	if err != nil || !slices.Equal(again.GroupIds, resp.GroupIds) {
		t.Fatalf("retry: %v, %v; want the same groups", again, err)
	}
	if _, err := admin.AddGroups(ctx, &boxofficev1.AddGroupsRequest{RequestId: "add-2", Count: 3}); reasonOf(err) != ReasonRequestIDReused {
		t.Fatalf("request id reused for another count: %v", err)
	}
	for _, id := range resp.GroupIds {
		g := tc.Host(0).catalog.Group(id)
		if !cluster.SurvivesLoss(surviveRegion, g.Replicas, map[string]cluster.Locality{
			"n1": {{Key: "region", Value: "eu"}}, "n2": {{Key: "region", Value: "us"}}, "n3": {{Key: "region", Value: "ap"}}}) {
			t.Errorf("group %s on %v: want one replica per region", id, g.Replicas)
		}
		WaitFor(t, 30*time.Second, id+" to elect a leader", func() bool { return tc.Leader(id) >= 0 })
	}
	if n := len(tc.Host(2).catalog.GroupIDs()); n != 5 {
		t.Fatalf("%d groups, want 5", n)
	}
	// An event over every group uses the new ones.
	ev := tc.createOnSaleEvent("wide", 5, 2, 4)
	if ev.GroupCount != 5 {
		t.Fatalf("event over %d groups, want 5", ev.GroupCount)
	}
	for sec := range 5 {
		if _, err := tc.Inventory(0).Hold(ctx, &boxofficev1.HoldRequest{RequestId: fmt.Sprintf("h%d", sec), EventId: "wide",
			Holder: "fan", Selection: &boxofficev1.HoldRequest_Best{Best: &boxofficev1.BestAvailable{Quantity: 1,
				SectionId: fmt.Sprintf("S%d", sec)}}}); err != nil {
			t.Fatalf("hold in section S%d: %v", sec, err)
		}
	}
}

// TestBigEventSpreadsBySize: with group_count 0 an event spans one group
// per SeatsPerGroup seats, at most every group.
func TestBigEventSpreadsBySize(t *testing.T) {
	skipIfShort(t)
	tc := NewTestCluster(t, 3, func(i int, c *Config) { c.SeatsPerGroup = 10 })
	ctx := ctxT(t, 60*time.Second)
	for _, tt := range []struct {
		id                   string
		sections, rows, seat int
		want                 uint32
	}{
		{"small", 1, 1, 10, 1}, // 10 seats
		{"medium", 2, 1, 8, 2}, // 16 seats
		{"big", 4, 2, 10, 3},   // 80 seats: capped at the 3 groups
	} {
		resp, err := tc.Inventory(0).CreateEvent(ctx, &boxofficev1.CreateEventRequest{RequestId: "c-" + tt.id, EventId: tt.id,
			Name: tt.id, Venue: cluster.OnSaleVenue(tt.sections, tt.rows, tt.seat)})
		if err != nil {
			t.Fatal(err)
		}
		if resp.Event.GroupCount != tt.want {
			t.Errorf("%s (%d seats): %d groups, want %d", tt.id, resp.Event.SeatCount, resp.Event.GroupCount, tt.want)
		}
	}
}

// TestRegionGoalNeedsAddedGroups: four nodes in three regions, but the
// group was laid out on the first three (two in region a) by a bootstrap
// of three: region survival is refused, naming the fix, until AddGroups
// lays out a group over the three regions. With one group, n1-n3 hold one
// replica each and n4 none, within the rebalancer's tolerance, so no
// replica moves to n4 meanwhile.
func TestRegionGoalNeedsAddedGroups(t *testing.T) {
	skipIfShort(t)
	tc := NewTestCluster(t, 4, withLocalities(t, "region=a", "region=a", "region=b", "region=c"),
		func(i int, c *Config) { c.BootstrapExpect, c.DataGroups = 3, 1 })
	ctx := ctxT(t, 120*time.Second)
	WaitFor(t, 30*time.Second, "n4 registered", func() bool { return tc.Host(0).catalog.Node("n4") != nil })
	create := func() error {
		_, err := tc.Inventory(3).CreateEvent(ctx, &boxofficev1.CreateEventRequest{RequestId: "create-r", EventId: "r",
			Name: "r", Venue: onSaleVenueForTest(), Survive: surviveRegion})
		return err
	}
	err := create()
	if status.Code(err) != codes.FailedPrecondition || reasonOf(err) != ReasonSurvivalGoalUnmet ||
		!strings.Contains(status.Convert(err).Message(), "no data group has replicas that survive the loss of a region; add groups") {
		t.Fatalf("region goal before groups are added: %v", err)
	}
	resp, err := tc.ClusterClient(0).AddGroups(ctx, &boxofficev1.AddGroupsRequest{RequestId: "add", Count: 1})
	if err != nil {
		t.Fatal(err)
	}
	WaitFor(t, 30*time.Second, resp.GroupIds[0]+" to elect a leader", func() bool { return tc.Leader(resp.GroupIds[0]) >= 0 })
	if err := create(); err != nil {
		t.Fatalf("region goal after AddGroups: %v", err)
	}
	if g := tc.eventRecord(3, "r").Shards[0].GroupId; g != resp.GroupIds[0] {
		t.Fatalf("region event on %s, want the added %s", g, resp.GroupIds[0])
	}
}
